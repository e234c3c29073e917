package io.snapshotkit.fs;

import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.internal.repo.FsRepository;
import io.snapshotkit.fs.internal.repo.Summary;

/**
 * The summary of a snapshot this host holds, or NOT_FOUND saying it is not here: the one check
 * the agent's restore, diff and export make before they read a snapshot.
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
final class HeldSnapshots {
  private final FsRepository repo;
  private final String hostId;

  HeldSnapshots(FsRepository repo, String hostId) {
    this.repo = repo;
    this.hostId = hostId;
  }

  /**
   * The snapshot's summary.
   *
   * @throws SnapshotException NOT_FOUND if this host does not hold it
   */
  Summary require(WorkloadRef w, SnapshotId id) {
    return repo.summary(w, id).orElseThrow(() -> SnapshotException.notFound("snapshot " + id + " of " + w
        + " is not on host " + hostId).withSnapshot(id).withWorkload(w));
  }
}
