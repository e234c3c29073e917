package io.snapshotkit.core;

import static io.snapshotkit.core.Fixture.ACME;
import static io.snapshotkit.core.Fixture.W;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.EventType;
import io.snapshotkit.RetentionPolicy;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.testkit.Fault;
import io.snapshotkit.testkit.FaultyHostAgent.Op;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A delete interrupted after the DELETING mark (the process died during the fan-out) must never
 * leave the snapshot stuck: deleting again, the expiry sweep and retention all finish it.
 */
class InterruptedDeleteTest {

  /** What a crash between the DELETING mark and the row's removal leaves in the store. */
  private static Snapshot interruptedDelete(Fixture f) {
    Snapshot s = f.capture();
    f.store.inTransaction(tx -> tx.compareAndSet(SnapshotStatus.READY, s.withStatus(SnapshotStatus.DELETING)));
    assertEquals(SnapshotStatus.DELETING, f.row(s.id()).status());
    return s;
  }

  @Test
  @DisplayName("deleting a snapshot left DELETING by an interrupted delete resumes it: every host is asked, the row goes")
  void deleteAgainResumes() {
    try (Fixture f = Fixture.create(o -> o.hosts = 2)) {
      Snapshot s = interruptedDelete(f);
      f.engine.delete(ACME, s.id());
      assertTrue(f.store.find(s.id()).isEmpty(), "the resumed delete removed the row");
      assertEquals(1, f.directory.agentFor("h2").calls(Op.DELETE).size(), "every host was asked again");
      assertEquals(1, f.events(EventType.DELETED).size());
    }
  }

  @Test
  @DisplayName("a resumed delete that a host refuses keeps the snapshot DELETING, never READY, and names the host")
  void resumedDeleteThatFailsStaysDeleting() {
    try (Fixture f = Fixture.create(o -> o.hosts = 2)) {
      Snapshot s = interruptedDelete(f);
      f.directory.agentFor("h2").failNext(Op.DELETE, Fault.error("disk I/O error"));
      SnapshotException e = assertThrows(SnapshotException.class, () -> f.engine.delete(ACME, s.id()));
      assertEquals(ErrorCode.CONFLICT, e.code());
      assertEquals(java.util.List.of("h2"), e.failedHosts());
      assertEquals(SnapshotStatus.DELETING, f.row(s.id()).status(), "its data may be gone from h1: not READY");
      f.engine.delete(ACME, s.id());
      assertFalse(f.store.find(s.id()).isPresent(), "the next retry finishes it");
    }
  }

  @Test
  @DisplayName("retention finishes an interrupted delete of the workload, whatever its policy keeps")
  void retentionFinishesIt() {
    try (Fixture f = Fixture.create()) {
      Snapshot s = interruptedDelete(f);
      f.clock.advance(java.time.Duration.ofMinutes(1));
      Snapshot kept = f.capture();
      RetentionResult dry = f.engine.applyRetention(W, RetentionPolicy.keepLast(5), true);
      assertEquals(java.util.List.of(s.id()), dry.deleted(), "the dry run shows the delete it would finish");
      f.engine.applyRetention(W, RetentionPolicy.keepLast(5), false);
      assertTrue(f.store.find(s.id()).isEmpty());
      assertEquals(SnapshotStatus.READY, f.row(kept.id()).status());
    }
  }
}
