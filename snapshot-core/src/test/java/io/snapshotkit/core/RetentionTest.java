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
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.HostStatus;
import io.snapshotkit.testkit.FakeHostAgent;
import io.snapshotkit.testkit.FaultyHostAgent.Op;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Retention: expiry sweeper, keep-last/daily/weekly policies, stuck-capture reaper")
class RetentionTest {

  @Test
  @DisplayName("the sweeper deletes expired snapshots on every host with snapshot.expired; protected and unexpired ones stay")
  void sweeperDeletesExpired() throws Exception {
    try (Fixture f = Fixture.create(o -> {
      o.hosts = 3;
      o.plans = t -> Plan.of(-1, Duration.ofDays(1));
    })) {
      Snapshot kept = f.engine.capture(CaptureSpec.of(W).protect(true));
      Snapshot old = f.capture();
      f.clock.advance(Duration.ofHours(12));
      Snapshot young = f.capture();
      f.clock.advance(Duration.ofHours(13));

      SweepReport report = f.engine.sweepExpired();

      assertEquals(List.of(old.id()), report.deleted());
      assertEquals(Map.of(), report.failed());
      assertTrue(f.store.find(old.id()).isEmpty());
      for (FakeHostAgent agent : f.directory.agents()) {
        assertEquals(1, agent.calls(Op.DELETE).size(), "strict delete asks every host, " + agent.hostId() + " too");
      }
      assertEquals(SnapshotStatus.READY, f.row(kept.id()).status(), "protected snapshots never expire");
      assertEquals(SnapshotStatus.READY, f.row(young.id()).status());
      List<SnapshotEvent> expired = f.events(EventType.EXPIRED);
      assertEquals(1, expired.size());
      assertEquals(Optional.of(old.id()), expired.get(0).snapshotId());
      assertEquals(List.of(), f.events(EventType.DELETED), "expiry is reported as expired, not as a user delete");
      assertEquals(f.store.usageBytes(ACME), f.engine.usageBytes(ACME), "usage re-synced after the sweep");
    }
  }

  @Test
  @DisplayName("a sweep whose strict delete fails keeps the snapshot READY, reports why, and the next sweep retries it")
  void sweeperRetriesFailures() throws Exception {
    try (Fixture f = Fixture.create(o -> {
      o.hosts = 2;
      o.plans = t -> Plan.of(-1, Duration.ofHours(1));
    })) {
      Snapshot s = f.capture();
      f.clock.advance(Duration.ofHours(2));
      f.directory.setStatus("h2", HostStatus.OFFLINE);

      SweepReport first = f.engine.sweepExpired();
      assertEquals(List.of(), first.deleted());
      assertTrue(first.failed().get(s.id()).contains("h2"), first.failed().toString());
      assertEquals(SnapshotStatus.READY, f.row(s.id()).status());
      assertEquals(1, f.events(EventType.DELETE_FAILED).size());

      f.directory.setStatus("h2", HostStatus.ONLINE);
      SweepReport second = f.engine.sweepExpired();
      assertEquals(List.of(s.id()), second.deleted());
      assertTrue(f.store.find(s.id()).isEmpty());
      assertEquals(1, f.events(EventType.EXPIRED).size());
    }
  }

  @Test
  @DisplayName("keep-last keeps the N newest READY snapshots and strictly deletes the rest; a dry run deletes nothing")
  void keepLast() throws Exception {
    try (Fixture f = Fixture.create(o -> o.hosts = 2)) {
      List<SnapshotId> ids = new java.util.ArrayList<>();
      for (int i = 0; i < 5; i++) {
        ids.add(f.capture().id());
        f.clock.advance(Duration.ofMinutes(1));
      }
      RetentionResult dry = f.engine.applyRetention(W, RetentionPolicy.keepLast(2), true);
      assertTrue(dry.dryRun());
      assertEquals(List.of(ids.get(4), ids.get(3)), dry.kept());
      assertEquals(List.of(ids.get(2), ids.get(1), ids.get(0)), dry.deleted());
      assertEquals(5, f.store.snapshotCount(), "a dry run deletes nothing");

      f.directory.setStatus("h2", HostStatus.OFFLINE);
      RetentionResult blocked = f.engine.applyRetention(W, RetentionPolicy.keepLast(2), false);
      assertEquals(List.of(), blocked.deleted());
      assertEquals(3, blocked.failed().size(), "each failed delete is reported and stays READY");
      assertEquals(5, f.engine.versions(W).size());

      f.directory.setStatus("h2", HostStatus.ONLINE);
      RetentionResult done = f.engine.applyRetention(W, RetentionPolicy.keepLast(2), false);
      assertFalse(done.dryRun());
      assertEquals(dry.deleted(), done.deleted());
      assertEquals(List.of(4, 5), f.engine.versions(W).stream().map(Snapshot::version).toList());
      assertEquals(3, f.events(EventType.DELETED).size());
    }
  }

  @Test
  @DisplayName("keep-daily keeps the newest snapshot of each of the newest N UTC days; keep-weekly of each ISO week; protected always stay")
  void keepDailyAndWeekly() throws Exception {
    try (Fixture f = Fixture.create()) {
      // 2026-01-01 is a Thursday: Jan 1 and 2 are in ISO week 1, Jan 9 in week 2, Jan 15 in week 3.
      Snapshot jan1Early = captureAt(f, "2026-01-01T08:00:00Z");
      Snapshot jan1Late = captureAt(f, "2026-01-01T12:00:00Z");
      Snapshot jan2 = captureAt(f, "2026-01-02T09:00:00Z");
      Snapshot jan9Early = captureAt(f, "2026-01-09T10:00:00Z");
      Snapshot jan9Late = captureAt(f, "2026-01-09T11:00:00Z");
      Snapshot jan15 = captureAt(f, "2026-01-15T11:00:00Z");

      RetentionResult daily = f.engine.applyRetention(W, new RetentionPolicy(0, 3, 0), true);
      assertEquals(List.of(jan15.id(), jan9Late.id(), jan2.id()), daily.kept());
      assertEquals(List.of(jan9Early.id(), jan1Late.id(), jan1Early.id()), daily.deleted());

      RetentionResult weekly = f.engine.applyRetention(W, new RetentionPolicy(0, 0, 3), true);
      assertEquals(List.of(jan15.id(), jan9Late.id(), jan2.id()), weekly.kept());

      RetentionResult combined = f.engine.applyRetention(W, new RetentionPolicy(1, 0, 2), true);
      assertEquals(List.of(jan15.id(), jan9Late.id()), combined.kept(), "keep-last 1 and the newest of 2 weeks overlap");

      f.engine.protect(ACME, jan1Early.id(), true);
      RetentionResult applied = f.engine.applyRetention(W, new RetentionPolicy(0, 3, 0), false);
      assertEquals(List.of(jan15.id(), jan9Late.id(), jan2.id(), jan1Early.id()), applied.kept());
      assertEquals(List.of(jan9Early.id(), jan1Late.id()), applied.deleted());
      assertEquals(List.of(jan1Early.id(), jan2.id(), jan9Late.id(), jan15.id()),
          f.engine.versions(W).stream().map(Snapshot::id).toList());
    }
  }

  @Test
  @DisplayName("keep-hourly, keep-monthly and keep-yearly keep the newest of each UTC hour, month and year; keep-within keeps everything close to the newest")
  void keepHourlyMonthlyYearlyAndWithin() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot y2024 = captureAt(f, "2024-12-31T23:00:00Z");
      Snapshot feb1 = captureAt(f, "2026-02-01T08:00:00Z");
      Snapshot feb2 = captureAt(f, "2026-02-20T08:00:00Z");
      Snapshot mar10a = captureAt(f, "2026-03-10T10:05:00Z");
      Snapshot mar10b = captureAt(f, "2026-03-10T10:45:00Z");
      Snapshot mar10c = captureAt(f, "2026-03-10T11:15:00Z");

      RetentionResult hourly = f.engine.applyRetention(W, RetentionPolicy.builder().keepHourly(2).build(), true);
      assertEquals(List.of(mar10c.id(), mar10b.id()), hourly.kept(), "the newest of the 11:00 and the 10:00 hour");

      RetentionResult monthly = f.engine.applyRetention(W, RetentionPolicy.builder().keepMonthly(3).build(), true);
      assertEquals(List.of(mar10c.id(), feb2.id(), y2024.id()), monthly.kept(), "months without snapshots do not count");

      RetentionResult yearly = f.engine.applyRetention(W, RetentionPolicy.builder().keepYearly(5).build(), true);
      assertEquals(List.of(mar10c.id(), y2024.id()), yearly.kept());

      RetentionResult within = f.engine.applyRetention(W,
          RetentionPolicy.builder().keepWithin(Duration.ofDays(19)).build(), true);
      assertEquals(List.of(mar10c.id(), mar10b.id(), mar10a.id(), feb2.id()), within.kept(),
          "within 19 days of the newest snapshot (Feb 20 08:00 is 18 days 3 h 15 min before it), whatever the clock says");

      SnapshotException negative = assertThrows(SnapshotException.class,
          () -> RetentionPolicy.builder().keepHourly(-1).build());
      assertEquals(ErrorCode.INVALID_ARGUMENT, negative.code());
      SnapshotException zero = assertThrows(SnapshotException.class,
          () -> RetentionPolicy.builder().keepWithin(Duration.ZERO).build());
      assertEquals(ErrorCode.INVALID_ARGUMENT, zero.code());
    }
  }

  @Test
  @DisplayName("the reaper fails CAPTURING snapshots older than stuckCaptureAfter with snapshot.failed and leaves younger ones")
  void reaper() throws Exception {
    WorkloadRef other = WorkloadRef.of(ACME, "ws-2");
    try (Fixture f = Fixture.create(o -> o.stuckAfter = Duration.ofMinutes(10))) {
      f.directory.place(other, "h1");
      f.seed(other, "h1");
      CountDownLatch arrived = new CountDownLatch(2);
      CountDownLatch release = new CountDownLatch(1);
      f.h1().gate(Op.CAPTURE, arrived, release);
      PendingCapture stuck = f.engine.startCapture(CaptureSpec.of(W));
      f.clock.advance(Duration.ofMinutes(6));
      PendingCapture younger = f.engine.startCapture(CaptureSpec.of(other));
      assertTrue(arrived.await(10, TimeUnit.SECONDS));

      assertEquals(0, f.engine.reapStuckCaptures(), "6 minutes is not stuck yet");
      f.clock.advance(Duration.ofMinutes(5));
      assertEquals(1, f.engine.reapStuckCaptures());
      assertEquals(SnapshotStatus.FAILED, f.row(stuck.snapshot().id()).status());
      assertEquals(SnapshotStatus.CAPTURING, f.row(younger.snapshot().id()).status());
      SnapshotEvent failed = f.events(EventType.FAILED).get(0);
      assertEquals(Optional.of(stuck.snapshot().id()), failed.snapshotId());
      assertTrue(failed.metadata().get("reason").contains("did not finish within PT10M"), failed.metadata().toString());
      assertEquals(0, f.engine.reapStuckCaptures(), "reaping twice changes nothing");

      release.countDown();
      ExecutionException late = assertThrows(ExecutionException.class, () -> stuck.result().get(10, TimeUnit.SECONDS));
      assertEquals(ErrorCode.CONFLICT, ((SnapshotException) late.getCause()).code());
      assertEquals(SnapshotStatus.READY, younger.result().get(10, TimeUnit.SECONDS).status());
      assertEquals(1, f.events(EventType.FAILED).size());
      f.lifecycle.assertAllResumed();
    }
  }

  private static Snapshot captureAt(Fixture f, String instant) {
    f.clock.set(Instant.parse(instant));
    return f.capture();
  }
}
