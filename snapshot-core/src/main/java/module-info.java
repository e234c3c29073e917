/**
 * The SnapshotKit engine: {@link io.snapshotkit.core.SnapshotEngine} and the event dispatcher.
 * Only {@code io.snapshotkit.core} is exported; everything else in this module is internal.
 */
module io.snapshotkit.core {
  requires transitive io.snapshotkit.api;
  requires org.slf4j;
  requires com.github.benmanes.caffeine;
  requires com.cronutils;

  exports io.snapshotkit.core;
}
