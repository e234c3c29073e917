package io.snapshotkit.core;

import io.snapshotkit.SnapshotId;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@link SnapshotEngine#applyRetention} decided and did for one workload.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param kept READY snapshots the policy keeps, newest first
 * @param deleted snapshots deleted (or, in a dry run, that would be deleted), newest first
 * @param failed snapshots whose strict delete failed, with the reason; they stay READY
 * @param dryRun whether nothing was deleted
 */
public record RetentionResult(
    List<SnapshotId> kept, List<SnapshotId> deleted, Map<SnapshotId, String> failed, boolean dryRun) {
  /** Copies. */
  public RetentionResult {
    kept = List.copyOf(kept);
    deleted = List.copyOf(deleted);
    failed = Collections.unmodifiableMap(new TreeMap<>(failed));
  }
}
