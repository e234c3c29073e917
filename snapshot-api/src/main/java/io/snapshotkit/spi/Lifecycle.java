package io.snapshotkit.spi;

import java.util.Objects;
import java.util.Optional;

/**
 * The application's control of a running workload. The engine calls {@link #quiesce} and then,
 * always, {@link #resume} — even when the work in between failed or the caller was interrupted —
 * with the {@link WorkloadLease} held throughout. Implementations never take the lock themselves.
 *
 * <p><b>Threading:</b> called from engine threads, never concurrently for one workload.
 *
 * <p><b>Failure:</b> an exception from {@link #quiesce} aborts the operation before any work
 * (the engine does not call resume). An exception from {@link #resume} after a capture fails the
 * capture; after a replace restore the restored data is kept and the report says the redeploy
 * failed.
 */
public interface Lifecycle {

  /**
   * Brings the workload to a consistent state per {@code policy} and reports what it runs on.
   *
   * <p><b>Idempotency:</b> quiescing an already quiesced workload is harmless.
   */
  Quiesced quiesce(WorkloadLease lease, QuiescePolicy policy);

  /**
   * Brings the workload back, on exactly {@code state.runningReference()} if it was stopped.
   *
   * <p><b>Idempotency:</b> resuming a running workload is harmless.
   */
  void resume(WorkloadLease lease, Quiesced state);

  /** A lifecycle for purely logical workloads: nothing to quiesce or resume. */
  static Lifecycle none() {
    return new Lifecycle() {
      @Override
      public Quiesced quiesce(WorkloadLease lease, QuiescePolicy policy) {
        Objects.requireNonNull(lease, "lease");
        return new Quiesced(lease.workload(), policy, Optional.empty());
      }

      @Override
      public void resume(WorkloadLease lease, Quiesced state) {
        Objects.requireNonNull(lease, "lease");
        Objects.requireNonNull(state, "state");
      }
    };
  }
}
