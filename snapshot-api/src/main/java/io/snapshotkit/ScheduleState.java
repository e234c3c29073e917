package io.snapshotkit;

import java.time.Instant;
import java.util.Objects;

/**
 * A stored {@link Schedule} and how far it has run.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param schedule the schedule
 * @param lastSlot the time of the most recent slot an engine claimed (ran or skipped); when none
 *     was claimed yet, the time the schedule was first set, so slots before it never run
 * @param runs how many slots started a capture
 * @param skips how many slots were skipped because a capture of the workload was running
 */
public record ScheduleState(Schedule schedule, Instant lastSlot, long runs, long skips) {
  /** Validates. */
  public ScheduleState {
    Objects.requireNonNull(schedule, "schedule");
    Objects.requireNonNull(lastSlot, "lastSlot");
    if (runs < 0 || skips < 0) {
      throw new IllegalArgumentException("runs and skips are counts: " + runs + ", " + skips);
    }
  }

  /** The workload the schedule captures. */
  public WorkloadRef workload() {
    return schedule.workload();
  }
}
