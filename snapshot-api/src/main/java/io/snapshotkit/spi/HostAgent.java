package io.snapshotkit.spi;

import io.snapshotkit.Manifest;
import io.snapshotkit.ProgressListener;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import java.util.OptionalLong;

/**
 * One host's data plane: it captures a workload's state, describes it, restores it, deletes a
 * snapshot's data and reports sizes.
 *
 * <p><b>Threading:</b> every method may be called concurrently from the engine's executor. The
 * engine never calls {@link #capture} or {@link #restore} concurrently for one workload (it holds
 * the {@link WorkloadLock}), but does for different workloads, and calls {@link #delete} for many
 * snapshots at once.
 *
 * <p><b>Failure:</b> throw {@link io.snapshotkit.SnapshotException} with
 * {@link io.snapshotkit.ErrorCode#HOST_UNAVAILABLE} when the host cannot be reached,
 * {@link io.snapshotkit.ErrorCode#NOT_FOUND} when the workload or snapshot is unknown,
 * {@link io.snapshotkit.ErrorCode#CORRUPT} when stored data fails its check,
 * {@link io.snapshotkit.ErrorCode#INSUFFICIENT_STORAGE} when a disk fills up. Any other runtime
 * exception is treated as {@link io.snapshotkit.ErrorCode#INTERNAL} with the cause kept (or as
 * {@code INSUFFICIENT_STORAGE} when it was caused by a full disk, see
 * {@link io.snapshotkit.SnapshotException#wrap}).
 */
public interface HostAgent {

  /**
   * Captures the workload's state under {@code request.snapshotId()}. The engine has quiesced
   * the workload (per policy) and holds its lock.
   *
   * <p><b>Idempotency:</b> a retry with the same snapshot id replaces a previous attempt's data.
   *
   * <p><b>Failure:</b> any exception leaves the snapshot FAILED; the agent removes what it
   * wrote for that id, or leaves it for {@link #delete} to remove.
   *
   * @return the manifest and stored size
   */
  CaptureResult capture(CaptureRequest request);

  /**
   * {@link #capture(CaptureRequest)}, reporting its progress to {@code progress} (rate-limited,
   * best effort: see {@link ProgressListener}). The request record stays as it is; progress is a
   * separate argument so agents written before it keep compiling and working. The default reports
   * nothing and captures; an agent that can count its work overrides it (with a
   * {@link ProgressTracker}) and makes {@link #capture(CaptureRequest)} call it with
   * {@link ProgressListener#NONE}.
   *
   * <p>Exclude patterns ({@link CaptureRequest#excludes()}) come to this method: an agent that can
   * leave paths out overrides it, records the patterns with the snapshot and leaves those paths
   * alone on a replace restore. The default accepts no patterns.
   *
   * <p><b>Threading, idempotency, failure:</b> as {@link #capture(CaptureRequest)}. A listener that
   * throws never fails the capture.
   *
   * @throws io.snapshotkit.SnapshotException INVALID_ARGUMENT (in the default) if the request has
   *     exclude patterns: this agent cannot exclude paths
   */
  default CaptureResult capture(CaptureRequest request, ProgressListener progress) {
    if (!request.excludes().isEmpty()) {
      throw io.snapshotkit.SnapshotException.invalid("the host agent " + getClass().getSimpleName()
          + " cannot exclude paths from a capture; capture without exclude patterns, or use an agent that "
          + "supports them (FsHostAgent)");
    }
    return capture(request);
  }

  /**
   * Describes the workload's current state in the same families {@link #capture} would
   * produce, without storing anything. Used to diff a snapshot against "current".
   *
   * <p><b>Idempotency:</b> read-only.
   *
   * <p><b>Failure:</b> {@code NOT_FOUND} if the workload does not exist on this host.
   */
  Manifest describe(WorkloadRef workload);

  /**
   * Restores a snapshot. {@link io.snapshotkit.RestoreMode#ADDITIVE} re-creates resources the
   * workload lacks, keyed by natural key, skips existing ones, and reports a failing resource in
   * {@link RestoreOutcome} (as a {@link io.snapshotkit.RestoreFailure}: what, why and its code)
   * without stopping the others. {@link io.snapshotkit.RestoreMode#REPLACE}
   * makes the workload exactly the snapshot and is all-or-nothing: on failure the workload is left
   * on its original data and the exception is thrown.
   *
   * <p><b>Idempotency:</b> additive restore run twice creates nothing the second time; replace
   * restore run twice leaves the same state.
   *
   * <p><b>Failure:</b> {@code NOT_FOUND} if the snapshot's data is not on this host, {@code CORRUPT}
   * if it fails its check, {@code INVALID_ARGUMENT} for a bad target or path.
   */
  RestoreOutcome restore(RestoreRequest request);

  /**
   * {@link #restore(RestoreRequest)}, reporting its progress to {@code progress}, as
   * {@link #capture(CaptureRequest, ProgressListener)} does for a capture. The default reports
   * nothing and restores.
   *
   * <p><b>Threading, idempotency, failure:</b> as {@link #restore(RestoreRequest)}. A listener that
   * throws never fails the restore.
   */
  default RestoreOutcome restore(RestoreRequest request, ProgressListener progress) {
    return restore(request);
  }

  /**
   * Checks, touching nothing, that a restore can run: every volume resolves, the snapshot's data
   * is present, there is disk space for it. The default accepts everything.
   *
   * <p><b>Idempotency:</b> read-only.
   *
   * <p><b>Failure:</b> the exception the restore itself would have thrown.
   */
  default void preflight(RestoreRequest request) {}

  /**
   * Removes a snapshot's data from this host. Hosts that never held it answer
   * {@link DeleteOutcome#NOT_FOUND}, which the strict delete counts as success.
   *
   * <p><b>Idempotency:</b> deleting twice answers {@code NOT_FOUND} the second time.
   *
   * <p><b>Failure:</b> any exception (or a time-out) makes the strict delete keep the record and
   * report this host; the delete is retried later.
   */
  DeleteOutcome delete(WorkloadRef workload, SnapshotId snapshot);

  /**
   * The bytes a snapshot occupies on this host, if it holds it.
   *
   * <p><b>Idempotency:</b> read-only.
   *
   * <p><b>Failure:</b> {@code HOST_UNAVAILABLE} if the host cannot answer now; the engine retries later.
   */
  OptionalLong sizeOf(WorkloadRef workload, SnapshotId snapshot);
}
