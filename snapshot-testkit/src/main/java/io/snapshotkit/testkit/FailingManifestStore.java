package io.snapshotkit.testkit;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Page;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotOrigin;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.TenantId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.Admission;
import io.snapshotkit.spi.EventOutbox;
import io.snapshotkit.spi.ManifestStore;
import io.snapshotkit.spi.ScheduleStore;
import io.snapshotkit.spi.StoreTransaction;
import io.snapshotkit.spi.StoreWork;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Wraps any {@link ManifestStore} and makes one of its transactions fail part way, to prove what a
 * failure leaves behind: with {@link #failWrite} the n-th write of the next transaction throws
 * before it reaches the store, with {@link #failBeforeCommit} the next transaction throws after
 * its work returned, just before the store commits it. Either way the wrapped store sees its
 * {@link StoreWork} throw and must roll back every write of the transaction, including the events
 * it {@linkplain StoreTransaction#append appended}. Reads, the {@linkplain #outbox() outbox} and
 * the {@linkplain #schedules() schedules} are the wrapped store's.
 *
 * <p>The writes that count are {@link StoreTransaction#insertCapturing}, {@code nextVersion},
 * {@code compareAndSet}, {@code putManifest}, {@code putOrigin}, {@code remove} and {@code append}. The injected
 * failure is a {@link SnapshotException} with {@link ErrorCode#INTERNAL}, as a storage failure is.
 * A scripted failure applies to the first transaction started after it was scripted, then is gone.
 *
 * <p><b>Thread-safety:</b> thread-safe if the wrapped store is.
 */
public final class FailingManifestStore implements ManifestStore {

  private record Script(int failingWrite, boolean beforeCommit) {}

  private final ManifestStore delegate;
  private final AtomicReference<Script> armed = new AtomicReference<>();

  private FailingManifestStore(ManifestStore delegate) {
    this.delegate = delegate;
  }

  /** A store that behaves as {@code delegate} until a failure is scripted. */
  public static FailingManifestStore wrap(ManifestStore delegate) {
    return new FailingManifestStore(Objects.requireNonNull(delegate, "delegate"));
  }

  /**
   * Makes write number {@code n} (from 1) of the next transaction throw before it reaches the
   * wrapped store; replaces any failure scripted before.
   *
   * @throws IllegalArgumentException if {@code n} is below 1
   */
  public void failWrite(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("writes are counted from 1: " + n);
    }
    armed.set(new Script(n, false));
  }

  /** Makes the next transaction throw after its work returned, before it commits; replaces any failure scripted before. */
  public void failBeforeCommit() {
    armed.set(new Script(0, true));
  }

  @Override
  public <T> T inTransaction(StoreWork<T> work) {
    Objects.requireNonNull(work, "work");
    Script script = armed.getAndSet(null);
    if (script == null) {
      return delegate.inTransaction(work);
    }
    return delegate.inTransaction(tx -> {
      T result = work.run(new FailingTransaction(tx, script.failingWrite()));
      if (script.beforeCommit()) {
        throw injected("the transaction failed after its work, before it was committed");
      }
      return result;
    });
  }

  private static SnapshotException injected(String what) {
    return new SnapshotException(ErrorCode.INTERNAL, what + " (injected by FailingManifestStore)");
  }

  @Override
  public Optional<Snapshot> find(SnapshotId id) {
    return delegate.find(id);
  }

  @Override
  public Page<Snapshot> list(SnapshotQuery query) {
    return delegate.list(query);
  }

  @Override
  public List<Snapshot> versions(WorkloadRef workload) {
    return delegate.versions(workload);
  }

  @Override
  public List<Snapshot> expired(Instant now, int limit) {
    return delegate.expired(now, limit);
  }

  @Override
  public List<Snapshot> capturingSince(Instant before, int limit) {
    return delegate.capturingSince(before, limit);
  }

  @Override
  public long usageBytes(TenantId tenant) {
    return delegate.usageBytes(tenant);
  }

  @Override
  public Optional<byte[]> manifest(SnapshotId id) {
    return delegate.manifest(id);
  }

  @Override
  public Optional<SnapshotOrigin> origin(SnapshotId id) {
    return delegate.origin(id);
  }

  @Override
  public EventOutbox outbox() {
    return delegate.outbox();
  }

  @Override
  public ScheduleStore schedules() {
    return delegate.schedules();
  }

  /** The wrapped transaction, counting writes and failing the scripted one. Confined to its transaction's thread. */
  private static final class FailingTransaction implements StoreTransaction {
    private final StoreTransaction tx;
    private final int failingWrite;
    private int writes;

    FailingTransaction(StoreTransaction tx, int failingWrite) {
      this.tx = tx;
      this.failingWrite = failingWrite;
    }

    private void write(String operation) {
      writes++;
      if (writes == failingWrite) {
        throw injected("write " + writes + " of the transaction (" + operation + ") failed");
      }
    }

    @Override
    public Optional<Snapshot> find(SnapshotId id) {
      return tx.find(id);
    }

    @Override
    public long usageBytes(TenantId tenant) {
      return tx.usageBytes(tenant);
    }

    @Override
    public Admission insertCapturing(Snapshot row, int maxSnapshots) {
      write("insertCapturing");
      return tx.insertCapturing(row, maxSnapshots);
    }

    @Override
    public int nextVersion(WorkloadRef workload) {
      write("nextVersion");
      return tx.nextVersion(workload);
    }

    @Override
    public boolean compareAndSet(SnapshotStatus expected, Snapshot replacement) {
      write("compareAndSet");
      return tx.compareAndSet(expected, replacement);
    }

    @Override
    public void putManifest(SnapshotId id, byte[] json) {
      write("putManifest");
      tx.putManifest(id, json);
    }

    @Override
    public void putOrigin(SnapshotId id, SnapshotOrigin origin) {
      write("putOrigin");
      tx.putOrigin(id, origin);
    }

    @Override
    public boolean remove(SnapshotId id, SnapshotStatus expected) {
      write("remove");
      return tx.remove(id, expected);
    }

    @Override
    public void append(SnapshotEvent event) {
      write("append");
      tx.append(event);
    }
  }
}
