package io.snapshotkit.jdbc;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.ManifestRef;
import io.snapshotkit.SnapshotException;
import java.io.IOException;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Column encodings shared by every dialect: instants as epoch nanoseconds, maps as JSON text.
 * Columns are read with Jackson's streaming parser, and only writing builds an
 * {@link ObjectMapper}: a process that only reads rows (the CLI's {@code list}) never pays for one.
 */
final class Codec {
  /** Reads columns. */
  private static final JsonFactory FACTORY = new JsonFactory();
  private static final long NANOS = 1_000_000_000L;

  /** Holds the mapper that writes columns, built on the first write. */
  private static final class Writer {
    static final ObjectMapper JSON = JsonMapper.builder()
        .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
        .build();
  }

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
      return Writer.JSON.writeValueAsString(map);
    } catch (JsonProcessingException e) {
      throw SnapshotException.wrap("encoding a map as JSON", e);
    }
  }

  /** A map {@link #stringMap(Map)} wrote: one JSON object of strings, keys in order. */
  static Map<String, String> stringMap(String json) {
    try (JsonParser p = FACTORY.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException("not a JSON object");
      }
      Map<String, String> map = new TreeMap<>();
      for (String key = p.nextFieldName(); key != null; key = p.nextFieldName()) {
        if (p.nextToken() != JsonToken.VALUE_STRING) {
          throw new IllegalArgumentException("the value of " + key + " is not a string");
        }
        map.put(key, p.getText());
      }
      if (p.nextToken() != null) {
        throw new IllegalArgumentException("text after the JSON object");
      }
      return map;
    } catch (IOException | IllegalArgumentException e) {
      throw corrupt("a labels or metadata column", e);
    }
  }

  static String manifestRef(ManifestRef ref) {
    ObjectNode node = Writer.JSON.createObjectNode();
    node.put("external", ref.external());
    ref.blobKey().ifPresent(k -> node.put("blobKey", k));
    node.set("counts", Writer.JSON.valueToTree(ref.counts()));
    node.put("bytes", ref.bytes());
    return node.toString();
  }

  static Optional<ManifestRef> manifestRef(String json) {
    if (json == null) {
      return Optional.empty();
    }
    // Read with the streaming parser: this runs for every row a listing returns.
    try (JsonParser p = FACTORY.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException("not a JSON object");
      }
      boolean external = false;
      String blobKey = null;
      Map<String, Integer> counts = new TreeMap<>();
      long bytes = 0;
      for (String field = p.nextFieldName(); field != null; field = p.nextFieldName()) {
        JsonToken value = p.nextToken();
        switch (field) {
          case "external" -> external = value == JsonToken.VALUE_TRUE;
          case "blobKey" -> blobKey = value == JsonToken.VALUE_NULL ? null : p.getValueAsString();
          case "bytes" -> bytes = p.getValueAsLong();
          case "counts" -> {
            if (value != JsonToken.START_OBJECT) {
              throw new IllegalArgumentException("counts is not a JSON object");
            }
            for (String family = p.nextFieldName(); family != null; family = p.nextFieldName()) {
              p.nextToken();
              counts.put(family, p.getValueAsInt());
            }
          }
          default -> p.skipChildren();
        }
      }
      return Optional.of(new ManifestRef(external, Optional.ofNullable(blobKey), counts, bytes));
    } catch (IOException | IllegalArgumentException e) {
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
