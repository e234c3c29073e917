package io.snapshotkit.fs;

import io.snapshotkit.Excludes;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.internal.repo.Volumes;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Which volumes and exclude patterns a workload has on this host: the {@link VolumeResolver}'s
 * answer when it maps the workload, else the map tracked in the repository. {@link FsHostAgent}'s
 * volume methods delegate here, and its capture, restore and diff ask here for a workload's volumes.
 *
 * <p><b>Thread-safety:</b> thread-safe (the tracked maps are serialized by {@link Volumes}).
 */
final class WorkloadVolumes {
  private final Volumes volumes;
  private final Optional<VolumeResolver> resolver;
  private final String hostId;

  WorkloadVolumes(Volumes volumes, Optional<VolumeResolver> resolver, String hostId) {
    this.volumes = volumes;
    this.resolver = resolver;
    this.hostId = hostId;
  }

  /** See {@link FsHostAgent#track(WorkloadRef, Map, Excludes)}. */
  void track(WorkloadRef workload, Map<String, Path> volumeMap, Excludes excludes) {
    volumes.track(workload, volumes.validate(volumeMap), excludes);
  }

  /** See {@link FsHostAgent#excludes(WorkloadRef)}. */
  Excludes excludes(WorkloadRef workload) {
    if (resolver.isPresent()) {
      Optional<Map<String, Path>> r;
      Excludes x;
      try {
        r = resolver.get().volumes(workload);
        x = r != null && r.isPresent() ? resolver.get().excludes(workload) : null;
      } catch (RuntimeException e) {
        throw SnapshotException.wrap("resolving the excludes of " + workload, e);
      }
      if (x != null) {
        return x;
      }
    }
    return volumes.trackedExcludes(workload);
  }

  /** See {@link FsHostAgent#checkTrackable(WorkloadRef, Map)}. */
  void checkTrackable(WorkloadRef workload, Map<String, Path> volumeMap) {
    volumes.checkUnshared(workload, volumes.validate(volumeMap));
  }

  /**
   * Refuses (CONFLICT, naming both workloads) directories that are, contain or are inside a volume
   * another tracked workload holds.
   */
  void checkUnshared(WorkloadRef workload, Map<String, Path> directories) {
    volumes.checkUnshared(workload, directories);
  }

  /** See {@link FsHostAgent#untrack(WorkloadRef)}. */
  boolean untrack(WorkloadRef workload) {
    return volumes.untrack(workload);
  }

  /** See {@link FsHostAgent#volumes(WorkloadRef)}. */
  Optional<Map<String, Path>> volumes(WorkloadRef workload) {
    if (resolver.isPresent()) {
      Optional<Map<String, Path>> r;
      try {
        r = resolver.get().volumes(workload);
      } catch (RuntimeException e) {
        throw SnapshotException.wrap("resolving the volumes of " + workload, e);
      }
      Objects.requireNonNull(r, "VolumeResolver answered null");
      if (r.isPresent()) {
        return Optional.of(volumes.validate(r.get()));
      }
    }
    return volumes.tracked(workload).map(volumes::validate);
  }

  /**
   * The workload's volumes.
   *
   * @throws SnapshotException NOT_FOUND if this host does not know the workload
   */
  Map<String, Path> require(WorkloadRef workload) {
    return volumes(workload).orElseThrow(() -> SnapshotException.notFound("workload " + workload
        + " has no volumes on host " + hostId + "; track it (FsHostAgent.track) or map it in the VolumeResolver")
        .withWorkload(workload));
  }
}
