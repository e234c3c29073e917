package io.snapshotkit.core;

import static io.snapshotkit.core.Fixture.ACME;
import static io.snapshotkit.core.Fixture.W;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.RetentionPolicy;
import io.snapshotkit.Schedule;
import io.snapshotkit.ScheduleState;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.Trigger;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.testkit.Fault;
import io.snapshotkit.testkit.FaultyHostAgent.Op;
import io.snapshotkit.testkit.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

@DisplayName("Schedules: slots, jitter, skip while capturing, catch-up, retention, bad input")
class SchedulesTest {
  private static final Instant T0 = MutableClock.EPOCH; // 2026-01-01T00:00:00Z, a whole hour

  private static List<Snapshot> scheduled(Fixture f) {
    return f.engine.versions(W).stream().filter(s -> s.trigger().equals(Trigger.SCHEDULE)).toList();
  }

  @Test
  @DisplayName("an interval schedule captures once per slot with trigger schedule and the slot as a label; nothing before its first slot")
  void intervalFiresOncePerSlot() {
    try (Fixture f = Fixture.create()) {
      ScheduleState set = f.engine.schedules().set(Schedule.every(W, Duration.ofHours(1)));
      assertEquals(T0, set.lastSlot(), "a new schedule starts at the time it is set");
      assertEquals(List.of(), f.engine.schedules().runDue().runs(), "the slot at the time it was set does not run");
      f.clock.advance(Duration.ofMinutes(59));
      assertEquals(List.of(), f.engine.schedules().runDue().runs());
      f.clock.advance(Duration.ofMinutes(1));

      ScheduleReport report = f.engine.schedules().runDue();

      assertEquals(1, report.runs().size());
      ScheduleRun run = report.runs().get(0);
      assertEquals(ScheduleRun.Outcome.CAPTURED, run.outcome());
      assertEquals(T0.plus(Duration.ofHours(1)), run.slot());
      assertFalse(run.caughtUp());
      Snapshot s = run.snapshot().orElseThrow();
      assertEquals(Trigger.SCHEDULE, s.trigger());
      assertEquals(SnapshotStatus.READY, s.status());
      assertEquals(run.slot().toString(), s.labels().get("schedule.slot"));
      assertEquals(List.of(), f.engine.schedules().runDue().runs(), "the same slot never runs twice");
      ScheduleState after = f.engine.schedules().get(W).orElseThrow();
      assertEquals(run.slot(), after.lastSlot());
      assertEquals(1, after.runs());
      assertEquals(1, scheduled(f).size());
    }
  }

  @Test
  @DisplayName("a cron schedule (UTC) runs at each matching minute and not between them")
  void cronFiresAtMatchingMinutes() {
    try (Fixture f = Fixture.create()) {
      f.engine.schedules().set(Schedule.cron(W, "*/15 * * * *"));
      Set<Instant> slots = new HashSet<>();
      for (int minute = 1; minute <= 60; minute++) {
        f.clock.advance(Duration.ofMinutes(1));
        for (ScheduleRun run : f.engine.schedules().runDue().runs()) {
          assertEquals(0, (minute % 15), "ran at minute " + minute);
          assertTrue(slots.add(run.slot()));
        }
      }
      assertEquals(Set.of(T0.plusSeconds(900), T0.plusSeconds(1800), T0.plusSeconds(2700), T0.plusSeconds(3600)), slots);
    }
  }

  @Test
  @DisplayName("jitter delays each slot by a deterministic offset below the bound, different across slots")
  void jitterIsDeterministicAndBounded() {
    Duration jitter = Duration.ofMinutes(10);
    Set<Duration> offsets = new HashSet<>();
    for (int i = 1; i <= 50; i++) {
      Instant slot = T0.plus(Duration.ofHours(i));
      Duration offset = ScheduleTiming.offset(W, slot, jitter);
      assertEquals(offset, ScheduleTiming.offset(WorkloadRef.of("acme", "ws-1"), slot, jitter), "same on every instance");
      assertTrue(!offset.isNegative() && offset.compareTo(jitter) < 0, offset + " out of [0, " + jitter + ")");
      offsets.add(offset);
    }
    assertTrue(offsets.size() > 40, "offsets spread: " + offsets.size() + " distinct of 50");
    assertNotEquals(ScheduleTiming.offset(W, T0, jitter), ScheduleTiming.offset(WorkloadRef.of("acme", "ws-2"), T0, jitter));

    try (Fixture f = Fixture.create()) {
      ScheduleState state = f.engine.schedules().set(Schedule.every(W, Duration.ofHours(1)).jitter(jitter));
      Instant slot = T0.plus(Duration.ofHours(1));
      Instant due = slot.plus(ScheduleTiming.offset(W, slot, jitter));
      assertEquals(Optional.of(due), f.engine.schedules().nextDue(state));
      f.clock.set(due.minusNanos(1));
      assertEquals(List.of(), f.engine.schedules().runDue().runs(), "not due before its offset");
      f.clock.set(due);
      assertEquals(List.of(slot), f.engine.schedules().runDue().runs().stream().map(ScheduleRun::slot).toList());
    }
  }

  @Test
  @DisplayName("after a long gap the missed slots are coalesced into one run for the most recent one, never a burst")
  void catchUpRunsOnce() {
    try (Fixture f = Fixture.create()) {
      f.engine.schedules().set(Schedule.every(W, Duration.ofHours(1)));
      f.clock.advance(Duration.ofDays(3).plusMinutes(30)); // 72 slots missed

      ScheduleReport report = f.engine.schedules().runDue();

      assertEquals(1, report.runs().size());
      assertEquals(T0.plus(Duration.ofDays(3)), report.runs().get(0).slot());
      assertTrue(report.runs().get(0).caughtUp());
      assertEquals(List.of(), f.engine.schedules().runDue().runs());
      f.clock.advance(Duration.ofMinutes(30));
      ScheduleRun next = f.engine.schedules().runDue().runs().get(0);
      assertFalse(next.caughtUp(), "back on time");
      assertEquals(2, scheduled(f).size());
    }
  }

  @Test
  @DisplayName("a slot is skipped, and counted, while a capture of the workload is running; the next slot runs")
  void skipsWhileCapturing() throws Exception {
    try (Fixture f = Fixture.create()) {
      f.engine.schedules().set(Schedule.every(W, Duration.ofHours(1)));
      CountDownLatch arrived = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      f.h1().gate(Op.CAPTURE, arrived, release);
      PendingCapture manual = f.engine.startCapture(CaptureSpec.of(W));
      assertTrue(arrived.await(10, TimeUnit.SECONDS));
      f.clock.advance(Duration.ofHours(1));

      ScheduleReport report = f.engine.schedules().runDue();

      assertEquals(1, report.with(ScheduleRun.Outcome.SKIPPED).size(), report.toString());
      assertEquals(1, f.engine.schedules().get(W).orElseThrow().skips());
      assertEquals(List.of(), f.engine.schedules().runDue().runs(), "a skipped slot is used up");
      release.countDown();
      manual.result().get(10, TimeUnit.SECONDS);
      f.clock.advance(Duration.ofHours(1));
      assertEquals(1, f.engine.schedules().runDue().with(ScheduleRun.Outcome.CAPTURED).size());
      ScheduleState state = f.engine.schedules().get(W).orElseThrow();
      assertEquals(1, state.runs());
      assertEquals(1, state.skips());
    }
  }

  @Test
  @DisplayName("the schedule's retention policy runs after each scheduled capture")
  void retentionAfterEachCapture() {
    try (Fixture f = Fixture.create()) {
      f.engine.schedules().set(Schedule.every(W, Duration.ofHours(1)).retention(RetentionPolicy.keepLast(2)));
      for (int i = 0; i < 5; i++) {
        f.clock.advance(Duration.ofHours(1));
        ScheduleRun run = f.engine.schedules().runDue().runs().get(0);
        assertEquals(ScheduleRun.Outcome.CAPTURED, run.outcome());
        assertTrue(run.retention().isPresent());
      }
      List<Snapshot> left = f.engine.versions(W);
      assertEquals(List.of(4, 5), left.stream().map(Snapshot::version).toList());
    }
  }

  @Test
  @DisplayName("a failing scheduled capture is reported FAILED, uses its slot up, and the next slot runs")
  void failedCaptureUsesSlot() {
    try (Fixture f = Fixture.create()) {
      f.engine.schedules().set(Schedule.every(W, Duration.ofHours(1)));
      f.h1().failNext(Op.CAPTURE, Fault.error("disk on fire"));
      f.clock.advance(Duration.ofHours(1));
      ScheduleRun run = f.engine.schedules().runDue().runs().get(0);
      assertEquals(ScheduleRun.Outcome.FAILED, run.outcome());
      assertTrue(run.failure().orElseThrow().getMessage().contains("disk on fire"), run.failure().get().getMessage());
      assertEquals(List.of(), f.engine.schedules().runDue().runs());
      f.clock.advance(Duration.ofHours(1));
      assertEquals(ScheduleRun.Outcome.CAPTURED, f.engine.schedules().runDue().runs().get(0).outcome());
    }
  }

  @Test
  @DisplayName("replacing a schedule keeps its progress; removing it stops it and keeps the snapshots")
  void replaceAndRemove() {
    try (Fixture f = Fixture.create()) {
      f.engine.schedules().set(Schedule.every(W, Duration.ofHours(1)));
      f.clock.advance(Duration.ofHours(1));
      f.engine.schedules().runDue();
      f.engine.schedules().set(Schedule.cron(W, "0 * * * *"));
      assertEquals(List.of(), f.engine.schedules().runDue().runs(), "the hour that ran does not run again");
      assertEquals(List.of(W), f.engine.schedules().list(ACME).stream().map(ScheduleState::workload).toList());
      assertTrue(f.engine.schedules().remove(W));
      assertFalse(f.engine.schedules().remove(W));
      f.clock.advance(Duration.ofHours(1));
      assertEquals(List.of(), f.engine.schedules().runDue().runs());
      assertEquals(1, scheduled(f).size());
    }
  }

  @Test
  @DisplayName("runEvery runs due schedules on the application's scheduler until the engine is closed")
  void runEveryOnAppScheduler() throws Exception {
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    try (Fixture f = Fixture.create()) {
      f.engine.schedules().set(Schedule.every(W, Duration.ofHours(1)));
      f.clock.advance(Duration.ofHours(1));
      ScheduledFuture<?> running = f.engine.schedules().runEvery(scheduler, Duration.ofMillis(20));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (scheduled(f).isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertEquals(1, scheduled(f).size());
      f.engine.close();
      assertTrue(running.isCancelled(), "closing the engine cancels its schedule runs");
      assertFalse(scheduler.isShutdown(), "the scheduler is the application's");
    } finally {
      scheduler.shutdownNow();
    }
  }

  @Test
  @DisplayName("a stored schedule that no longer parses is logged and passed over; the others still run")
  void unreadableScheduleDoesNotStopOthers() {
    try (Fixture f = Fixture.create()) {
      WorkloadRef broken = WorkloadRef.of(ACME, "ws-0");
      f.store.schedules().put(Schedule.cron(broken, "61 * * * *"), T0); // behind the engine's back
      f.engine.schedules().set(Schedule.every(W, Duration.ofHours(1)));
      f.clock.advance(Duration.ofHours(1));
      List<ScheduleRun> runs = f.engine.schedules().runDue().runs();
      assertEquals(List.of(W), runs.stream().map(ScheduleRun::workload).toList());
    }
  }

  @Test
  @DisplayName("bad input is INVALID_ARGUMENT naming what to fix")
  void badInput() {
    try (Fixture f = Fixture.create()) {
      invalid(() -> f.engine.schedules().set(Schedule.cron(W, "61 * * * *")), "invalid cron expression '61 * * * *'");
      invalid(() -> f.engine.schedules().set(Schedule.cron(W, "0 3 * * funday")), "invalid cron expression");
      invalid(() -> Schedule.cron(W, "0 3 * *"), "a Unix cron expression has 5");
      invalid(() -> Schedule.cron(W, " "), "a cron expression is required");
      invalid(() -> f.engine.schedules().set(Schedule.cron(W, "0 0 31 2 *")), "never matches");
      invalid(() -> Schedule.every(W, Duration.ZERO), "interval must be positive");
      invalid(() -> Schedule.every(W, Duration.ofMinutes(-5)), "interval must be positive");
      invalid(() -> Schedule.every(W, Duration.ofHours(1)).jitter(Duration.ofHours(1)), "must be shorter than its interval");
      invalid(() -> Schedule.every(W, Duration.ofHours(1)).jitter(Duration.ofSeconds(-1)), "must not be negative");
      invalid(() -> f.engine.schedules().set(Schedule.cron(W, "*/5 * * * *").jitter(Duration.ofMinutes(5))),
          "shortest gap between its cron slots (PT5M)");
      invalid(() -> f.engine.schedules().runEvery(Executors.newSingleThreadScheduledExecutor(), Duration.ZERO),
          "period must be positive");
      assertEquals(Optional.empty(), f.engine.schedules().get(W), "nothing was stored");
    }
  }

  private static void invalid(Executable call, String says) {
    SnapshotException e = assertThrows(SnapshotException.class, call);
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains(says), "'" + e.getMessage() + "' should say '" + says + "'");
  }
}
