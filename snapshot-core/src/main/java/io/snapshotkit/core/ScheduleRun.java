package io.snapshotkit.core;

import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.WorkloadRef;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What one claimed schedule slot did, in a {@link ScheduleReport}.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param workload the scheduled workload
 * @param slot the slot this engine claimed (its nominal time, before jitter)
 * @param outcome what became of it
 * @param caughtUp whether earlier slots were missed (the engine was down, or runs were late) and
 *     coalesced into this one
 * @param snapshot the READY snapshot, when {@link Outcome#CAPTURED}
 * @param retention what the schedule's retention policy did after the capture, if it has one
 * @param failure why, when {@link Outcome#FAILED}: the failure of the capture, or of the retention
 *     after it (its message includes what the host said)
 */
public record ScheduleRun(WorkloadRef workload, Instant slot, Outcome outcome, boolean caughtUp,
    Optional<Snapshot> snapshot, Optional<RetentionResult> retention, Optional<SnapshotException> failure) {

  /** Validates. */
  public ScheduleRun {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(slot, "slot");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(snapshot, "snapshot");
    Objects.requireNonNull(retention, "retention");
    Objects.requireNonNull(failure, "failure");
  }

  /** What became of a claimed slot. */
  public enum Outcome {
    /** A capture with trigger {@code schedule} made a READY snapshot. */
    CAPTURED,
    /** A capture of the workload was running, so this slot was skipped (counted in the schedule's skips). */
    SKIPPED,
    /** The capture failed, or its retention did; the slot is used up and the next one runs normally. */
    FAILED
  }
}
