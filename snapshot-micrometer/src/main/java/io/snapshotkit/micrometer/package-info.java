/**
 * Micrometer meters for a SnapshotKit engine: {@link io.snapshotkit.micrometer.SnapshotMetrics}.
 */
package io.snapshotkit.micrometer;
