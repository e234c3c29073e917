package io.snapshotkit.spi;

import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotOrigin;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.TenantId;
import io.snapshotkit.WorkloadRef;
import java.util.Optional;

/**
 * The operations of one {@link ManifestStore#inTransaction} call. Everything done through one
 * transaction commits together or not at all, including appended events: this is what makes the
 * outbox exact.
 *
 * <p><b>Threading:</b> confined to the thread running the {@link StoreWork}; not usable after it returns.
 *
 * <p><b>Failure:</b> a storage failure throws {@link io.snapshotkit.SnapshotException} and the
 * transaction rolls back.
 */
public interface StoreTransaction {

  /** Reads a snapshot row by id, any tenant (the engine scopes). */
  Optional<Snapshot> find(SnapshotId id);

  /**
   * Inserts a CAPTURING row if the workload has fewer than {@code maxSnapshots} snapshots that
   * {@linkplain SnapshotStatus#countsAgainstQuota() count against the quota}; {@code -1} means no
   * limit. Atomic with respect to concurrent transactions: concurrent inserts never exceed the limit.
   *
   * <p><b>Failure:</b> a duplicate id throws {@code CONFLICT}.
   */
  Admission insertCapturing(Snapshot row, int maxSnapshots);

  /**
   * The bytes a tenant stores: the sum of the known sizes of its READY and DELETING snapshots, as
   * {@link io.snapshotkit.spi.ManifestStore#usageBytes} reports them, read in this transaction (so
   * it sees this transaction's own writes). The engine reads it before
   * {@link #insertCapturing} to enforce a plan's byte limit in the same transaction.
   */
  long usageBytes(TenantId tenant);

  /**
   * Assigns the workload's next version: 1 for the first, then one more than the highest ever
   * assigned, even if that snapshot was deleted. Atomic across concurrent transactions and
   * engine instances; the number is consumed only if the transaction commits.
   */
  int nextVersion(WorkloadRef workload);

  /**
   * Replaces the row {@code replacement.id()} if its current status is {@code expected}.
   * {@code replacement.status()} must be {@code expected} (a field update such as a resolved
   * size) or a legal {@linkplain SnapshotStatus#canTransitionTo transition} from it.
   *
   * @return false if the row is missing or its status is not {@code expected}; nothing changed
   * @throws IllegalArgumentException if the transition is illegal
   */
  boolean compareAndSet(SnapshotStatus expected, Snapshot replacement);

  /** Stores a snapshot's inline manifest JSON, replacing any previous one. */
  void putManifest(SnapshotId id, byte[] json);

  /**
   * Removes the row and its inline manifest if its status is {@code expected}.
   *
   * @return false if the row is missing or its status is not {@code expected}
   */
  boolean remove(SnapshotId id, SnapshotStatus expected);

  /**
   * Records where a forked snapshot's data came from, with its row (removed with it). Stores that
   * keep no origins refuse, and so the engine cannot fork with them.
   *
   * @throws io.snapshotkit.SnapshotException NOT_FOUND if the row is missing; INVALID_ARGUMENT by
   *     default (the store does not record origins)
   */
  default void putOrigin(SnapshotId id, SnapshotOrigin origin) {
    throw SnapshotException.invalid("this manifest store (" + getClass().getName()
        + ") does not record the origin of forked snapshots; fork with a store that does (JDBC or in-memory)");
  }

  /** Appends an event to the outbox; it becomes visible to dispatchers when the transaction commits. */
  void append(SnapshotEvent event);
}
