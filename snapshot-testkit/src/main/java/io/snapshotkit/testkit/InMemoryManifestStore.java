package io.snapshotkit.testkit;

import io.snapshotkit.Page;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotOrigin;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.TenantId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.EventOutbox;
import io.snapshotkit.spi.ManifestStore;
import io.snapshotkit.spi.ScheduleStore;
import io.snapshotkit.spi.StoreChecks;
import io.snapshotkit.spi.StoreWork;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * A complete {@link ManifestStore} and {@link EventOutbox} in memory: the reference implementation
 * of the SPI contract (it passes {@link ManifestStoreContract}) and the store for engine tests.
 *
 * <p>One lock serialises every transaction and every read, so transactions are atomic and fully
 * isolated. A transaction's writes are undo-logged and its events buffered: when the
 * {@link StoreWork} throws (or {@link #failNextTransaction} is armed) the store is left exactly
 * as it was and no event is appended. Event sequence numbers are assigned at commit, so they
 * increase in commit order and have no gaps.
 *
 * <p>Nested {@link #inTransaction} calls on one thread are rejected with
 * {@link IllegalStateException}: a database-backed store would deadlock or run them separately.
 *
 * <p>The store holds the lock and runs transactions; the snapshot data lives in a package-private
 * table, each transaction's undo log and buffered events in a transaction object, and the event
 * outbox in its own class that shares the lock.
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
public final class InMemoryManifestStore implements ManifestStore {

  private final ReentrantLock lock = new ReentrantLock();
  private final InMemorySnapshotTable table = new InMemorySnapshotTable();
  private final InMemoryOutbox outbox = new InMemoryOutbox(lock);
  private final InMemorySchedules schedules = new InMemorySchedules();
  private final AtomicReference<RuntimeException> failNext = new AtomicReference<>();
  private InMemoryTransaction current;

  /** An empty store. */
  public InMemoryManifestStore() {}

  // ---------------------------------------------------------------- transactions

  @Override
  public <T> T inTransaction(StoreWork<T> work) {
    Objects.requireNonNull(work, "work");
    lock.lock();
    try {
      if (current != null) {
        throw new IllegalStateException(
            "inTransaction was called inside another transaction on the same thread; do all the work in one StoreWork");
      }
      InMemoryTransaction tx = new InMemoryTransaction(table, outbox);
      current = tx;
      try {
        T result = work.run(tx);
        RuntimeException injected = failNext.getAndSet(null);
        if (injected != null) {
          tx.rollback();
          throw injected;
        }
        tx.commit();
        return result;
      } catch (RuntimeException | Error e) {
        if (tx.isOpen()) {
          tx.rollback();
        }
        throw e;
      } finally {
        tx.end();
        current = null;
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Arms a failure: the next {@link #inTransaction} runs its work and then, instead of
   * committing, rolls everything back and throws {@code failure}. Proves that a failed
   * transaction leaves neither its change nor its events. To fail a chosen write, or to fail the
   * transactions of another store, wrap it in a {@link FailingManifestStore}.
   */
  public void failNextTransaction(RuntimeException failure) {
    Objects.requireNonNull(failure, "failure");
    failNext.set(failure);
  }

  // ---------------------------------------------------------------- reads

  @Override
  public Optional<Snapshot> find(SnapshotId id) {
    Objects.requireNonNull(id, "id");
    return locked(() -> table.find(id));
  }

  @Override
  public Page<Snapshot> list(SnapshotQuery query) {
    Objects.requireNonNull(query, "query");
    return locked(() -> table.list(query));
  }

  @Override
  public List<Snapshot> versions(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    return locked(() -> table.versions(workload));
  }

  @Override
  public List<Snapshot> expired(Instant now, int limit) {
    Objects.requireNonNull(now, "now");
    StoreChecks.limit(limit);
    return locked(() -> table.expired(now, limit));
  }

  @Override
  public List<Snapshot> capturingSince(Instant before, int limit) {
    Objects.requireNonNull(before, "before");
    StoreChecks.limit(limit);
    return locked(() -> table.capturingSince(before, limit));
  }

  @Override
  public long usageBytes(TenantId tenant) {
    Objects.requireNonNull(tenant, "tenant");
    return locked(() -> table.usageBytes(tenant));
  }

  @Override
  public Optional<byte[]> manifest(SnapshotId id) {
    Objects.requireNonNull(id, "id");
    return locked(() -> table.manifest(id));
  }

  @Override
  public Optional<SnapshotOrigin> origin(SnapshotId id) {
    Objects.requireNonNull(id, "id");
    return locked(() -> table.origin(id));
  }

  @Override
  public EventOutbox outbox() {
    return outbox;
  }

  @Override
  public ScheduleStore schedules() {
    return schedules;
  }

  // ---------------------------------------------------------------- test helpers

  /** How many snapshot rows the store holds now, in every status and tenant. */
  public int snapshotCount() {
    return locked(table::size);
  }

  /** How many events committed transactions have appended, ever (pruning does not lower it). */
  public int eventCount() {
    return locked(outbox::everAddedCount);
  }

  /** Every event committed transactions have appended, in sequence order (pruning does not remove them). */
  public List<SnapshotEvent> events() {
    return locked(outbox::everAdded);
  }

  /** How many events the outbox retains now (what {@link EventOutbox#prune} lowers). */
  public int retainedEventCount() {
    return locked(outbox::retainedCount);
  }

  private <T> T locked(Supplier<T> read) {
    lock.lock();
    try {
      return read.get();
    } finally {
      lock.unlock();
    }
  }
}
