package io.snapshotkit.spi;

import io.snapshotkit.DiffResult;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import java.util.Optional;

/**
 * An optional capability of a {@link HostAgent} whose manifests summarise state kept in the
 * agent's own repository (a file tree, for instance): the agent computes the diff itself.
 * The engine uses it, when the workload's agent implements it, instead of diffing manifests.
 *
 * <p><b>Threading:</b> may be called concurrently.
 *
 * <p><b>Idempotency:</b> read-only.
 *
 * <p><b>Failure:</b> {@code NOT_FOUND} if a snapshot's data is not on this host, {@code CORRUPT} if
 * it cannot be read; the engine then reports a degraded diff.
 */
public interface HostDiff {
  /**
   * Differences from {@code from} to {@code to}, or to the workload's current state when
   * {@code to} is empty.
   */
  DiffResult diff(WorkloadRef workload, SnapshotId from, Optional<SnapshotId> to);
}
