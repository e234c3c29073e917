package io.snapshotkit.spi;

import io.snapshotkit.WorkloadRef;
import java.time.Duration;

/**
 * The per-workload lock the engine holds across quiesce → capture or restore → resume, so two
 * operations never work on one workload at once. The engine's default is an in-process lock;
 * {@code snapshot-jdbc} offers a PostgreSQL advisory lock for several engine instances.
 *
 * <p><b>Threading:</b> thread-safe.
 *
 * <p><b>Idempotency:</b> not re-entrant: acquiring a held workload again waits.
 *
 * <p><b>Failure:</b> throws {@link io.snapshotkit.SnapshotException} with
 * {@link io.snapshotkit.ErrorCode#CONFLICT} when {@code timeout} passes ("another operation is
 * running on this workload; retry when it finishes"); an interrupt while waiting throws
 * {@code CONFLICT} with the interrupt flag set again.
 */
@FunctionalInterface
public interface WorkloadLock {
  /** Takes the workload's lock, waiting at most {@code timeout}. */
  WorkloadLease acquire(WorkloadRef workload, Duration timeout);
}
