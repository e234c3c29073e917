package io.snapshotkit.core;

import static io.snapshotkit.core.Fixture.ACME;
import static io.snapshotkit.core.Fixture.W;
import static io.snapshotkit.core.Fixture.doc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.EventType;
import io.snapshotkit.FamilyRestore;
import io.snapshotkit.Plan;
import io.snapshotkit.RestoreMode;
import io.snapshotkit.RestoreReport;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.Trigger;
import io.snapshotkit.testkit.Fault;
import io.snapshotkit.testkit.FaultyHostAgent.Op;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Restore and rollback")
class RestoreTest {

  @Test
  @DisplayName("additive restore re-creates what the workload lacks, skips what it has, under lock, quiesce and resume")
  void additiveRestore() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot s = f.capture();
      f.h1().remove(W, "users", "alice");
      f.h1().put(W, "users", "bob", doc("role", "owner"));
      RestoreReport r = f.engine.restore(ACME, s.id(), RestoreSpec.additive());

      assertEquals(RestoreMode.ADDITIVE, r.mode());
      assertEquals(new FamilyRestore(1, 1, List.of()), r.families().get("users"));
      assertEquals(new FamilyRestore(0, 1, List.of()), r.families().get("settings"));
      assertTrue(f.h1().state(W).get("users").containsKey("alice"));
      assertEquals("owner", f.h1().state(W).get("users").get("bob").get("role").asText(), "existing ones are left alone");
      assertFalse(r.partialSnapshot());
      assertEquals(Optional.empty(), r.preRestoreSnapshot());
      assertEquals(1, f.events(EventType.RESTORED).size());
      assertEquals(List.of("quiesce acme/ws-1 PAUSE", "resume acme/ws-1", "quiesce acme/ws-1 PAUSE", "resume acme/ws-1"),
          f.lifecycle.calls());
    }
  }

  @Test
  @DisplayName("running an additive restore twice creates nothing the second time")
  void additiveIdempotent() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot s = f.capture();
      f.h1().remove(W, "users", "alice");
      f.h1().remove(W, "settings", "theme");
      assertEquals(2, f.engine.restore(ACME, s.id(), RestoreSpec.additive()).created());
      RestoreReport again = f.engine.restore(ACME, s.id(), RestoreSpec.additive());
      assertEquals(0, again.created());
      assertEquals(3, again.skipped());
    }
  }

  @Test
  @DisplayName("one failing resource does not stop the rest; unsupported families are reported")
  void failuresAndUnsupported() throws Exception {
    try (Fixture f = Fixture.create()) {
      f.h1().put(W, "secrets", "token", doc("v", "x"));
      Snapshot s = f.capture();
      f.h1().remove(W, "users", "alice");
      f.h1().remove(W, "users", "bob");
      f.h1().unsupportedFamily("secrets");
      f.h1().failNext(Op.RESTORE, Fault.failResource("alice"));
      RestoreReport r = f.engine.restore(ACME, s.id(), RestoreSpec.additive());
      assertEquals(1, r.families().get("users").created());
      assertEquals(1, r.families().get("users").errors().size());
      assertTrue(r.hasErrors());
      assertEquals(List.of("secrets"), r.unsupportedFamilies());
    }
  }

  @Test
  @DisplayName("restoring a partial snapshot says so in the report")
  void partialSnapshotReported() throws Exception {
    try (Fixture f = Fixture.create()) {
      f.h1().failNext(Op.CAPTURE, Fault.partialCapture());
      Snapshot s = f.capture();
      assertTrue(s.partial());
      RestoreReport r = f.engine.restore(ACME, s.id(), RestoreSpec.additive());
      assertTrue(r.partialSnapshot());
      assertTrue(r.warnings().stream().anyMatch(w -> w.contains("partial")));
    }
  }

  @Test
  @DisplayName("a snapshot whose manifest cannot be read is CORRUPT to restore, and the workload is not touched")
  void unreadableManifestIsCorrupt() throws Exception {
    try (Fixture f = Fixture.create(o -> o.inlineLimit = 64)) {
      Snapshot s = f.capture();
      f.blobs.lose(s.manifest().orElseThrow().blobKey().orElseThrow());
      int quiesces = f.lifecycle.quiesceCount();
      assertEquals(ErrorCode.CORRUPT,
          assertThrows(SnapshotException.class, () -> f.engine.restore(ACME, s.id(), RestoreSpec.additive())).code());
      assertEquals(quiesces, f.lifecycle.quiesceCount());
    }
  }

  @Test
  @DisplayName("only READY snapshots restore: a FAILED one is CONFLICT")
  void onlyReady() throws Exception {
    try (Fixture f = Fixture.create()) {
      f.h1().failNext(Op.CAPTURE, Fault.error("boom"));
      SnapshotException failed = assertThrows(SnapshotException.class, f::capture);
      assertEquals(ErrorCode.CONFLICT, assertThrows(SnapshotException.class,
          () -> f.engine.restore(ACME, failed.snapshotId().orElseThrow(), RestoreSpec.replace())).code());
    }
  }

  @Test
  @DisplayName("replace restore makes the workload exactly the snapshot after a pre-restore snapshot taken under the same lock")
  void replaceRestore() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot s = f.capture();
      Map<String, Map<String, JsonNode>> original = f.h1().state(W);
      f.h1().put(W, "users", "mallory", doc("role", "intruder"));
      f.h1().remove(W, "settings", "theme");
      RestoreReport r = f.engine.restore(ACME, s.id(), RestoreSpec.replace());

      assertEquals(original, f.h1().state(W));
      Snapshot pre = f.row(r.preRestoreSnapshot().orElseThrow());
      assertEquals(SnapshotStatus.READY, pre.status());
      assertEquals(Trigger.PRE_RESTORE, pre.trigger());
      assertEquals(s.id().value(), pre.labels().get(SnapshotEngine.LABEL_RESTORE_OF));
      assertTrue(f.h1().state(W).get("users").containsKey("alice"));
      assertFalse(r.redeployFailed());
      assertEquals(List.of("quiesce acme/ws-1 PAUSE", "resume acme/ws-1", "quiesce acme/ws-1 STOP", "resume acme/ws-1"),
          f.lifecycle.calls(), "the pre-restore capture reuses the quiesce and lock already held");
      assertEquals(1, f.h1().calls(Op.PREFLIGHT).size());
      assertEquals(1, f.events(EventType.RESTORED).size());
    }
  }

  @Test
  @DisplayName("a replace restore into another target takes no pre-restore snapshot: the workload's data is not touched")
  void replaceIntoTargetTakesNoPreRestoreSnapshot() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot s = f.capture();
      Map<String, Map<String, JsonNode>> live = f.h1().state(W);
      RestoreReport r = f.engine.restore(ACME, s.id(), RestoreSpec.replace().target("ws-copy"));
      assertEquals(Optional.empty(), r.preRestoreSnapshot());
      assertEquals(List.of(s.id()), f.engine.versions(W).stream().map(Snapshot::id).toList(),
          "no pre_restore version of the workload");
      assertEquals(live, f.h1().state(W));
    }
  }

  @Test
  @DisplayName("a failing pre-flight touches nothing: no lock, no quiesce, no pre-restore snapshot")
  void preflightFailure() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot s = f.capture();
      f.h1().failNext(Op.PREFLIGHT, Fault.corrupt());
      int rows = f.store.snapshotCount();
      int quiesces = f.lifecycle.quiesceCount();
      assertEquals(ErrorCode.CORRUPT, assertThrows(SnapshotException.class,
          () -> f.engine.restore(ACME, s.id(), RestoreSpec.replace())).code());
      assertEquals(quiesces, f.lifecycle.quiesceCount());
      assertEquals(rows, f.store.snapshotCount());
      assertTrue(f.h1().calls(Op.RESTORE).isEmpty());
    }
  }

  @Test
  @DisplayName("if the replace fails the workload is resumed on its original data and the failure thrown")
  void replaceFailureResumes() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot s = f.capture();
      f.h1().remove(W, "users", "alice");
      Map<String, Map<String, JsonNode>> before = f.h1().state(W);
      f.h1().failNext(Op.RESTORE, Fault.failResource("alice"));
      SnapshotException e = assertThrows(SnapshotException.class,
          () -> f.engine.restore(ACME, s.id(), RestoreSpec.replace().preRestoreSnapshot(false)));
      assertEquals(ErrorCode.INTERNAL, e.code());
      assertEquals(before, f.h1().state(W));
      f.lifecycle.assertAllResumed();
      assertTrue(f.events(EventType.RESTORED).isEmpty());
    }
  }

  @Test
  @DisplayName("if only the resume fails after a replace, the restored data is kept and the report says redeployFailed")
  void redeployFailure() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot s = f.capture();
      f.h1().remove(W, "users", "alice");
      f.lifecycle.failNextResume(new IllegalStateException("image pull failed"));
      RestoreReport r = f.engine.restore(ACME, s.id(), RestoreSpec.replace().preRestoreSnapshot(false));
      assertTrue(r.redeployFailed());
      assertTrue(f.h1().state(W).get("users").containsKey("alice"));
      assertTrue(r.warnings().stream().anyMatch(w -> w.contains("image pull failed")));
    }
  }

  @Test
  @DisplayName("a workload that disappears between pre-flight and lock is NOT_FOUND and nothing changes")
  void workloadDisappears() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot s = f.capture();
      CountDownLatch arrived = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      f.h1().gate(Op.PREFLIGHT, arrived, release);
      Future<RestoreReport> restore = f.pool.submit(() -> f.engine.restore(ACME, s.id(), RestoreSpec.replace()));
      assertTrue(arrived.await(10, TimeUnit.SECONDS));
      f.directory.removeWorkload(W);
      release.countDown();
      ExecutionException e = assertThrows(ExecutionException.class, () -> restore.get(10, TimeUnit.SECONDS));
      assertEquals(ErrorCode.NOT_FOUND, ((SnapshotException) e.getCause()).code());
      assertTrue(f.h1().calls(Op.RESTORE).isEmpty());
      assertEquals(1, f.lifecycle.quiesceCount(), "only the capture quiesced");
    }
  }

  @Test
  @DisplayName("a pre-restore snapshot that cannot be taken is a warning; the restore continues")
  void preRestoreBestEffort() throws Exception {
    try (Fixture f = Fixture.create(o -> o.plans = t -> new Plan(1, Optional.empty()))) {
      Snapshot s = f.capture();
      f.h1().remove(W, "users", "alice");
      RestoreReport r = f.engine.restore(ACME, s.id(), RestoreSpec.replace());
      assertEquals(Optional.empty(), r.preRestoreSnapshot());
      assertTrue(r.warnings().get(0).contains("no pre-restore snapshot was taken"), r.warnings().toString());
      assertTrue(f.h1().state(W).get("users").containsKey("alice"));
    }
  }

  @Test
  @DisplayName("rollback to version N restores it, takes a 'rollback' snapshot first and emits snapshot.rolled_back")
  void rollback() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot v1 = f.capture();
      Map<String, Map<String, JsonNode>> atV1 = f.h1().state(W);
      f.h1().put(W, "users", "carol", doc("role", "editor"));
      Snapshot v2 = f.capture();
      RestoreReport r = f.engine.rollback(W, 1);
      assertEquals(v1.id(), r.snapshot());
      assertEquals(atV1, f.h1().state(W));
      Snapshot pre = f.row(r.preRestoreSnapshot().orElseThrow());
      assertEquals(Trigger.ROLLBACK, pre.trigger());
      assertEquals(3, pre.version());
      assertEquals(Optional.of(v2.id()), pre.parent());
      assertEquals(1, f.events(EventType.ROLLED_BACK).size());
      assertEquals(1, f.events(EventType.ROLLED_BACK).get(0).version());

      RestoreReport noPre = f.engine.rollback(W, 2, false);
      assertEquals(Optional.empty(), noPre.preRestoreSnapshot());
      assertTrue(f.h1().state(W).get("users").containsKey("carol"));
    }
  }

  @Test
  @DisplayName("rollback range-checks the version: INVALID_ARGUMENT naming the valid range; a deleted version is NOT_FOUND")
  void rollbackRange() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot v1 = f.capture();
      f.capture();
      for (int bad : new int[] {0, -1, 3}) {
        SnapshotException e = assertThrows(SnapshotException.class, () -> f.engine.rollback(W, bad));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains("versions 1 to 2"), e.getMessage());
      }
      f.engine.delete(ACME, v1.id());
      assertEquals(ErrorCode.NOT_FOUND, assertThrows(SnapshotException.class, () -> f.engine.rollback(W, 1)).code());
      assertEquals(1, f.lifecycle.quiesceCount() / 2, "only the two captures quiesced");
    }
  }
}
