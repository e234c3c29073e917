package io.snapshotkit.spi;

import io.snapshotkit.SnapshotOrigin;
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

  /**
   * Called once on a forked workload after its data is in place and before the fork is reported
   * complete (and so before anything starts it), so a platform can give the child its own
   * identity: machine id, host name, keys. The engine holds the child's lease. The default does
   * nothing.
   *
   * <p><b>Failure:</b> an exception fails the fork: the child snapshot is marked FAILED and its
   * data removed from the host, so no child is left half made.
   *
   * @param child the child workload's lease
   * @param origin the snapshot the child was forked from
   */
  default void prepareFork(WorkloadLease child, SnapshotOrigin origin) {}

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
