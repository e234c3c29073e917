package io.snapshotkit.spi;

/**
 * An optional capability of a {@link HostAgent} that can fork: make a stored snapshot the first
 * snapshot of a new workload, sharing its content instead of copying it where the agent can (the
 * directory agent writes one small root file naming the same trees). The engine's {@code fork}
 * refuses a host whose agent lacks it, naming the host.
 *
 * <p><b>Threading:</b> may be called concurrently, for the same source snapshot too; the engine
 * holds the child workload's lock.
 *
 * <p><b>Crash safety:</b> the child snapshot becomes visible on the host in one atomic step (as a
 * capture's does), and a {@link ForkRequest#target()} is filled completely or not at all. Data a
 * fork left on the host whose engine row never became READY is removed by {@link HostAgent#delete}
 * of the child snapshot, as for a failed capture.
 *
 * <p><b>Idempotency:</b> a retry with the same child snapshot id replaces the earlier attempt.
 *
 * <p><b>Failure:</b> {@code NOT_FOUND} if the host does not hold the source snapshot (its
 * repository is not shared with the source's host); {@code CONFLICT} if the child workload already
 * exists on this host (has snapshots or data), or the target holds another workload's data;
 * {@code INVALID_ARGUMENT} for a bad target; as {@link HostAgent} otherwise.
 */
public interface HostFork {
  /**
   * Stores {@code request.childSnapshot()} for {@code request.child()} holding exactly the source
   * snapshot's data, and materialises it at the target if one is given.
   *
   * @return the child snapshot's manifest (of the child workload) and the bytes the fork added on
   *     this host
   */
  CaptureResult fork(ForkRequest request);

  /**
   * {@link #fork(ForkRequest)}, reporting its progress to {@code progress} (rate-limited, best
   * effort, as {@link HostAgent#capture(CaptureRequest, io.snapshotkit.ProgressListener)} does):
   * what matters is the materialising of a target, which moves data. The default reports nothing
   * and forks. A listener that throws never fails the fork.
   */
  default CaptureResult fork(ForkRequest request, io.snapshotkit.ProgressListener progress) {
    return fork(request);
  }
}
