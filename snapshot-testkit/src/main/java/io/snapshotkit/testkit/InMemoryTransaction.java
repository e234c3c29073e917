package io.snapshotkit.testkit;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotOrigin;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.TenantId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.Admission;
import io.snapshotkit.spi.StoreChecks;
import io.snapshotkit.spi.StoreTransaction;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One transaction of {@link InMemoryManifestStore}: writes go to the table at once and are
 * undo-logged; appended events wait and reach the outbox only at {@link #commit}.
 *
 * <p><b>Thread-safety:</b> not thread-safe; used while the store's lock is held by the thread
 * running the transaction.
 */
final class InMemoryTransaction implements StoreTransaction {

  private final InMemorySnapshotTable table;
  private final InMemoryOutbox outbox;
  private final Deque<Runnable> undo = new ArrayDeque<>();
  private final List<SnapshotEvent> appended = new ArrayList<>();
  private boolean open = true;

  /** An open transaction over {@code table} that appends to {@code outbox} when it commits. */
  InMemoryTransaction(InMemorySnapshotTable table, InMemoryOutbox outbox) {
    this.table = table;
    this.outbox = outbox;
  }

  private void checkOpen() {
    if (!open) {
      throw new IllegalStateException("this transaction has ended; use the one passed to the current StoreWork");
    }
  }

  @Override
  public Optional<Snapshot> find(SnapshotId id) {
    Objects.requireNonNull(id, "id");
    checkOpen();
    return table.find(id);
  }

  @Override
  public long usageBytes(TenantId tenant) {
    Objects.requireNonNull(tenant, "tenant");
    checkOpen();
    return table.usageBytes(tenant);
  }

  @Override
  public Admission insertCapturing(Snapshot row, int maxSnapshots) {
    StoreChecks.insertCapturing(row, maxSnapshots);
    checkOpen();
    if (table.contains(row.id())) {
      throw new SnapshotException(ErrorCode.CONFLICT,
          "snapshot " + row.id() + " already exists; generate a new id").withSnapshot(row.id());
    }
    long used = table.countingAgainstQuota(row.workload());
    if (maxSnapshots != -1 && used >= maxSnapshots) {
      return new Admission(false, used);
    }
    table.put(row, undo);
    return new Admission(true, used);
  }

  @Override
  public int nextVersion(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    checkOpen();
    return table.nextVersion(workload, undo);
  }

  @Override
  public boolean compareAndSet(SnapshotStatus expected, Snapshot replacement) {
    StoreChecks.compareAndSet(expected, replacement);
    checkOpen();
    Optional<Snapshot> now = table.find(replacement.id());
    if (now.isEmpty() || now.get().status() != expected) {
      return false;
    }
    table.put(replacement, undo);
    return true;
  }

  @Override
  public void putManifest(SnapshotId id, byte[] json) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(json, "json");
    checkOpen();
    table.putManifest(id, json, undo);
  }

  @Override
  public void putOrigin(SnapshotId id, SnapshotOrigin origin) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(origin, "origin");
    checkOpen();
    table.putOrigin(id, origin, undo);
  }

  @Override
  public boolean remove(SnapshotId id, SnapshotStatus expected) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(expected, "expected");
    checkOpen();
    return table.remove(id, expected, undo);
  }

  @Override
  public void append(SnapshotEvent event) {
    Objects.requireNonNull(event, "event");
    checkOpen();
    appended.add(event);
  }

  /** Whether the transaction has neither committed nor rolled back nor been ended. */
  boolean isOpen() {
    return open;
  }

  /** Ends the transaction; any later use of it is rejected. */
  void end() {
    open = false;
  }

  /** Keeps the writes and hands the appended events to the outbox, in order. */
  void commit() {
    for (SnapshotEvent e : appended) {
      outbox.add(e);
    }
    undo.clear();
    open = false;
  }

  /** Undoes every write, newest first, and drops the appended events. */
  void rollback() {
    while (!undo.isEmpty()) {
      undo.pop().run();
    }
    appended.clear();
    open = false;
  }
}
