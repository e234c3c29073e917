package io.snapshotkit.core;

import static io.snapshotkit.core.Fixture.ACME;
import static io.snapshotkit.core.Fixture.W;
import static io.snapshotkit.core.Fixture.doc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;
import static org.mockito.Mockito.withSettings;

import io.snapshotkit.Change;
import io.snapshotkit.DiffResult;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.FamilyDiff;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.spi.HostDiff;
import io.snapshotkit.spi.HostDirectory;
import io.snapshotkit.spi.Lifecycle;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Diff")
class DiffTest {

  /** v1 is the seeded state; then carol is added, bob removed and the theme changed. */
  private static Snapshot[] twoVersions(Fixture f) {
    Snapshot v1 = f.capture();
    mutate(f);
    Snapshot v2 = f.capture();
    return new Snapshot[] {v1, v2};
  }

  private static void mutate(Fixture f) {
    f.h1().put(W, "users", "carol", doc("role", "editor"));
    f.h1().remove(W, "users", "bob");
    f.h1().put(W, "settings", "theme", doc("value", "light"));
  }

  private static void assertExpectedChanges(DiffResult d) {
    assertFalse(d.degraded());
    assertEquals(List.of("settings", "users"), List.copyOf(d.families().keySet()));
    FamilyDiff users = d.families().get("users");
    assertEquals(List.of("bob", "carol"), users.changes().stream().map(Change::key).toList(), "sorted by key");
    assertInstanceOf(Change.Removed.class, users.changes().get(0));
    assertInstanceOf(Change.Added.class, users.changes().get(1));
    Change.Changed theme = (Change.Changed) d.families().get("settings").changes().get(0);
    assertEquals("dark", theme.before().document().get("value").asText());
    assertEquals("light", theme.after().document().get("value").asText());
    assertEquals(3, d.size());
    assertEquals(1, users.added());
    assertEquals(1, users.removed());
  }

  @Test
  @DisplayName("two snapshots diff per family by natural key into added, removed and changed (with both sides), sorted")
  void snapshotToSnapshot() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot[] v = twoVersions(f);
      DiffResult d = f.engine.diff(ACME, v[0].id(), v[1].id());
      assertExpectedChanges(d);
      assertEquals(Optional.of(v[1].id()), d.to());
      assertEquals(d, f.engine.diff(ACME, v[0].id(), v[1].id()), "deterministic");
    }
  }

  @Test
  @DisplayName("diff(B, A) is the mirror of diff(A, B)")
  void mirror() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot[] v = twoVersions(f);
      DiffResult ab = f.engine.diff(ACME, v[0].id(), v[1].id());
      DiffResult ba = f.engine.diff(ACME, v[1].id(), v[0].id());
      ab.families().forEach((family, diff) -> assertEquals(diff.mirror(), ba.families().get(family)));
      assertEquals(ab.families().keySet(), ba.families().keySet());
    }
  }

  @Test
  @DisplayName("a snapshot diffs against the workload's current state as its host describes it")
  void againstCurrent() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot v1 = f.capture();
      assertTrue(f.engine.diffCurrent(ACME, v1.id()).isEmpty(), "nothing changed yet");
      mutate(f);
      DiffResult d = f.engine.diffCurrent(ACME, v1.id());
      assertExpectedChanges(d);
      assertEquals(Optional.empty(), d.to());
    }
  }

  @Test
  @DisplayName("snapshots of different workloads cannot be diffed: INVALID_ARGUMENT")
  void crossWorkload() throws Exception {
    try (Fixture f = Fixture.create()) {
      WorkloadRef other = WorkloadRef.of(ACME, "ws-2");
      f.directory.place(other, "h1");
      f.seed(other, "h1");
      Snapshot a = f.capture();
      Snapshot b = f.engine.capture(CaptureSpec.of(other));
      assertEquals(ErrorCode.INVALID_ARGUMENT,
          assertThrows(SnapshotException.class, () -> f.engine.diff(ACME, a.id(), b.id())).code());
    }
  }

  @Test
  @DisplayName("an external manifest whose blob is missing gives a degraded diff that says so, not an empty one")
  void missingBlobDegrades() throws Exception {
    try (Fixture f = Fixture.create(o -> o.inlineLimit = 64)) {
      Snapshot[] v = twoVersions(f);
      f.blobs.lose(v[0].manifest().orElseThrow().blobKey().orElseThrow());
      DiffResult d = f.engine.diff(ACME, v[0].id(), v[1].id());
      assertTrue(d.degraded());
      assertFalse(d.isEmpty());
      assertTrue(d.problems().get(0).contains("missing"), d.problems().toString());
      assertTrue(d.problems().get(0).contains(v[0].id().value()));
    }
  }

  @Test
  @DisplayName("an unreadable blob store gives a degraded diff; a corrupt manifest blob fails the diff CORRUPT")
  void unreadableBlobDegradesAndCorruptBlobFails() throws Exception {
    try (Fixture f = Fixture.create(o -> o.inlineLimit = 64)) {
      Snapshot[] v = twoVersions(f);
      f.blobs.put(v[1].manifest().orElseThrow().blobKey().orElseThrow(), "{not json".getBytes(StandardCharsets.UTF_8));
      for (org.junit.jupiter.api.function.Executable diff : List.<org.junit.jupiter.api.function.Executable>of(
          () -> f.engine.diffCurrent(ACME, v[1].id()), () -> f.engine.diff(ACME, v[0].id(), v[1].id()))) {
        SnapshotException corrupt = assertThrows(SnapshotException.class, diff);
        assertEquals(ErrorCode.CORRUPT, corrupt.code());
        assertTrue(corrupt.getMessage().contains("not valid manifest JSON"), corrupt.getMessage());
        assertEquals(v[1].id(), corrupt.snapshotId().orElseThrow());
      }
      f.blobs.failGets(true);
      DiffResult unreadable = f.engine.diff(ACME, v[0].id(), v[1].id());
      assertTrue(unreadable.degraded());
      assertEquals(2, unreadable.problems().size(), "both sides are reported");
    }
  }

  @Test
  @DisplayName("a snapshot that is not READY cannot be diffed: CONFLICT")
  void notReady() throws Exception {
    try (Fixture f = Fixture.create()) {
      f.h1().failNext(io.snapshotkit.testkit.FaultyHostAgent.Op.CAPTURE, io.snapshotkit.testkit.Fault.error("boom"));
      SnapshotException failed = assertThrows(SnapshotException.class, f::capture);
      Snapshot ok = f.capture();
      assertEquals(ErrorCode.CONFLICT, assertThrows(SnapshotException.class,
          () -> f.engine.diff(ACME, failed.snapshotId().orElseThrow(), ok.id())).code());
    }
  }

  @Test
  @DisplayName("when the workload's agent implements HostDiff the engine uses it; its NOT_FOUND answer is a degraded diff, its CORRUPT answer fails CORRUPT")
  void hostDiffIsUsed() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot[] v = twoVersions(f);
      HostAgent agent = mock(HostAgent.class, withSettings().extraInterfaces(HostDiff.class));
      DiffResult fromHost = new DiffResult(v[0].id(), Optional.of(v[1].id()),
          Map.of("files", new FamilyDiff(List.of())), false, List.of());
      when(((HostDiff) agent).diff(W, v[0].id(), Optional.of(v[1].id()))).thenReturn(fromHost);
      when(((HostDiff) agent).diff(W, v[0].id(), Optional.empty()))
          .thenThrow(SnapshotException.notFound("tree object missing"));
      when(((HostDiff) agent).diff(W, v[1].id(), Optional.empty()))
          .thenThrow(new SnapshotException(ErrorCode.CORRUPT, "manifest fails its check"));
      try (SnapshotEngine viaHost = SnapshotEngine.builder().manifestStore(f.store).hosts(HostDirectory.single(agent))
          .lifecycle(Lifecycle.none()).clock(f.clock).executor(Runnable::run).build()) {
        assertSame(fromHost, viaHost.diff(ACME, v[0].id(), v[1].id()));
        DiffResult degraded = viaHost.diffCurrent(ACME, v[0].id());
        assertTrue(degraded.degraded());
        assertTrue(degraded.problems().get(0).contains("tree object missing"));
        SnapshotException corrupt = assertThrows(SnapshotException.class, () -> viaHost.diffCurrent(ACME, v[1].id()));
        assertEquals(ErrorCode.CORRUPT, corrupt.code());
        assertEquals(v[1].id(), corrupt.snapshotId().orElseThrow());
      }
    }
  }
}
