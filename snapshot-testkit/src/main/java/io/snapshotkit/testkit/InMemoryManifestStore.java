package io.snapshotkit.testkit;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Page;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.TenantId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.Admission;
import io.snapshotkit.spi.Delivery;
import io.snapshotkit.spi.EventOutbox;
import io.snapshotkit.spi.ManifestStore;
import io.snapshotkit.spi.ParkedEvent;
import io.snapshotkit.spi.StartPosition;
import io.snapshotkit.spi.StoreChecks;
import io.snapshotkit.spi.StoreTransaction;
import io.snapshotkit.spi.StoreWork;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

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
 * <p><b>Thread-safety:</b> thread-safe.
 */
public final class InMemoryManifestStore implements ManifestStore {

  private final ReentrantLock lock = new ReentrantLock();
  private final TreeMap<SnapshotId, Snapshot> rows = new TreeMap<>();
  private final Map<SnapshotId, byte[]> manifests = new HashMap<>();
  private final Map<WorkloadRef, Integer> highestVersion = new HashMap<>();
  private final AtomicReference<RuntimeException> failNext = new AtomicReference<>();
  private final Outbox outbox = new Outbox();
  private final List<SnapshotEvent> everAppended = new ArrayList<>();
  private Tx current;

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
      Tx tx = new Tx();
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
        if (tx.open) {
          tx.rollback();
        }
        throw e;
      } finally {
        tx.open = false;
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

  /** One transaction: writes are applied at once and undone on rollback; events wait for commit. */
  private final class Tx implements StoreTransaction {
    private final Deque<Runnable> undo = new ArrayDeque<>();
    private final List<SnapshotEvent> appended = new ArrayList<>();
    private boolean open = true;

    private void checkOpen() {
      if (!open || current != this) {
        throw new IllegalStateException("this transaction has ended; use the one passed to the current StoreWork");
      }
    }

    @Override
    public Optional<Snapshot> find(SnapshotId id) {
      Objects.requireNonNull(id, "id");
      checkOpen();
      return Optional.ofNullable(rows.get(id));
    }

    @Override
    public Admission insertCapturing(Snapshot row, int maxSnapshots) {
      StoreChecks.insertCapturing(row, maxSnapshots);
      checkOpen();
      if (rows.containsKey(row.id())) {
        throw new SnapshotException(ErrorCode.CONFLICT,
            "snapshot " + row.id() + " already exists; generate a new id").withSnapshot(row.id());
      }
      long used = rows.values().stream()
          .filter(s -> s.workload().equals(row.workload()) && s.status().countsAgainstQuota())
          .count();
      if (maxSnapshots != -1 && used >= maxSnapshots) {
        return new Admission(false, used);
      }
      putRow(row);
      return new Admission(true, used);
    }

    @Override
    public int nextVersion(WorkloadRef workload) {
      Objects.requireNonNull(workload, "workload");
      checkOpen();
      Integer before = highestVersion.get(workload);
      int next = before == null ? 1 : before + 1;
      highestVersion.put(workload, next);
      undo.push(() -> {
        if (before == null) {
          highestVersion.remove(workload);
        } else {
          highestVersion.put(workload, before);
        }
      });
      return next;
    }

    @Override
    public boolean compareAndSet(SnapshotStatus expected, Snapshot replacement) {
      StoreChecks.compareAndSet(expected, replacement);
      checkOpen();
      Snapshot now = rows.get(replacement.id());
      if (now == null || now.status() != expected) {
        return false;
      }
      putRow(replacement);
      return true;
    }

    @Override
    public void putManifest(SnapshotId id, byte[] json) {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(json, "json");
      checkOpen();
      byte[] before = manifests.put(id, json.clone());
      undo.push(() -> {
        if (before == null) {
          manifests.remove(id);
        } else {
          manifests.put(id, before);
        }
      });
    }

    @Override
    public boolean remove(SnapshotId id, SnapshotStatus expected) {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(expected, "expected");
      checkOpen();
      Snapshot row = rows.get(id);
      if (row == null || row.status() != expected) {
        return false;
      }
      rows.remove(id);
      byte[] manifest = manifests.remove(id);
      undo.push(() -> {
        rows.put(id, row);
        if (manifest != null) {
          manifests.put(id, manifest);
        }
      });
      return true;
    }

    @Override
    public void append(SnapshotEvent event) {
      Objects.requireNonNull(event, "event");
      checkOpen();
      appended.add(event);
    }

    private void putRow(Snapshot row) {
      Snapshot before = rows.put(row.id(), row);
      undo.push(() -> {
        if (before == null) {
          rows.remove(row.id());
        } else {
          rows.put(row.id(), before);
        }
      });
    }

    private void commit() {
      for (SnapshotEvent e : appended) {
        outbox.add(e);
        everAppended.add(e);
      }
      undo.clear();
      open = false;
    }

    private void rollback() {
      while (!undo.isEmpty()) {
        undo.pop().run();
      }
      appended.clear();
      open = false;
    }
  }

  // ---------------------------------------------------------------- reads

  @Override
  public Optional<Snapshot> find(SnapshotId id) {
    Objects.requireNonNull(id, "id");
    lock.lock();
    try {
      return Optional.ofNullable(rows.get(id));
    } finally {
      lock.unlock();
    }
  }

  @Override
  public Page<Snapshot> list(SnapshotQuery query) {
    Objects.requireNonNull(query, "query");
    lock.lock();
    try {
      Map<SnapshotId, Snapshot> candidates = query.cursor()
          .map(c -> (Map<SnapshotId, Snapshot>) rows.headMap(c, false).descendingMap())
          .orElse(rows.descendingMap());
      List<Snapshot> items = new ArrayList<>();
      boolean more = false;
      for (Snapshot s : candidates.values()) {
        if (!query.matches(s)) {
          continue;
        }
        if (items.size() == query.limit()) {
          more = true;
          break;
        }
        items.add(s);
      }
      Optional<SnapshotId> next = more ? Optional.of(items.get(items.size() - 1).id()) : Optional.empty();
      return new Page<>(items, next);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public List<Snapshot> versions(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    lock.lock();
    try {
      return rows.values().stream()
          .filter(s -> s.workload().equals(workload) && s.version() > 0)
          .sorted(Comparator.comparingInt(Snapshot::version))
          .toList();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public List<Snapshot> expired(Instant now, int limit) {
    Objects.requireNonNull(now, "now");
    StoreChecks.limit(limit);
    lock.lock();
    try {
      return rows.values().stream()
          .filter(s -> (s.status() == SnapshotStatus.READY || s.status() == SnapshotStatus.DELETING) && !s.isProtected()
              && s.expiresAt().map(t -> !t.isAfter(now)).orElse(false))
          .sorted(Comparator.comparing((Snapshot s) -> s.expiresAt().orElseThrow()).thenComparing(Snapshot::id))
          .limit(limit)
          .toList();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public List<Snapshot> capturingSince(Instant before, int limit) {
    Objects.requireNonNull(before, "before");
    StoreChecks.limit(limit);
    lock.lock();
    try {
      return rows.values().stream()
          .filter(s -> s.status() == SnapshotStatus.CAPTURING && s.createdAt().isBefore(before))
          .sorted(Comparator.comparing(Snapshot::createdAt).thenComparing(Snapshot::id))
          .limit(limit)
          .toList();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public long usageBytes(TenantId tenant) {
    Objects.requireNonNull(tenant, "tenant");
    lock.lock();
    try {
      return rows.values().stream()
          .filter(s -> s.tenant().equals(tenant)
              && (s.status() == SnapshotStatus.READY || s.status() == SnapshotStatus.DELETING))
          .mapToLong(s -> s.sizeBytes().orElse(0L))
          .sum();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public Optional<byte[]> manifest(SnapshotId id) {
    Objects.requireNonNull(id, "id");
    lock.lock();
    try {
      return Optional.ofNullable(manifests.get(id)).map(byte[]::clone);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public EventOutbox outbox() {
    return outbox;
  }

  // ---------------------------------------------------------------- test helpers

  /** How many snapshot rows the store holds now, in every status and tenant. */
  public int snapshotCount() {
    lock.lock();
    try {
      return rows.size();
    } finally {
      lock.unlock();
    }
  }

  /** How many events committed transactions have appended, ever (pruning does not lower it). */
  public int eventCount() {
    lock.lock();
    try {
      return everAppended.size();
    } finally {
      lock.unlock();
    }
  }

  /** Every event committed transactions have appended, in sequence order (pruning does not remove them). */
  public List<SnapshotEvent> events() {
    lock.lock();
    try {
      return List.copyOf(everAppended);
    } finally {
      lock.unlock();
    }
  }

  /** How many events the outbox retains now (what {@link EventOutbox#prune} lowers). */
  public int retainedEventCount() {
    lock.lock();
    try {
      return outbox.events.size();
    } finally {
      lock.unlock();
    }
  }

  // ---------------------------------------------------------------- outbox

  /** Per-hook progress of one event. */
  private static final class Progress {
    boolean acknowledged;
    boolean parked;
    int attempts;
    Instant notBefore;
    String lastError = "";
    Instant parkedAt;

    boolean done() {
      return acknowledged || parked;
    }
  }

  /** A claim on a run of one workload's events for one hook, ending at {@code sequence}. */
  private record Claim(String owner, long sequence, Instant expiresAt) {}

  /** One registered hook: where it started, its progress per event and its claims per workload. */
  private static final class Hook {
    final long startAfter;
    /** Every event at or below this sequence is done for the hook; a scan starts above it. */
    long floor;
    final Map<Long, Progress> progress = new HashMap<>();
    final Map<WorkloadRef, Claim> claims = new HashMap<>();

    Hook(long startAfter) {
      this.startAfter = startAfter;
      this.floor = startAfter;
    }

    Progress progress(long sequence) {
      return progress.computeIfAbsent(sequence, s -> new Progress());
    }

    boolean done(long sequence) {
      if (sequence <= startAfter) {
        return true;
      }
      Progress p = progress.get(sequence);
      return p != null && p.done();
    }

    /** Releases the workload's claim if it ends at {@code sequence}: its last event is done. */
    void release(WorkloadRef workload, long sequence) {
      Claim c = claims.get(workload);
      if (c != null && c.sequence() == sequence) {
        claims.remove(workload);
      }
    }

    /** Releases the workload's claim if its run includes {@code sequence}: that event failed. */
    void releaseCovering(WorkloadRef workload, long sequence) {
      Claim c = claims.get(workload);
      if (c != null && c.sequence() >= sequence) {
        claims.remove(workload);
      }
    }
  }

  private final class Outbox implements EventOutbox {
    private final TreeMap<Long, SnapshotEvent> events = new TreeMap<>();
    private final Map<String, Hook> hooks = new LinkedHashMap<>();
    private long lastSequence;

    /** Called under the lock at commit. */
    void add(SnapshotEvent event) {
      events.put(++lastSequence, event);
    }

    @Override
    public void register(String hook, StartPosition start) {
      StoreChecks.register(hook, start);
      lock.lock();
      try {
        hooks.computeIfAbsent(hook, h -> new Hook(start == StartPosition.NOW ? lastSequence : 0L));
      } finally {
        lock.unlock();
      }
    }

    @Override
    public List<Delivery> claim(String hook, String owner, int max, Instant now, Duration lease) {
      return claimRuns(hook, owner, max, 1, now, lease);
    }

    @Override
    public List<Delivery> claimRuns(String hook, String owner, int max, int perWorkload, Instant now, Duration lease) {
      StoreChecks.claimRuns(hook, owner, max, perWorkload, now, lease);
      lock.lock();
      try {
        Hook h = hook(hook);
        Long above = events.higherKey(h.floor);
        while (above != null && h.done(above)) {
          h.floor = above;
          above = events.higherKey(above);
        }
        // Each workload's undone events in sequence order, up to perWorkload, cut before the first
        // one still waiting for its retry time; workloads in the order of their head event.
        Map<WorkloadRef, List<Long>> runs = new LinkedHashMap<>();
        Set<WorkloadRef> closed = new HashSet<>();
        for (Map.Entry<Long, SnapshotEvent> e : events.tailMap(h.floor, false).entrySet()) {
          WorkloadRef w = e.getValue().workload();
          long seq = e.getKey();
          if (closed.contains(w) || h.done(seq)) {
            continue;
          }
          Progress p = h.progress.get(seq);
          List<Long> run = runs.computeIfAbsent(w, k -> new ArrayList<>());
          if (p != null && p.notBefore != null && p.notBefore.isAfter(now)) {
            closed.add(w);
            continue;
          }
          run.add(seq);
          if (run.size() == perWorkload) {
            closed.add(w);
          }
        }
        List<Delivery> out = new ArrayList<>();
        for (Map.Entry<WorkloadRef, List<Long>> run : runs.entrySet()) {
          if (out.size() == max) {
            break;
          }
          if (run.getValue().isEmpty()) {
            continue;
          }
          Claim held = h.claims.get(run.getKey());
          if (held != null && !held.owner().equals(owner) && held.expiresAt().isAfter(now)) {
            continue;
          }
          List<Long> taken = run.getValue().subList(0, Math.min(run.getValue().size(), max - out.size()));
          h.claims.put(run.getKey(), new Claim(owner, taken.get(taken.size() - 1), now.plus(lease)));
          for (long seq : taken) {
            Progress p = h.progress.get(seq);
            out.add(new Delivery(seq, events.get(seq), p == null ? 0 : p.attempts));
          }
        }
        out.sort(Comparator.comparingLong(Delivery::sequence));
        return out;
      } finally {
        lock.unlock();
      }
    }

    @Override
    public void acknowledgeAll(String hook, List<Long> sequences) {
      Objects.requireNonNull(sequences, "sequences");
      lock.lock();
      try {
        for (long sequence : sequences) {
          acknowledge(hook, sequence);
        }
      } finally {
        lock.unlock();
      }
    }

    @Override
    public void acknowledge(String hook, long sequence) {
      lock.lock();
      try {
        Hook h = hook(hook);
        SnapshotEvent e = events.get(sequence);
        if (e == null || sequence <= h.startAfter) {
          return;
        }
        Progress p = h.progress(sequence);
        p.acknowledged = true;
        p.parked = false;
        h.release(e.workload(), sequence);
      } finally {
        lock.unlock();
      }
    }

    @Override
    public void retryLater(String hook, long sequence, int attempts, Instant notBefore, String error) {
      Objects.requireNonNull(notBefore, "notBefore");
      Objects.requireNonNull(error, "error");
      lock.lock();
      try {
        Hook h = hook(hook);
        SnapshotEvent e = requireEvent(sequence);
        Progress p = h.progress(sequence);
        if (p.done()) {
          return;
        }
        p.attempts = attempts;
        p.notBefore = notBefore;
        p.lastError = error;
        h.releaseCovering(e.workload(), sequence);
      } finally {
        lock.unlock();
      }
    }

    @Override
    public void park(String hook, long sequence, int attempts, String error, Instant now) {
      Objects.requireNonNull(error, "error");
      Objects.requireNonNull(now, "now");
      lock.lock();
      try {
        Hook h = hook(hook);
        SnapshotEvent e = requireEvent(sequence);
        Progress p = h.progress(sequence);
        if (p.acknowledged) {
          return;
        }
        p.parked = true;
        p.attempts = attempts;
        p.lastError = error;
        p.parkedAt = now;
        p.notBefore = null;
        h.releaseCovering(e.workload(), sequence);
      } finally {
        lock.unlock();
      }
    }

    @Override
    public List<ParkedEvent> parked(String hook) {
      lock.lock();
      try {
        Hook h = hook(hook);
        List<ParkedEvent> out = new ArrayList<>();
        new TreeMap<>(h.progress).forEach((seq, p) -> {
          SnapshotEvent e = events.get(seq);
          if (p.parked && e != null) {
            out.add(new ParkedEvent(hook, seq, e, p.attempts, p.lastError, p.parkedAt));
          }
        });
        return out;
      } finally {
        lock.unlock();
      }
    }

    @Override
    public boolean replay(String hook, long sequence) {
      lock.lock();
      try {
        Hook h = hook(hook);
        Progress p = h.progress.get(sequence);
        if (p == null || !p.parked || !events.containsKey(sequence)) {
          return false;
        }
        h.progress.remove(sequence);
        h.floor = Math.min(h.floor, sequence - 1);
        return true;
      } finally {
        lock.unlock();
      }
    }

    @Override
    public int prune(Instant before) {
      Objects.requireNonNull(before, "before");
      lock.lock();
      try {
        int removed = 0;
        var it = events.entrySet().iterator();
        while (it.hasNext()) {
          Map.Entry<Long, SnapshotEvent> e = it.next();
          long seq = e.getKey();
          if (!e.getValue().at().isBefore(before)) {
            continue;
          }
          boolean allAcknowledged = hooks.values().stream().allMatch(h -> {
            if (seq <= h.startAfter) {
              return true;
            }
            Progress p = h.progress.get(seq);
            return p != null && p.acknowledged;
          });
          if (allAcknowledged) {
            it.remove();
            hooks.values().forEach(h -> h.progress.remove(seq));
            removed++;
          }
        }
        return removed;
      } finally {
        lock.unlock();
      }
    }

    @Override
    public List<String> hooks() {
      lock.lock();
      try {
        return List.copyOf(hooks.keySet());
      } finally {
        lock.unlock();
      }
    }

    private Hook hook(String name) {
      Objects.requireNonNull(name, "hook");
      Hook h = hooks.get(name);
      if (h == null) {
        throw new SnapshotException(ErrorCode.NOT_FOUND,
            "hook '" + name + "' is not registered; call register(hook, StartPosition) first");
      }
      return h;
    }

    private SnapshotEvent requireEvent(long sequence) {
      SnapshotEvent e = events.get(sequence);
      if (e == null) {
        throw new SnapshotException(ErrorCode.NOT_FOUND,
            "no outbox event with sequence " + sequence + "; it may have been pruned");
      }
      return e;
    }
  }
}
