/**
 * Micrometer meters for a SnapshotKit engine: {@link io.snapshotkit.micrometer.SnapshotMetrics}.
 */
module io.snapshotkit.micrometer {
  requires transitive io.snapshotkit.core;
  requires transitive micrometer.core;

  exports io.snapshotkit.micrometer;
}
