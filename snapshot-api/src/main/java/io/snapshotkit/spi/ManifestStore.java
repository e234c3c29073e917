package io.snapshotkit.spi;

import io.snapshotkit.SnapshotOrigin;
import io.snapshotkit.Page;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.TenantId;
import io.snapshotkit.WorkloadRef;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Durable snapshot metadata: rows, version numbering, inline manifests, conditional status
 * updates, quota counts, usage sums, expiry queries, the event outbox and the capture schedules. Writes go through
 * {@link #inTransaction}; reads see committed data.
 *
 * <p><b>Threading:</b> thread-safe; shared by every engine thread and, for a database-backed
 * store, by every engine instance on the database.
 *
 * <p><b>Failure:</b> a storage failure throws {@link io.snapshotkit.SnapshotException}
 * ({@code INTERNAL}, or {@code HOST_UNAVAILABLE} when the database cannot be reached). Reads never
 * return partial results.
 */
public interface ManifestStore {

  /**
   * Runs {@code work} in one transaction and commits it; if {@code work} throws, rolls back and
   * rethrows. A store may run {@code work} more than once to retry a serialization conflict, so
   * it must not have side effects outside the transaction.
   */
  <T> T inTransaction(StoreWork<T> work);

  /** A snapshot row by id, any tenant (the engine scopes by tenant). */
  Optional<Snapshot> find(SnapshotId id);

  /**
   * A page of snapshots matching the query, newest first, starting after the cursor;
   * {@link Page#nextCursor()} is present when more may follow. Order and cursor use one key, the
   * id, descending: an id carries its creation millisecond and the engine makes the ids of one
   * millisecond increase, so this is creation order, and a cursor stays valid after its snapshot
   * is removed.
   */
  Page<Snapshot> list(SnapshotQuery query);

  /** The workload's snapshots that have a version, ascending by version. */
  List<Snapshot> versions(WorkloadRef workload);

  /**
   * READY and DELETING (an unfinished delete the sweep finishes), unprotected snapshots of any
   * tenant whose {@code expiresAt} is at or before {@code now}, oldest first.
   */
  List<Snapshot> expired(Instant now, int limit);

  /** CAPTURING snapshots of any tenant created before {@code before}, oldest first. */
  List<Snapshot> capturingSince(Instant before, int limit);

  /** The sum of known sizes of the tenant's READY and DELETING snapshots. */
  long usageBytes(TenantId tenant);

  /** A snapshot's inline manifest JSON, if it has one. */
  Optional<byte[]> manifest(SnapshotId id);

  /**
   * Where a forked snapshot's data came from ({@link StoreTransaction#putOrigin}); empty for a
   * snapshot that was captured, or one that does not exist. The default knows no origins.
   */
  default Optional<SnapshotOrigin> origin(SnapshotId id) {
    return Optional.empty();
  }

  /** The event outbox that {@link StoreTransaction#append} writes to. */
  EventOutbox outbox();

  /** The workloads' capture schedules, kept in this store. */
  ScheduleStore schedules();
}
