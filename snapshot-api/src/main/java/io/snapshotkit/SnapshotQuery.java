package io.snapshotkit;

import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A page request for snapshots of one tenant, newest first.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param tenant whose snapshots
 * @param workloadId only this workload's, if present
 * @param statuses only these statuses; empty means all
 * @param triggers only these triggers; empty means all
 * @param limit page size, clamped to 1..{@value #MAX_LIMIT}
 * @param cursor continue after this one (from {@link Page#nextCursor()})
 */
public record SnapshotQuery(
    TenantId tenant, Optional<String> workloadId, Set<SnapshotStatus> statuses, Set<Trigger> triggers,
    int limit, Optional<SnapshotId> cursor) {

  /** The page size when none is given. */
  public static final int DEFAULT_LIMIT = 100;
  /** The largest page size. */
  public static final int MAX_LIMIT = 500;

  /** Validates, copies and clamps the limit. */
  public SnapshotQuery {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(workloadId, "workloadId");
    Objects.requireNonNull(cursor, "cursor");
    statuses = Set.copyOf(statuses);
    triggers = Set.copyOf(triggers);
    limit = Math.max(1, Math.min(MAX_LIMIT, limit));
  }

  /** Every snapshot of the tenant, default page size. */
  public static SnapshotQuery of(TenantId tenant) {
    return new SnapshotQuery(tenant, Optional.empty(), Set.of(), Set.of(), DEFAULT_LIMIT, Optional.empty());
  }

  /** Every snapshot of one workload, default page size. */
  public static SnapshotQuery of(WorkloadRef workload) {
    return of(workload.tenant()).workload(workload.id());
  }

  /** Only this workload's. */
  public SnapshotQuery workload(String id) {
    return new SnapshotQuery(tenant, Optional.of(id), statuses, triggers, limit, cursor);
  }

  /** Only these statuses. */
  public SnapshotQuery statuses(Set<SnapshotStatus> only) {
    return new SnapshotQuery(tenant, workloadId, only, triggers, limit, cursor);
  }

  /** Only these triggers. */
  public SnapshotQuery triggers(Set<Trigger> only) {
    return new SnapshotQuery(tenant, workloadId, statuses, only, limit, cursor);
  }

  /** Another page size (clamped). */
  public SnapshotQuery limit(int size) {
    return new SnapshotQuery(tenant, workloadId, statuses, triggers, size, cursor);
  }

  /** Continue after this snapshot. */
  public SnapshotQuery after(SnapshotId last) {
    return new SnapshotQuery(tenant, workloadId, statuses, triggers, limit, Optional.of(last));
  }

  /** Whether a snapshot matches the filters (not the cursor or limit). */
  public boolean matches(Snapshot s) {
    return s.tenant().equals(tenant)
        && workloadId.map(w -> w.equals(s.workload().id())).orElse(true)
        && (statuses.isEmpty() || statuses.contains(s.status()))
        && (triggers.isEmpty() || triggers.contains(s.trigger()));
  }
}
