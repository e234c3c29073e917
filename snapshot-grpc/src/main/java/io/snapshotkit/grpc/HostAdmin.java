package io.snapshotkit.grpc;

import io.snapshotkit.WorkloadRef;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a host's agent can do besides the {@link io.snapshotkit.spi.HostAgent} SPI, for a control
 * plane to call remotely: set, read and forget a workload's volumes (directories on that host), and look
 * after its repository. An {@link AgentServer} serves it when given one ({@link
 * AgentServer.Builder#admin}); {@link RemoteHostAgent} is the matching client. For an
 * {@code FsHostAgent}, each method maps to the agent's own ({@code track}, {@code volumes},
 * {@code untrack}, {@code gc}, {@code check}); the embedding application writes that adapter, and decides there
 * which directories a control plane may make volumes.
 *
 * <p>Directories travel as text: they are paths on the agent's host, not the caller's.
 *
 * <p><b>Thread-safety:</b> implementations must be thread-safe; calls come from many threads.
 */
public interface HostAdmin {
  /**
   * Sets {@code workload}'s volumes on this host, replacing any earlier map.
   *
   * @param volumes volume name → absolute directory on this host; at least one
   * @return the map as stored (names sorted, directories normalized)
   * @throws io.snapshotkit.SnapshotException INVALID_ARGUMENT for a bad name or directory, FORBIDDEN for a directory
   *     this host does not let control planes track, CONFLICT for one another workload holds
   */
  Map<String, String> track(WorkloadRef workload, Map<String, String> volumes);

  /**
   * {@code workload}'s volumes on this host.
   *
   * @return volume name → directory, empty if this host does not know the workload
   */
  Optional<Map<String, String>> volumes(WorkloadRef workload);

  /**
   * Forgets {@code workload}'s volumes on this host; its snapshots stay.
   *
   * @return whether it had volumes here
   */
  boolean untrack(WorkloadRef workload);

  /** Reclaims the repository's content no snapshot references; safe while other calls run. */
  GcReport gc();

  /**
   * Verifies the repository's stored content against its digests.
   *
   * @param sample verify a sample instead of everything
   */
  CheckReport check(boolean sample);

  /**
   * What a garbage collection did.
   *
   * <p><b>Thread-safety:</b> immutable.
   *
   * @param snapshots snapshots whose content was kept
   * @param contentsRemoved stored contents no snapshot referenced, now removed
   * @param bytesReclaimed bytes freed on disk
   */
  record GcReport(long snapshots, long contentsRemoved, long bytesReclaimed) {}

  /**
   * What an integrity check found.
   *
   * <p><b>Thread-safety:</b> immutable.
   *
   * @param contentsChecked stored contents whose digest was verified
   * @param corrupt digests whose stored bytes do not match
   * @param missing digests a snapshot references that the repository does not hold
   * @param damagedSnapshots snapshots that reference corrupt or missing content
   */
  record CheckReport(long contentsChecked, List<String> corrupt, List<String> missing, List<String> damagedSnapshots) {
    /** Validates and copies. */
    public CheckReport {
      corrupt = List.copyOf(Objects.requireNonNull(corrupt, "corrupt"));
      missing = List.copyOf(Objects.requireNonNull(missing, "missing"));
      damagedSnapshots = List.copyOf(Objects.requireNonNull(damagedSnapshots, "damagedSnapshots"));
    }

    /** Whether nothing was found wrong. */
    public boolean ok() {
      return corrupt.isEmpty() && missing.isEmpty() && damagedSnapshots.isEmpty();
    }
  }
}
