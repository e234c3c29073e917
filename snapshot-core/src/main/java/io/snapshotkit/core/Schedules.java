package io.snapshotkit.core;

import io.snapshotkit.Schedule;
import io.snapshotkit.ScheduleState;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.TenantId;
import io.snapshotkit.WorkloadRef;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;

/**
 * Per-workload capture schedules of one {@link SnapshotEngine} ({@link SnapshotEngine#schedules()}):
 * set, read and remove them, and run the due ones. The schedules live in the engine's
 * {@link io.snapshotkit.spi.ManifestStore}, so every engine instance on the store sees the same ones.
 *
 * <pre>{@code
 * engine.schedules().set(Schedule.cron(workload, "0 3 * * *").jitter(Duration.ofMinutes(10))
 *     .retention(RetentionPolicy.builder().keepDaily(7).build()));
 * engine.schedules().runEvery(scheduler, Duration.ofSeconds(30));   // on the application's executor
 * }</pre>
 *
 * <p><b>Running.</b> The engine starts no threads: call {@link #runDue()} periodically, or let
 * {@link #runEvery} do it on a {@link ScheduledExecutorService} the application owns. Each due slot
 * runs once across every engine instance on the store (a compare-and-set on the schedule's last
 * slot); a slot is skipped, and counted in {@link ScheduleState#skips()}, while a capture of the
 * workload is running on any instance. Scheduled snapshots have trigger {@code schedule} and the
 * label {@code schedule.slot}.
 *
 * <p><b>Catch-up after downtime:</b> slots missed while no engine ran are coalesced into one run
 * for the most recent missed slot ({@link ScheduleRun#caughtUp()}), never a burst. A slot is
 * claimed before its capture starts, so a slot whose engine dies mid-way is used up (at most once);
 * a capture left CAPTURING by a dead engine makes the slots after it skip until the reaper
 * ({@link SnapshotEngine#reapStuckCaptures()}) marks it FAILED.
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
public final class Schedules {
  private static final Logger log = EngineContext.LOG;

  private final ScheduleRunner runner;
  private final Runnable ensureOpen;
  private final List<ScheduledFuture<?>> registered = new ArrayList<>();

  Schedules(ScheduleRunner runner, Runnable ensureOpen) {
    this.runner = runner;
    this.ensureOpen = ensureOpen;
  }

  /**
   * Sets the workload's schedule, replacing any it had. A new schedule runs its first slot after
   * now; a replaced one keeps its progress, so no slot that already ran runs again.
   *
   * @return the schedule as stored
   * @throws SnapshotException INVALID_ARGUMENT for a cron expression cron-utils cannot parse or
   *     that never matches, or a jitter not shorter than the shortest gap between its cron slots
   */
  public ScheduleState set(Schedule schedule) {
    Objects.requireNonNull(schedule, "schedule");
    ensureOpen.run();
    return runner.set(schedule);
  }

  /** The workload's schedule, if it has one. */
  public Optional<ScheduleState> get(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    ensureOpen.run();
    return runner.get(workload);
  }

  /** The tenant's schedules, by workload id. */
  public List<ScheduleState> list(TenantId tenant) {
    Objects.requireNonNull(tenant, "tenant");
    ensureOpen.run();
    return runner.list(tenant);
  }

  /** Removes the workload's schedule; false if it had none. Its snapshots are kept. */
  public boolean remove(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    ensureOpen.run();
    return runner.remove(workload);
  }

  /**
   * When the schedule's next slot is due (its time plus its jitter offset), by the engine's clock;
   * a time in the past means it is due now. Empty if the cron expression matches no later date.
   */
  public Optional<Instant> nextDue(ScheduleState state) {
    Objects.requireNonNull(state, "state");
    ensureOpen.run();
    return runner.nextDue(state);
  }

  /**
   * Runs what is due now, once, on the calling thread: for each schedule whose most recent due
   * slot has not been claimed, claims it and either captures the workload (then applies the
   * schedule's retention) or, if a capture of it is running, skips it. Captures run one after
   * another; slots another instance claims first are left to it. A failing capture or retention
   * is reported in its {@link ScheduleRun}, never thrown.
   *
   * @throws SnapshotException {@code CONFLICT} if the engine is closed; the store's failure if the
   *     schedules cannot be listed
   */
  public ScheduleReport runDue() {
    ensureOpen.run();
    return runner.runDue();
  }

  /**
   * Calls {@link #runDue()} on {@code scheduler} now and then every {@code period} after each run
   * ends (fixed delay), logging any failure, until the returned future is cancelled or the engine
   * is closed. The scheduler is the application's: the engine never shuts it down. A period of
   * about a tenth of the shortest schedule interval (30 s to 1 min for cron) keeps slots on time.
   *
   * @throws SnapshotException {@code INVALID_ARGUMENT} for a period that is not positive;
   *     {@code INTERNAL} if the scheduler refuses the task
   */
  public ScheduledFuture<?> runEvery(ScheduledExecutorService scheduler, Duration period) {
    Objects.requireNonNull(scheduler, "scheduler");
    Objects.requireNonNull(period, "period");
    if (period.isNegative() || period.isZero()) {
      throw SnapshotException.invalid("the schedule run period must be positive, not " + period
          + "; give one such as 30 seconds");
    }
    ensureOpen.run();
    ScheduledFuture<?> future;
    try {
      future = scheduler.scheduleWithFixedDelay(this::runQuietly, 0, period.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      throw SnapshotException.wrap("scheduling the schedule runs", e);
    }
    synchronized (registered) {
      registered.add(future);
    }
    return future;
  }

  private void runQuietly() {
    try {
      ScheduleReport report = runner.runDue();
      if (!report.runs().isEmpty()) {
        log.debug("schedule run: {}", report.runs());
      }
    } catch (RuntimeException e) {
      log.warn("a schedule run failed; the next one retries: {}", e.getMessage());
    }
  }

  /** Cancels what {@link #runEvery} registered; called by {@link SnapshotEngine#close()}. */
  void stop() {
    synchronized (registered) {
      registered.forEach(f -> f.cancel(false));
      registered.clear();
    }
  }
}
