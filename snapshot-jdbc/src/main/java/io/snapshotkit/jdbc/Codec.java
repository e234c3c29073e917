package io.snapshotkit.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.ManifestRef;
import io.snapshotkit.SnapshotException;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** Column encodings shared by every dialect: instants as epoch nanoseconds, maps as JSON text. */
final class Codec {
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
      .build();
  private static final TypeReference<TreeMap<String, String>> STRING_MAP = new TypeReference<>() {};
  private static final TypeReference<TreeMap<String, Integer>> COUNT_MAP = new TypeReference<>() {};
  private static final long NANOS = 1_000_000_000L;

  private Codec() {}

  /** An instant to store, exactly; years outside 1678..2261 cannot be stored. */
  static long nanos(Instant instant) {
    try {
      return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), NANOS), instant.getNano());
    } catch (ArithmeticException e) {
      throw SnapshotException.invalid(
          "the JDBC store keeps times between the years 1678 and 2261; " + instant + " is outside, pass a time in that range");
    }
  }

  /** An instant used only as a query bound: saturates instead of failing. */
  static long boundNanos(Instant instant) {
    try {
      return nanos(instant);
    } catch (SnapshotException e) {
      return instant.getEpochSecond() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  static Instant instant(long nanos) {
    return Instant.ofEpochSecond(Math.floorDiv(nanos, NANOS), Math.floorMod(nanos, NANOS));
  }

  static String stringMap(Map<String, String> map) {
    try {
      return JSON.writeValueAsString(map);
    } catch (JsonProcessingException e) {
      throw SnapshotException.wrap("encoding a map as JSON", e);
    }
  }

  static Map<String, String> stringMap(String json) {
    try {
      return JSON.readValue(json, STRING_MAP);
    } catch (JsonProcessingException e) {
      throw corrupt("a labels or metadata column", e);
    }
  }

  static String manifestRef(ManifestRef ref) {
    ObjectNode node = JSON.createObjectNode();
    node.put("external", ref.external());
    ref.blobKey().ifPresent(k -> node.put("blobKey", k));
    node.set("counts", JSON.valueToTree(ref.counts()));
    node.put("bytes", ref.bytes());
    return node.toString();
  }

  static Optional<ManifestRef> manifestRef(String json) {
    if (json == null) {
      return Optional.empty();
    }
    try {
      JsonNode node = JSON.readTree(json);
      Map<String, Integer> counts = JSON.convertValue(node.path("counts"), COUNT_MAP);
      JsonNode key = node.get("blobKey");
      return Optional.of(new ManifestRef(node.path("external").asBoolean(),
          key == null ? Optional.empty() : Optional.of(key.asText()), counts, node.path("bytes").asLong()));
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw corrupt("a manifest reference column", e);
    }
  }

  static SnapshotException corrupt(String what, Throwable cause) {
    return new SnapshotException(ErrorCode.CORRUPT,
        "the snapshot database holds an unreadable value in " + what
            + "; restore the database from a backup or remove the damaged row",
        cause);
  }
}
