package io.snapshotkit.spi;

import io.snapshotkit.WorkloadRef;

/**
 * A held per-workload lock from {@link WorkloadLock#acquire}. Closing releases it.
 *
 * <p><b>Threading:</b> confined to the thread that acquired it, except {@link #isHeld()}.
 *
 * <p><b>Idempotency:</b> {@link #close()} twice is harmless.
 */
public interface WorkloadLease extends AutoCloseable {
  /** The workload locked. */
  WorkloadRef workload();

  /** Whether the lease is still held (false after close, or if the backing connection was lost). */
  boolean isHeld();

  /** Releases the lock. Never throws. */
  @Override
  void close();
}
