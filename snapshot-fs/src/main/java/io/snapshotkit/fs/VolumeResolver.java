package io.snapshotkit.fs;

import io.snapshotkit.Excludes;
import io.snapshotkit.WorkloadRef;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Maps a workload to its named volumes (directories on this host).
 *
 * <p><b>Threading:</b> called concurrently from any thread that uses the agent; must be thread-safe.
 *
 * <p><b>Idempotency:</b> read-only; must answer the same for the same workload while it exists.
 *
 * <p><b>Failure:</b> answer empty for an unknown workload (the agent reports NOT_FOUND); a thrown
 * {@link io.snapshotkit.SnapshotException} passes through, anything else becomes INTERNAL.
 */
@FunctionalInterface
public interface VolumeResolver {
  /**
   * The workload's volumes: name (letters, digits, {@code . _ -}) → absolute directory path.
   *
   * @return empty if this host does not know the workload
   */
  Optional<Map<String, Path>> volumes(WorkloadRef workload);

  /**
   * The workload's exclude patterns (gitignore-style, relative to each volume's root), consulted
   * when {@link #volumes} knows the workload. The default excludes nothing.
   */
  default Excludes excludes(WorkloadRef workload) {
    return Excludes.none();
  }
}
