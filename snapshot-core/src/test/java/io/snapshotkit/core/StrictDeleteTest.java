package io.snapshotkit.core;

import static io.snapshotkit.core.Fixture.ACME;
import static io.snapshotkit.core.Fixture.W;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.EventType;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.spi.HostStatus;
import io.snapshotkit.testkit.FakeHostAgent;
import io.snapshotkit.testkit.Fault;
import io.snapshotkit.testkit.FaultyHostAgent.Op;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Strict broadcast delete")
class StrictDeleteTest {

  @Test
  @DisplayName("every host is asked; NOT_FOUND from hosts that never held it counts as success; the record, blob and usage go")
  void deleteEverywhere() throws Exception {
    try (Fixture f = Fixture.create(o -> {
      o.hosts = 3;
      o.inlineLimit = 64;
    })) {
      Snapshot s = f.capture();
      assertTrue(f.engine.usageBytes(ACME) > 0);
      f.engine.delete(ACME, s.id());

      assertTrue(f.store.find(s.id()).isEmpty());
      for (FakeHostAgent agent : f.directory.agents()) {
        assertEquals(1, agent.calls(Op.DELETE).size(), "host " + agent.hostId() + " was asked");
      }
      assertFalse(f.h1().hasSnapshot(s.id()));
      assertTrue(f.blobs.keys().isEmpty(), "the external manifest blob is deleted");
      assertEquals(0, f.engine.usageBytes(ACME));
      assertEquals(1, f.events(EventType.DELETED).size());
    }
  }

  @Test
  @DisplayName("a host that reports NOT_FOUND by fault still counts as confirmed")
  void notFoundIsSuccess() throws Exception {
    try (Fixture f = Fixture.create(o -> o.hosts = 2)) {
      Snapshot s = f.capture();
      f.directory.agentFor("h2").failNext(Op.DELETE, Fault.notFound());
      f.engine.delete(ACME, s.id());
      assertTrue(f.store.find(s.id()).isEmpty());
    }
  }

  @Test
  @DisplayName("one host offline keeps the record READY, names that host, emits DELETE_FAILED, and a retry succeeds once it is back")
  void offlineHostKeepsRecord() throws Exception {
    try (Fixture f = Fixture.create(o -> o.hosts = 3)) {
      Snapshot s = f.capture();
      f.directory.setStatus("h2", HostStatus.OFFLINE);
      SnapshotException e = assertThrows(SnapshotException.class, () -> f.engine.delete(ACME, s.id()));
      assertEquals(ErrorCode.CONFLICT, e.code());
      assertEquals(List.of("h2"), e.failedHosts());
      assertTrue(e.getMessage().contains("h2 (host is offline)"), e.getMessage());
      assertEquals(SnapshotStatus.READY, f.row(s.id()).status());
      assertEquals(1, f.events(EventType.DELETE_FAILED).size());
      assertTrue(f.directory.agentFor("h2").calls(Op.DELETE).isEmpty(), "an offline host is not called");

      f.directory.setStatus("h2", HostStatus.ONLINE);
      f.engine.delete(ACME, s.id());
      assertTrue(f.store.find(s.id()).isEmpty());
    }
  }

  @Test
  @DisplayName("unreachable, erroring and timed-out hosts all fail the delete, named in directory order; h1 confirmed, so it stays DELETING")
  void everyFailureNamed() throws Exception {
    try (Fixture f = Fixture.create(o -> {
      o.hosts = 5;
      o.threads = 8;
      // the hanging h4 costs this much; the healthy hosts must answer within it even on a loaded machine
      o.hostTimeout = Duration.ofSeconds(1);
    })) {
      Snapshot s = f.capture();
      f.directory.unreachable("h2", true);
      f.directory.agentFor("h3").failNext(Op.DELETE, Fault.error("disk I/O error"));
      f.directory.agentFor("h4").failNext(Op.DELETE, Fault.hang());
      SnapshotException e = assertThrows(SnapshotException.class, () -> f.engine.delete(ACME, s.id()));
      assertEquals(List.of("h2", "h3", "h4"), e.failedHosts());
      assertTrue(e.getMessage().contains("h4 (timed out"), e.getMessage());
      assertTrue(e.getMessage().contains("h3 (error: disk I/O error)"), e.getMessage());
      assertEquals(SnapshotStatus.DELETING, f.row(s.id()).status(), "h1 dropped the data: never READY again");
      assertFalse(f.h1().hasSnapshot(s.id()), "h1 confirmed its part; the retry will get NOT_FOUND there");
    }
  }

  @Test
  @DisplayName("nothing is removed from the store until every host confirmed: the row is DELETING while one host has not answered")
  void rowStaysUntilAllConfirm() throws Exception {
    try (Fixture f = Fixture.create(o -> o.hosts = 2)) {
      Snapshot s = f.capture();
      CountDownLatch arrived = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      f.directory.agentFor("h2").gate(Op.DELETE, arrived, release);
      Future<?> delete = f.pool
          .submit(() -> f.engine.delete(ACME, s.id()));
      assertTrue(arrived.await(10, TimeUnit.SECONDS));
      assertTrue(f.h1().awaitCalls(Op.DELETE, 1, Duration.ofSeconds(10)));
      assertEquals(SnapshotStatus.DELETING, f.row(s.id()).status(), "h1 answered, h2 has not: the row stays");
      SnapshotException inFlight = assertThrows(SnapshotException.class, () -> f.engine.delete(ACME, s.id()));
      assertEquals(ErrorCode.CONFLICT, inFlight.code());
      assertTrue(inFlight.getMessage().contains("a delete is in flight"), inFlight.getMessage());
      release.countDown();
      delete.get(10, TimeUnit.SECONDS);
      assertTrue(f.store.find(s.id()).isEmpty());
    }
  }

  @Test
  @DisplayName("a delete across 100 hosts asks them all in parallel: all 100 arrive before any is released")
  void hundredHostsInParallel() throws Exception {
    try (Fixture f = Fixture.create(o -> {
      o.hosts = 100;
      o.threads = 110;
    })) {
      Snapshot s = f.capture();
      CountDownLatch arrived = new CountDownLatch(100);
      CountDownLatch release = new CountDownLatch(1);
      for (FakeHostAgent agent : f.directory.agents()) {
        agent.gate(Op.DELETE, arrived, release);
        agent.latency(Op.DELETE, Duration.ofMillis(50));
      }
      Future<?> delete = f.pool
          .submit(() -> f.engine.delete(ACME, s.id()));
      assertTrue(arrived.await(20, TimeUnit.SECONDS), "all 100 host deletes were running at once");
      assertEquals(SnapshotStatus.DELETING, f.row(s.id()).status());
      release.countDown();
      delete.get(20, TimeUnit.SECONDS);
      assertTrue(f.store.find(s.id()).isEmpty());
      assertEquals(100, f.directory.agents().stream().mapToInt(a -> a.calls(Op.DELETE).size()).sum());
    }
  }

  @Test
  @DisplayName("a protected snapshot is FORBIDDEN to delete until unprotected")
  void protectedForbidden() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot s = f.engine.capture(CaptureSpec.of(W).protect(true));
      assertTrue(s.isProtected());
      assertEquals(ErrorCode.FORBIDDEN, assertThrows(SnapshotException.class, () -> f.engine.delete(ACME, s.id())).code());
      assertTrue(f.h1().calls(Op.DELETE).isEmpty());
      assertFalse(f.engine.protect(ACME, s.id(), false).isProtected());
      f.engine.delete(ACME, s.id());
      assertTrue(f.store.find(s.id()).isEmpty());
    }
  }

  @Test
  @DisplayName("a snapshot whose capture is still running cannot be deleted: CONFLICT 'capture still running'")
  void capturingConflict() throws Exception {
    try (Fixture f = Fixture.create()) {
      CountDownLatch arrived = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      f.h1().gate(Op.CAPTURE, arrived, release);
      PendingCapture pending = f.engine.startCapture(CaptureSpec.of(W));
      assertTrue(arrived.await(10, TimeUnit.SECONDS));
      SnapshotException e = assertThrows(SnapshotException.class, () -> f.engine.delete(ACME, pending.snapshot().id()));
      assertEquals(ErrorCode.CONFLICT, e.code());
      assertTrue(e.getMessage().contains("capture is still running"), e.getMessage());
      release.countDown();
      pending.result().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("a FAILED snapshot is deleted strictly too, so partial host data is not orphaned")
  void failedSnapshotDeleted() throws Exception {
    try (Fixture f = Fixture.create(o -> o.hosts = 2)) {
      f.lifecycle.failNextResume(new IllegalStateException("no restart"));
      SnapshotException e = assertThrows(SnapshotException.class, f::capture);
      f.engine.delete(ACME, e.snapshotId().orElseThrow());
      assertTrue(f.store.find(e.snapshotId().orElseThrow()).isEmpty());
      assertEquals(1, f.directory.agentFor("h2").calls(Op.DELETE).size());
    }
  }
}
