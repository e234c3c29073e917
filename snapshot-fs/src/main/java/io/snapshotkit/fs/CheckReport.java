package io.snapshotkit.fs;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import java.util.List;

/**
 * What an integrity check found.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param contentsChecked stored contents whose digest was verified
 * @param corrupt digests (hex) whose stored bytes do not match
 * @param missing digests (hex) a snapshot references but the repository does not hold
 * @param damagedSnapshots snapshots ({@code tenant/workload/id}) that reference corrupt or missing
 *     content, or whose manifest is unreadable; restoring them fails with CORRUPT
 */
public record CheckReport(long contentsChecked, List<String> corrupt, List<String> missing,
    List<String> damagedSnapshots) {
  /** Copies. */
  public CheckReport {
    corrupt = List.copyOf(corrupt);
    missing = List.copyOf(missing);
    damagedSnapshots = List.copyOf(damagedSnapshots);
  }

  /** Whether nothing was found wrong. */
  public boolean ok() {
    return corrupt.isEmpty() && missing.isEmpty() && damagedSnapshots.isEmpty();
  }

  /**
   * Throws if anything was found wrong.
   *
   * @throws SnapshotException CORRUPT naming the damaged snapshots
   */
  public void throwIfDamaged() {
    if (!ok()) {
      throw new SnapshotException(ErrorCode.CORRUPT, corrupt.size() + " corrupt and " + missing.size()
          + " missing contents damage these snapshots: " + damagedSnapshots
          + "; delete them (and restore others), then run gc");
    }
  }
}
