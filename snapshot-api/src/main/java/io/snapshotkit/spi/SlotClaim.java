package io.snapshotkit.spi;

/**
 * What an engine does with a schedule slot it claims through {@link ScheduleStore#claim}; the
 * store counts it in {@link io.snapshotkit.ScheduleState#runs()} or
 * {@link io.snapshotkit.ScheduleState#skips()}.
 */
public enum SlotClaim {
  /** The slot starts a capture. */
  RUN,
  /** The slot is skipped: a capture of the workload was already running. */
  SKIP
}
