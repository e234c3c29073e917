package io.snapshotkit.spi;

import io.snapshotkit.Manifest;
import io.snapshotkit.RestoreMode;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the engine asks a {@link HostAgent} to restore.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param workload the workload the snapshot belongs to (and, unless {@code target} is given, restores into)
 * @param snapshotId the snapshot to restore
 * @param manifest its manifest as stored
 * @param mode additive or replace
 * @param target restore somewhere else instead (agent-specific: a directory for the fs agent)
 * @param paths restore only these natural keys or path prefixes; empty means everything
 */
public record RestoreRequest(
    WorkloadRef workload, SnapshotId snapshotId, Manifest manifest, RestoreMode mode,
    Optional<String> target, List<String> paths) {
  /** Validates and copies. */
  public RestoreRequest {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(snapshotId, "snapshotId");
    Objects.requireNonNull(manifest, "manifest");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(target, "target");
    paths = List.copyOf(paths);
  }
}
