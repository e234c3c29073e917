package io.snapshotkit.core;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Schedule;
import io.snapshotkit.ScheduleState;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.TenantId;
import io.snapshotkit.Trigger;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.ScheduleStore;
import io.snapshotkit.spi.SlotClaim;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;

/**
 * The schedules use case: stores checked schedules, and runs the due ones. For each stored
 * schedule, {@link #runDue} picks the most recent slot that is due and after the schedule's last
 * claimed slot, claims it in the store with a compare-and-set on that last slot (so of several
 * engine instances exactly one claims it), and then either captures the workload with trigger
 * {@code schedule} and applies the schedule's retention, or, when a capture of the workload is
 * already running (a CAPTURING snapshot in the store, from any instance), counts the slot as
 * skipped.
 *
 * <p><b>Catch-up:</b> slots missed while no engine ran (or while runs were late) are coalesced:
 * only the most recent due slot runs, once, marked {@link ScheduleRun#caughtUp()}; never a burst.
 *
 * <p><b>At most once per slot:</b> a slot is claimed before its capture starts, so an engine that
 * dies in between uses the slot up without a snapshot; the next slot runs normally.
 *
 * <p><b>Thread-safety:</b> thread-safe; runs of several instances (or threads) interleave safely
 * because every slot is claimed in the store.
 */
final class ScheduleRunner {
  private static final Logger log = EngineContext.LOG;
  /** The label a scheduled snapshot carries: the slot it was taken for. */
  static final String LABEL_SLOT = "schedule.slot";
  /** How many schedules one store read returns. */
  private static final int PAGE = 200;

  private final EngineContext ctx;
  private final Capture capture;
  private final Maintenance maintenance;

  ScheduleRunner(EngineContext ctx, Capture capture, Maintenance maintenance) {
    this.ctx = ctx;
    this.capture = capture;
    this.maintenance = maintenance;
  }

  private ScheduleStore store() {
    return ctx.store().schedules();
  }

  /** See {@link Schedules#set}. */
  ScheduleState set(Schedule schedule) {
    ScheduleTiming.checked(schedule);
    return ctx.read("storing the schedule of " + schedule.workload(),
        () -> store().put(schedule, ctx.clock().instant()));
  }

  /** See {@link Schedules#get}. */
  Optional<ScheduleState> get(WorkloadRef workload) {
    return ctx.read("reading the schedule of " + workload, () -> store().find(workload));
  }

  /** See {@link Schedules#list}. */
  List<ScheduleState> list(TenantId tenant) {
    return ctx.read("listing the schedules of tenant " + tenant, () -> store().list(tenant));
  }

  /** See {@link Schedules#remove}. */
  boolean remove(WorkloadRef workload) {
    return ctx.read("removing the schedule of " + workload, () -> store().remove(workload));
  }

  /** See {@link Schedules#nextDue}. */
  Optional<Instant> nextDue(ScheduleState state) {
    ScheduleTiming timing = ScheduleTiming.of(state.schedule());
    Instant now = ctx.clock().instant();
    Instant last = state.lastSlot();
    // Due already (overdue), or the latest slot whose jitter has not passed, or the next slot.
    Optional<Instant> slot = timing.dueSlot(last, now)
        .or(() -> timing.latestAtOrBefore(now).filter(s -> s.isAfter(last)))
        .or(() -> timing.after(now.isAfter(last) ? now : last));
    return slot.map(timing::due);
  }

  /** See {@link Schedules#runDue}. */
  ScheduleReport runDue() {
    Instant now = ctx.clock().instant();
    List<ScheduleRun> runs = new ArrayList<>();
    Optional<WorkloadRef> after = Optional.empty();
    while (true) {
      Optional<WorkloadRef> cursor = after;
      List<ScheduleState> page = ctx.read("listing schedules", () -> store().page(cursor, PAGE));
      for (ScheduleState state : page) {
        try {
          runIfDue(state, now).ifPresent(runs::add);
        } catch (SnapshotException e) {
          // A schedule that cannot be evaluated (unreadable, or the store failed) must not stop the others.
          log.warn("the schedule of {} could not be run: {}", state.workload(), e.getMessage());
        }
      }
      if (page.size() < PAGE) {
        return new ScheduleReport(runs);
      }
      after = Optional.of(page.get(page.size() - 1).workload());
    }
  }

  private Optional<ScheduleRun> runIfDue(ScheduleState state, Instant now) {
    ScheduleTiming timing = ScheduleTiming.of(state.schedule());
    Optional<Instant> due = timing.dueSlot(state.lastSlot(), now);
    if (due.isEmpty()) {
      return Optional.empty();
    }
    WorkloadRef workload = state.workload();
    Instant slot = due.get();
    boolean caughtUp = timing.missedBefore(slot, state.lastSlot());
    SlotClaim claim = captureRunning(workload) ? SlotClaim.SKIP : SlotClaim.RUN;
    boolean won = ctx.read("claiming slot " + slot + " of the schedule of " + workload,
        () -> store().claim(workload, state.lastSlot(), slot, claim));
    if (!won) {
      return Optional.empty(); // another engine instance claimed it (or the schedule changed): it is theirs
    }
    if (claim == SlotClaim.SKIP) {
      log.info("skipped slot {} of the schedule of {}: a capture of it is running", slot, workload);
      return Optional.of(new ScheduleRun(workload, slot, ScheduleRun.Outcome.SKIPPED, caughtUp, Optional.empty(),
          Optional.empty(), Optional.empty()));
    }
    if (caughtUp) {
      log.info("schedule of {}: slots before {} were missed; running this one only", workload, slot);
    }
    Snapshot snapshot;
    try {
      // timed like the facade's captures, so a scheduled capture counts in the observer's metrics
      snapshot = ctx.observations().timed(EngineOperation.CAPTURE, () -> capture.capture(CaptureSpec.of(workload)
          .trigger(Trigger.SCHEDULE).labels(Map.of(LABEL_SLOT, slot.toString()))));
    } catch (SnapshotException e) {
      log.warn("the scheduled capture of {} for slot {} failed: {}", workload, slot, e.getMessage());
      return Optional.of(failed(workload, slot, caughtUp, Optional.empty(), e));
    }
    if (state.schedule().retention().isEmpty()) {
      return Optional.of(new ScheduleRun(workload, slot, ScheduleRun.Outcome.CAPTURED, caughtUp,
          Optional.of(snapshot), Optional.empty(), Optional.empty()));
    }
    try {
      RetentionResult retention = ctx.observations().timed(EngineOperation.RETENTION,
          () -> maintenance.applyRetention(workload, state.schedule().retention().get(), false));
      if (!retention.failed().isEmpty()) {
        return Optional.of(new ScheduleRun(workload, slot, ScheduleRun.Outcome.FAILED, caughtUp, Optional.of(snapshot),
            Optional.of(retention), Optional.of(new SnapshotException(ErrorCode.CONFLICT, "retention after the scheduled "
                + "capture could not delete " + retention.failed() + "; the next retention run retries them")
                .withWorkload(workload))));
      }
      return Optional.of(new ScheduleRun(workload, slot, ScheduleRun.Outcome.CAPTURED, caughtUp,
          Optional.of(snapshot), Optional.of(retention), Optional.empty()));
    } catch (SnapshotException e) {
      log.warn("retention after the scheduled capture of {} failed: {}", workload, e.getMessage());
      return Optional.of(failed(workload, slot, caughtUp, Optional.of(snapshot), e));
    }
  }

  private static ScheduleRun failed(WorkloadRef workload, Instant slot, boolean caughtUp, Optional<Snapshot> snapshot,
      SnapshotException e) {
    return new ScheduleRun(workload, slot, ScheduleRun.Outcome.FAILED, caughtUp, snapshot, Optional.empty(),
        Optional.of(new SnapshotException(e.code(), Capture.failureReason(e), e).withWorkload(workload)));
  }

  /** Whether any engine instance is capturing the workload now: it has a CAPTURING snapshot. */
  private boolean captureRunning(WorkloadRef workload) {
    SnapshotQuery capturing = SnapshotQuery.of(workload).statuses(Set.of(SnapshotStatus.CAPTURING)).limit(1);
    return !ctx.read("checking for a running capture of " + workload, () -> ctx.store().list(capturing))
        .items().isEmpty();
  }
}
