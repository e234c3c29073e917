package io.snapshotkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ManifestTest {
  private static final WorkloadRef W = WorkloadRef.of("acme", "ws-1");

  private static Resource resource(String key, int value) {
    ObjectNode doc = JsonNodeFactory.instance.objectNode();
    doc.put("value", value);
    doc.putObject("nested").put("flag", true);
    return new Resource("id-" + key, key, doc);
  }

  @Test
  @DisplayName("a manifest survives its JSON form unchanged")
  void jsonRoundTrip() {
    Manifest m = Manifest.of(Instant.parse("2026-11-22T10:00:00Z"), W, true,
        Map.of("mocks", List.of(resource("b", 2), resource("a", 1)), "envs", List.of()));
    Manifest back = Manifest.fromJson(m.toJson());
    assertEquals(m, back);
    assertEquals(Map.of("envs", 0, "mocks", 2), back.counts());
    assertTrue(back.partial());
  }

  @Test
  @DisplayName("bytes that are not a manifest are CORRUPT, never an empty manifest")
  void corruptJson() {
    for (String bad : List.of("", "[]", "{\"families\":{}}", "{not json", "{\"schemaVersion\":1,\"capturedAt\":\"x\"}")) {
      SnapshotException e = assertThrows(SnapshotException.class,
          () -> Manifest.fromJson(bad.getBytes(StandardCharsets.UTF_8)), bad);
      assertEquals(ErrorCode.CORRUPT, e.code(), bad);
    }
  }

  @Test
  @DisplayName("two resources with one natural key in a family are rejected")
  void duplicateKeysRejected() {
    assertThrows(IllegalArgumentException.class,
        () -> Manifest.of(Instant.EPOCH, W, false, Map.of("f", List.of(resource("a", 1), resource("a", 2)))));
  }

  @Test
  @DisplayName("a resource's document cannot be changed through the record")
  void resourceIsImmutable() {
    Resource r = resource("a", 1);
    ((ObjectNode) r.document()).put("value", 99);
    assertEquals(1, r.document().get("value").asInt());
    assertTrue(r.sameDocument(resource("a", 1)));
    assertFalse(r.sameDocument(resource("a", 2)));
  }

  @Test
  @DisplayName("a diff's mirror swaps added and removed and the sides of a change")
  void diffMirror() {
    FamilyDiff d = new FamilyDiff(List.of(
        new Change.Added(resource("c", 1)),
        new Change.Removed(resource("a", 1)),
        new Change.Changed(resource("b", 1), resource("b", 2))));
    FamilyDiff m = d.mirror();
    assertEquals(List.of("a", "b", "c"), m.changes().stream().map(Change::key).toList());
    assertEquals(1, m.added());
    assertEquals(1, m.removed());
    assertEquals(d, m.mirror());
  }

  @Test
  @DisplayName("a degraded diff must say what could not be read and is never empty")
  void degradedDiffExplains() {
    SnapshotId id = SnapshotId.parse("01HZY3J9W8X5V6T7R8Q9P0N1M2");
    assertThrows(IllegalArgumentException.class,
        () -> new DiffResult(id, java.util.Optional.empty(), Map.of(), true, List.of()));
    DiffResult degraded = new DiffResult(id, java.util.Optional.empty(), Map.of(), true, List.of("blob missing"));
    assertFalse(degraded.isEmpty());
  }

  @Test
  @DisplayName("status transitions only go forward; READY and DELETING may alternate for a refused delete")
  void statusTransitions() {
    assertTrue(SnapshotStatus.CAPTURING.canTransitionTo(SnapshotStatus.READY));
    assertTrue(SnapshotStatus.CAPTURING.canTransitionTo(SnapshotStatus.FAILED));
    assertFalse(SnapshotStatus.READY.canTransitionTo(SnapshotStatus.CAPTURING));
    assertFalse(SnapshotStatus.FAILED.canTransitionTo(SnapshotStatus.READY));
    assertFalse(SnapshotStatus.READY.canTransitionTo(SnapshotStatus.FAILED));
    assertTrue(SnapshotStatus.DELETING.canTransitionTo(SnapshotStatus.READY));
    for (SnapshotStatus s : SnapshotStatus.values()) {
      assertFalse(s.canTransitionTo(SnapshotStatus.CAPTURING), s + " -> CAPTURING");
    }
  }

  @Test
  @DisplayName("queries clamp the page size to 1..500")
  void queryClamps() {
    assertEquals(1, SnapshotQuery.of(TenantId.of("t")).limit(0).limit());
    assertEquals(500, SnapshotQuery.of(TenantId.of("t")).limit(10_000).limit());
    assertEquals(100, SnapshotQuery.of(TenantId.of("t")).limit());
  }

  @Test
  @DisplayName("the JSON form is byte for byte what the ObjectMapper wrote before the streaming generator did: "
      + "every node type, escapes, property order")
  void jsonBytesAreUnchanged() {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode d = f.objectNode();
    d.put("s", "caf\u00e9 \ud83d\ude00 \"q\" \\ \n \u0001");
    d.put("i", 42);
    d.put("l", 1L << 40);
    d.put("neg", -7);
    d.put("f", 1.5f);
    d.put("d", 0.1);
    d.put("big", new java.math.BigInteger("123456789012345678901234567890"));
    d.put("dec", new java.math.BigDecimal("1.2300E+5"));
    d.put("t", true);
    d.putNull("n");
    d.put("bin", new byte[] {1, 2, 3, (byte) 255});
    d.put("short", (short) 3);
    d.putArray("arr").add(1).add("x").addObject().put("z", 1).put("a", 2);
    d.putObject("empty");
    d.putArray("emptyArr");
    ObjectNode d2 = f.objectNode();
    d2.put("b", 1);
    d2.put("a", 2);
    Manifest m = Manifest.of(Instant.parse("2026-12-03T01:02:03.123456789Z"), WorkloadRef.of("acme", "w"), false,
        Map.of("zeta", List.of(new Resource("1", "k1", d), new Resource("2", "k2", d2)),
            "alpha", List.of(new Resource("3", "k3", f.textNode("plain"))), "none", List.of()));
    assertEquals("{\"schemaVersion\":1,\"capturedAt\":\"2026-12-03T01:02:03.123456789Z\",\"tenant\":\"acme\""
        + ",\"workload\":\"w\",\"partial\":false,\"counts\":{\"alpha\":1,\"none\":0,\"zeta\":2},\"fam"
        + "ilies\":{\"alpha\":[{\"id\":\"3\",\"key\":\"k3\",\"document\":\"plain\"}],\"none\":[],\"ze"
        + "ta\":[{\"id\":\"1\",\"key\":\"k1\",\"document\":{\"s\":\"café \\uD83D\\uDE00 \\\"q\\\" \\\\ "
        + "\\n \\u0001\",\"i\":42,\"l\":1099511627776,\"neg\":-7,\"f\":1.5,\"d\":0.1,\"big\":12345678"
        + "9012345678901234567890,\"dec\":1.2300E+5,\"t\":true,\"n\":null,\"bin\":\"AQID/w==\",\"shor"
        + "t\":3,\"arr\":[1,\"x\",{\"z\":1,\"a\":2}],\"empty\":{},\"emptyArr\":[]}},{\"id\":\"2\",\"k"
        + "ey\":\"k2\",\"document\":{\"b\":1,\"a\":2}}]}}",
        new String(m.toJson(), StandardCharsets.UTF_8));
  }
}
