package io.snapshotkit.testkit;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.Delivery;
import io.snapshotkit.spi.EventOutbox;
import io.snapshotkit.spi.ParkedEvent;
import io.snapshotkit.spi.StartPosition;
import io.snapshotkit.spi.StoreChecks;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The event outbox of {@link InMemoryManifestStore}: events in sequence order, and per hook its
 * start, its progress per event (acknowledged, retry time, parked) and its claims per workload.
 *
 * <p>It shares the store's lock, so an event added at commit and a claim never interleave.
 * {@link #add} and the other package-private methods are called with the lock held; every
 * {@link EventOutbox} method takes the lock itself.
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
final class InMemoryOutbox implements EventOutbox {
  private final ReentrantLock lock;
  private final TreeMap<Long, SnapshotEvent> events = new TreeMap<>();
  private final Map<String, Hook> hooks = new LinkedHashMap<>();
  /** Every event ever added, in sequence order; pruning does not remove from it. */
  private final List<SnapshotEvent> everAdded = new ArrayList<>();
  private long lastSequence;

  /** An empty outbox guarded by {@code lock}, the lock of the store it belongs to. */
  InMemoryOutbox(ReentrantLock lock) {
    this.lock = lock;
  }

  /** Adds a committed event under the next sequence number. */
  void add(SnapshotEvent event) {
    events.put(++lastSequence, event);
    everAdded.add(event);
  }

  /** Every event ever added, in sequence order, pruned ones included. */
  List<SnapshotEvent> everAdded() {
    return List.copyOf(everAdded);
  }

  /** How many events were ever added, pruned ones included. */
  int everAddedCount() {
    return everAdded.size();
  }

  /** How many events the outbox retains now (what {@link #prune} lowers). */
  int retainedCount() {
    return events.size();
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
}
