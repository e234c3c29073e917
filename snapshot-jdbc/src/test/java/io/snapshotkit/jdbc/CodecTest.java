package io.snapshotkit.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.ManifestRef;
import io.snapshotkit.SnapshotException;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The column encodings every dialect shares. */
@DisplayName("Codec")
class CodecTest {

  @Test
  @DisplayName("inline and external manifest references survive a round trip exactly")
  void manifestRefRoundTrip() {
    ManifestRef inline = ManifestRef.inline(Map.of("files", 3, "dirs", 1), 120);
    ManifestRef external = ManifestRef.external("manifests/01ABC.json", Map.of("tables", 12), 1L << 40);
    ManifestRef empty = ManifestRef.inline(Map.of(), 0);
    for (ManifestRef ref : new ManifestRef[] {inline, external, empty}) {
      assertEquals(Optional.of(ref), Codec.manifestRef(Codec.manifestRef(ref)));
    }
    assertEquals(Optional.empty(), Codec.manifestRef((String) null), "no reference stored");
    // the bytes stored, as the ObjectMapper that wrote them before the streaming generator did
    assertEquals("{\"external\":false,\"counts\":{\"dirs\":1,\"files\":3},\"bytes\":120}", Codec.manifestRef(inline));
    assertEquals("{\"external\":true,\"blobKey\":\"manifests/01ABC.json\",\"counts\":{\"tables\":12},"
        + "\"bytes\":1099511627776}", Codec.manifestRef(external));
    assertEquals("{\"external\":false,\"counts\":{},\"bytes\":0}", Codec.manifestRef(empty));
  }

  @Test
  @DisplayName("fields a later version adds to a manifest reference are ignored, nested or not")
  void unknownFieldsIgnored() {
    assertEquals(Optional.of(ManifestRef.inline(Map.of("files", 2), 9)), Codec.manifestRef(
        "{\"codec\":\"zstd\",\"external\":false,\"extra\":{\"a\":[1,{\"b\":2}]},\"counts\":{\"files\":2},\"bytes\":9}"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "[]", "{\"external\":true,\"counts\":{},\"bytes\":1}", "{\"counts\":[1],\"bytes\":1}",
      "{\"external\":false,\"counts\":{\"files\":2}", "not json"})
  @DisplayName("an unreadable manifest reference is CORRUPT and says how to recover")
  void corruptManifestRef(String json) {
    SnapshotException e = assertThrows(SnapshotException.class, () -> Codec.manifestRef(json));
    assertEquals(ErrorCode.CORRUPT, e.code());
    assertTrue(e.getMessage().contains("restore the database from a backup"), e.getMessage());
  }

  @Test
  @DisplayName("instants keep nanosecond precision; query bounds outside the storable range saturate")
  void instants() {
    Instant at = Instant.parse("2026-03-04T05:06:07.123456789Z");
    assertEquals(at, Codec.instant(Codec.nanos(at)));
    assertEquals(Long.MAX_VALUE, Codec.boundNanos(Instant.MAX));
    assertEquals(Long.MIN_VALUE, Codec.boundNanos(Instant.MIN));
    assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(SnapshotException.class, () -> Codec.nanos(Instant.MAX)).code());
  }

  @Test
  @DisplayName("label and metadata maps survive a round trip exactly, in key order, whatever their characters")
  void stringMapRoundTrip() {
    Map<String, String> map = new java.util.TreeMap<>(Map.of("env", "prod", "quote\"d", "back\\slash\n",
        "unicode", "caf\u00e9 \ud83d\ude00", "empty", "", "control", "\u0001\t"));
    String json = Codec.stringMap(map);
    assertEquals(map, Codec.stringMap(json));
    assertEquals(java.util.List.copyOf(map.keySet()), java.util.List.copyOf(Codec.stringMap(json).keySet()));
    assertEquals("{\"a\":\"1\",\"b\":\"2\"}", Codec.stringMap(Map.of("b", "2", "a", "1")), "keys sorted");
    assertEquals("{\"control\":\"\\u0001\\t\",\"empty\":\"\",\"env\":\"prod\",\"quote\\\"d\":\"back\\\\slash\\n\","
        + "\"unicode\":\"caf\u00e9 \ud83d\ude00\"}", json, "escaped as before");
    assertEquals(Map.of(), Codec.stringMap("{}"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "null", "[]", "{\"a\":1}", "{\"a\":null}", "{\"a\":{\"b\":\"c\"}}", "{\"a\":\"b\"",
      "{\"a\":\"b\"} {}", "not json"})
  @DisplayName("an unreadable label or metadata map is CORRUPT and says how to recover")
  void corruptStringMap(String json) {
    SnapshotException e = assertThrows(SnapshotException.class, () -> Codec.stringMap(json));
    assertEquals(ErrorCode.CORRUPT, e.code());
    assertTrue(e.getMessage().contains("restore the database from a backup"), e.getMessage());
  }
}
