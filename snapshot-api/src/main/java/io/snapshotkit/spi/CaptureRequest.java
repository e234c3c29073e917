package io.snapshotkit.spi;

import io.snapshotkit.Excludes;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import java.util.Objects;
import java.util.Optional;

/**
 * What the engine asks a {@link HostAgent} to capture.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param workload whose state
 * @param snapshotId the id to store it under
 * @param parent the workload's previous READY snapshot, so an agent can capture incrementally
 * @param runningReference what {@link Lifecycle#quiesce} reported the workload runs on (image tag, snapshot key)
 * @param fullRescan re-read everything even where the parent says nothing changed
 * @param excludes this capture's own gitignore-style patterns, applied after any the workload
 *     declares on its host; only an agent that overrides
 *     {@link HostAgent#capture(CaptureRequest, io.snapshotkit.ProgressListener)} to honour them
 *     accepts patterns (the default refuses them)
 */
public record CaptureRequest(
    WorkloadRef workload, SnapshotId snapshotId, Optional<SnapshotId> parent,
    Optional<String> runningReference, boolean fullRescan, Excludes excludes) {
  /** Validates. */
  public CaptureRequest {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(snapshotId, "snapshotId");
    Objects.requireNonNull(parent, "parent");
    Objects.requireNonNull(runningReference, "runningReference");
    Objects.requireNonNull(excludes, "excludes");
  }

  /** A request without exclude patterns (the form agents written before excludes build). */
  public CaptureRequest(WorkloadRef workload, SnapshotId snapshotId, Optional<SnapshotId> parent,
      Optional<String> runningReference, boolean fullRescan) {
    this(workload, snapshotId, parent, runningReference, fullRescan, Excludes.none());
  }
}
