package io.snapshotkit.spi;

/**
 * How far to quiesce a workload before capturing or restoring it.
 *
 * <p><b>Thread-safety:</b> immutable.
 */
public enum QuiescePolicy {
  /** Leave it running: fine for purely logical workloads or crash-consistent captures. */
  NONE,
  /** Pause it (freeze processes, flush writes) and resume it afterwards. */
  PAUSE,
  /** Stop it and start it again afterwards on the pinned reference. */
  STOP
}
