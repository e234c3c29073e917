package io.snapshotkit.core;

import io.snapshotkit.SnapshotId;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one run of {@link SnapshotEngine#sweepExpired()} did. Snapshots whose strict delete failed
 * stay READY and are retried by the next sweep.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param deleted expired snapshots removed from every host and from the store
 * @param failed expired snapshots that could not be deleted now, with the reason
 */
public record SweepReport(List<SnapshotId> deleted, Map<SnapshotId, String> failed) {
  /** Copies. */
  public SweepReport {
    deleted = List.copyOf(deleted);
    failed = Collections.unmodifiableMap(new TreeMap<>(failed));
  }
}
