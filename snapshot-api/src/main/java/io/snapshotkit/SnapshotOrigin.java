package io.snapshotkit;

import java.util.Objects;

/**
 * Where a forked snapshot's data came from: the snapshot it was forked from and that snapshot's
 * workload (same tenant). Recorded with the child snapshot when the fork commits and kept for as
 * long as the child exists, even after the source snapshot is deleted.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param snapshot the source snapshot's id
 * @param workload the source snapshot's workload
 */
public record SnapshotOrigin(SnapshotId snapshot, WorkloadRef workload) {
  /** Validates. */
  public SnapshotOrigin {
    Objects.requireNonNull(snapshot, "snapshot");
    Objects.requireNonNull(workload, "workload");
  }
}
