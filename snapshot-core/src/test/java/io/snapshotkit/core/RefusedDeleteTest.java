package io.snapshotkit.core;

import static io.snapshotkit.core.Fixture.ACME;
import static io.snapshotkit.core.Fixture.W;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.EventType;
import io.snapshotkit.Plan;
import io.snapshotkit.RetentionPolicy;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.spi.HostStatus;
import io.snapshotkit.testkit.FakeHostAgent;
import io.snapshotkit.testkit.Fault;
import io.snapshotkit.testkit.FaultyHostAgent.Op;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A strict delete that cannot finish must leave the truth behind: READY only while the data is
 * certainly intact, DELETING (restore refused, finished by the next delete, sweep or retention
 * run) as soon as any host may have dropped its part.
 */
@DisplayName("A refused strict delete never leaves a READY snapshot without its data")
class RefusedDeleteTest {

  @Test
  @DisplayName("hosts the directory reports OFFLINE or DRAINING fail the delete before any host is asked: CONFLICT naming them, still READY, restorable")
  void offlineHostRefusesBeforeAnyHostIsAsked() {
    try (Fixture f = Fixture.create(o -> o.hosts = 5)) {
      Snapshot s = f.capture();
      f.directory.setStatus("h3", HostStatus.OFFLINE);
      f.directory.setStatus("h5", HostStatus.DRAINING);

      SnapshotException e = assertThrows(SnapshotException.class, () -> f.engine.delete(ACME, s.id()));

      assertEquals(ErrorCode.CONFLICT, e.code());
      assertEquals(List.of("h3", "h5"), e.failedHosts());
      assertTrue(e.getMessage().contains("h3 (host is offline), h5 (host is draining)"), e.getMessage());
      assertTrue(e.getMessage().contains("nothing was deleted"), e.getMessage());
      for (FakeHostAgent agent : f.directory.agents()) {
        assertEquals(List.of(), agent.calls(Op.DELETE), "host " + agent.hostId() + " was not asked");
      }
      assertEquals(SnapshotStatus.READY, f.row(s.id()).status());
      assertTrue(f.h1().hasSnapshot(s.id()), "h1 still holds the data");
      assertEquals(1, f.events(EventType.DELETE_FAILED).size());
      f.engine.restore(ACME, s.id(), RestoreSpec.replace());
    }
  }

  @Test
  @DisplayName("once a host confirmed, a refused delete stays DELETING: listed so, restore refused with how to finish, the next delete finishes it")
  void partlyConfirmedDeleteStaysDeleting() {
    try (Fixture f = Fixture.create(o -> o.hosts = 5)) {
      Snapshot s = f.capture();
      f.directory.agentFor("h3").failNext(Op.DELETE, Fault.error("disk I/O error"));

      SnapshotException e = assertThrows(SnapshotException.class, () -> f.engine.delete(ACME, s.id()));

      assertEquals(ErrorCode.CONFLICT, e.code());
      assertEquals(List.of("h3"), e.failedHosts());
      assertTrue(e.getMessage().contains("stays DELETING"), e.getMessage());
      assertTrue(e.getMessage().contains("run delete again once h3 is back"), e.getMessage());
      assertFalse(f.h1().hasSnapshot(s.id()), "h1 dropped the data");
      assertEquals(SnapshotStatus.DELETING, f.row(s.id()).status(), "not READY: its data is gone from h1");
      assertEquals("h3 (error: disk I/O error) did not confirm the delete; run delete again once h3 is back to finish it",
          f.row(s.id()).failure().orElseThrow(), "the row says what is left to do");
      assertEquals(List.of(SnapshotStatus.DELETING),
          f.engine.list(SnapshotQuery.of(W)).items().stream().map(Snapshot::status).toList());

      SnapshotException restore = assertThrows(SnapshotException.class,
          () -> f.engine.restore(ACME, s.id(), RestoreSpec.replace()));
      assertEquals(ErrorCode.CONFLICT, restore.code());
      assertTrue(restore.getMessage().contains("a delete of it is in progress"), restore.getMessage());
      assertTrue(restore.getMessage().contains("run delete again once h3 is back"), restore.getMessage());
      SnapshotException rollback = assertThrows(SnapshotException.class, () -> f.engine.rollback(W, 1));
      assertEquals(ErrorCode.CONFLICT, rollback.code());

      f.engine.delete(ACME, s.id());
      assertTrue(f.store.find(s.id()).isEmpty(), "the next delete finished it");
    }
  }

  @Test
  @DisplayName("a delete no host confirmed (the only host failed) puts the snapshot back to READY, data intact")
  void unconfirmedDeleteGoesBackToReady() {
    try (Fixture f = Fixture.create()) {
      Snapshot s = f.capture();
      f.h1().failNext(Op.DELETE, Fault.error("disk I/O error"));

      SnapshotException e = assertThrows(SnapshotException.class, () -> f.engine.delete(ACME, s.id()));

      assertEquals(List.of("h1"), e.failedHosts());
      assertTrue(e.getMessage().contains("READY again"), e.getMessage());
      assertEquals(SnapshotStatus.READY, f.row(s.id()).status());
      assertTrue(f.h1().hasSnapshot(s.id()));
      f.engine.restore(ACME, s.id(), RestoreSpec.replace());
    }
  }

  @Test
  @DisplayName("a host that timed out may have dropped the data: the snapshot stays DELETING even though no host confirmed")
  void timedOutHostKeepsDeleting() {
    try (Fixture f = Fixture.create(o -> o.hostTimeout = Duration.ofSeconds(1))) {
      Snapshot s = f.capture();
      f.h1().failNext(Op.DELETE, Fault.hang());

      SnapshotException e = assertThrows(SnapshotException.class, () -> f.engine.delete(ACME, s.id()));

      assertEquals(List.of("h1"), e.failedHosts());
      assertEquals(SnapshotStatus.DELETING, f.row(s.id()).status());
      f.h1().releaseHangs();
      f.engine.delete(ACME, s.id());
      assertTrue(f.store.find(s.id()).isEmpty());
    }
  }

  @Test
  @DisplayName("retention finishes a partly confirmed delete")
  void retentionFinishesPartlyConfirmedDelete() {
    try (Fixture f = Fixture.create(o -> o.hosts = 3)) {
      Snapshot s = f.capture();
      f.directory.agentFor("h2").failNext(Op.DELETE, Fault.error("disk I/O error"));
      assertThrows(SnapshotException.class, () -> f.engine.delete(ACME, s.id()));
      assertEquals(SnapshotStatus.DELETING, f.row(s.id()).status());

      RetentionResult result = f.engine.applyRetention(W, RetentionPolicy.keepLast(5), false);

      assertEquals(List.of(s.id()), result.deleted());
      assertTrue(f.store.find(s.id()).isEmpty());
    }
  }

  @Test
  @DisplayName("the expiry sweep finishes a partly confirmed delete of an expired snapshot")
  void sweepFinishesPartlyConfirmedDelete() {
    try (Fixture f = Fixture.create(o -> {
      o.hosts = 3;
      o.plans = t -> Plan.of(-1, Duration.ofHours(1));
    })) {
      Snapshot s = f.capture();
      f.directory.agentFor("h2").failNext(Op.DELETE, Fault.error("disk I/O error"));
      assertThrows(SnapshotException.class, () -> f.engine.delete(ACME, s.id()));
      assertEquals(SnapshotStatus.DELETING, f.row(s.id()).status());
      f.clock.advance(Duration.ofHours(2));

      SweepReport report = f.engine.sweepExpired();

      assertEquals(List.of(s.id()), report.deleted());
      assertTrue(f.store.find(s.id()).isEmpty());
    }
  }
}
