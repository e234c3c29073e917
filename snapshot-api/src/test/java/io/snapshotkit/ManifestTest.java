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
}
