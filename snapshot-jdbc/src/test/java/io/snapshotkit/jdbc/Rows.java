package io.snapshotkit.jdbc;

import io.snapshotkit.EventType;
import io.snapshotkit.ManifestRef;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.Trigger;
import io.snapshotkit.WorkloadRef;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SplittableRandom;

/** Test rows and events with fixed times. */
final class Rows {
  static final Instant BASE = Instant.parse("2026-01-01T00:00:00Z");
  static final WorkloadRef W1 = WorkloadRef.of("acme", "w1");
  static final WorkloadRef W2 = WorkloadRef.of("acme", "w2");

  private Rows() {}

  static SnapshotId id(int n) {
    return SnapshotId.generate(BASE.plusSeconds(n), new SplittableRandom(n));
  }

  static Snapshot capturing(WorkloadRef workload, int n) {
    return Snapshot.capturing(id(n), workload, "snap-" + n, Trigger.MANUAL, Optional.empty(), BASE.plusSeconds(n),
        Optional.of(BASE.plusSeconds(86_400 + n)), Map.of("team", "core", "n", Integer.toString(n)));
  }

  static Snapshot ready(Snapshot capturing, int version) {
    return capturing.ready(version, OptionalLong.of(1000L + version), false,
        ManifestRef.inline(Map.of("files", 3), 120));
  }

  static SnapshotEvent event(WorkloadRef workload, int n) {
    return new SnapshotEvent("event-" + workload.id() + "-" + n, EventType.CREATED, workload, Optional.of(id(n)), n,
        BASE.plusSeconds(n), Map.of("trigger", "manual"));
  }
}
