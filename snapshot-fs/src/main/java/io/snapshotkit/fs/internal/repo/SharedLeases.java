package io.snapshotkit.fs.internal.repo;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.fs.store.ObjectStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps collections on one host from deleting content a capture on another host relies on, when
 * several agents share one object store (a bucket). In-process, {@link ContentStore}'s pins do
 * that job; across hosts there is no shared memory, so each side announces itself with a lease
 * object and looks for the other's after writing its own:
 *
 * <ul>
 *   <li>a capture writes {@code leases/capture.<expiry>.<uuid>.<host>}, then lists {@code leases/}
 *       and waits while a live gc lease of another agent exists, then reloads the index;
 *   <li>a collection (gc, or the reclaim of an abandoned capture) writes {@code
 *       leases/gc.<expiry>.<uuid>.<host>}, then lists {@code leases/} and gives up (deletes
 *       nothing, a later gc collects) if a live capture or gc lease of another agent exists.
 * </ul>
 *
 * Both write before they list, and the store is list-after-write consistent, so of a capture and
 * a collection that overlap at least one sees the other: never both proceed. A lease names its
 * expiry; the holder renews it every third of the lease time (a new object, then the old one
 * deleted), so a lease outlives its holder by at most the lease time: an agent killed with a lease
 * held delays other hosts' gc that long, and nothing else. Expired leases are deleted by the next
 * collection. Hosts' clocks must agree to well within the lease time (NTP).
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
final class SharedLeases implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SharedLeases.class);
  static final String PREFIX = "leases/";
  private static final String CAPTURE = "capture";
  private static final String GC = "gc";

  private final ObjectStore objects;
  private final String host;
  private final Duration leaseTime;
  private final Clock clock;
  private final Set<Lease> held = ConcurrentHashMap.newKeySet();
  /**
   * The ids of this agent's ended leases whose objects could not all be deleted (the store was
   * unreachable): not another agent's work, so they never block this agent, and its next
   * collection deletes them. To other agents they stay live until they expire.
   */
  private final Set<String> leftovers = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService renewer;

  SharedLeases(ObjectStore objects, String host, Duration leaseTime, Clock clock) {
    this.objects = objects;
    this.host = safe(host);
    this.leaseTime = leaseTime;
    this.clock = clock;
    this.renewer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "snapshotkit-lease-renewal");
      t.setDaemon(true);
      return t;
    });
    long period = Math.max(1, leaseTime.toMillis() / 3);
    renewer.scheduleWithFixedDelay(this::renewAll, period, period, TimeUnit.MILLISECONDS);
  }

  /** A host id as an object-name segment. */
  private static String safe(String host) {
    String s = host.replaceAll("[^A-Za-z0-9_-]", "_");
    return s.isEmpty() ? "host" : s;
  }

  /** One held lease; {@link #close()} ends it. */
  final class Lease implements AutoCloseable {
    private final String kind;
    private final String uuid = UUID.randomUUID().toString();
    private volatile String name;
    /** The expiry of the newest lease object written. */
    private volatile long expiry;

    private Lease(String kind) {
      this.kind = kind;
    }

    /** Set by {@link #close()}; a renewal after it writes nothing. */
    private boolean closed;

    /**
     * Writes the next lease object and deletes the previous one. Synchronized with {@link
     * #close()}: a close during a renewal waits for it and then deletes the object it wrote.
     */
    private synchronized void write() throws IOException {
      if (closed) {
        return;
      }
      long until = clock.millis() + leaseTime.toMillis();
      String next = PREFIX + kind + "." + until + "." + uuid + "." + host;
      objects.putUnique(next, (host + "\n").getBytes(StandardCharsets.UTF_8));
      String old = name;
      name = next;
      expiry = until;
      if (old != null) {
        try {
          objects.discard(old);
        } catch (IOException | RuntimeException e) {
          leftovers.add(uuid);
          throw e;
        }
      }
    }

    /**
     * Checks, before a capture publishes its root, that the lease has at least a sixth of its time
     * left (renewed every third, it normally has two thirds): renewals that kept failing mean
     * another agent's gc may run soon, so the capture must not rely on what it looked up.
     *
     * @throws SnapshotException HOST_UNAVAILABLE if the lease lapsed or is about to
     */
    void checkHeld() {
      if (expiry - clock.millis() < leaseTime.toMillis() / 6) {
        throw new SnapshotException(ErrorCode.HOST_UNAVAILABLE, "the capture's lease on the shared repository "
            + "could not be renewed in time (the object store was unreachable), so another agent's gc may have "
            + "removed content it reuses; capture again");
      }
    }

    /** Ends the lease (its object is deleted; if that fails it expires). */
    @Override
    public synchronized void close() {
      closed = true;
      if (held.remove(this)) {
        try {
          objects.discard(name);
        } catch (IOException | RuntimeException e) {
          leftovers.add(uuid);
          LOG.warn("could not delete the lease {}; this agent's next gc deletes it, other agents wait until it "
              + "expires", name, e);
        }
      }
    }
  }

  /** A live lease found in the store. */
  private record Found(String name, String kind, long expiry, String uuid) {}

  private List<Found> live() throws IOException {
    long now = clock.millis();
    return objects.list(PREFIX).stream().map(SharedLeases::parse).flatMap(Optional::stream)
        .filter(f -> f.expiry > now).toList();
  }

  private static Optional<Found> parse(String name) {
    String[] p = name.substring(PREFIX.length()).split("\\.", 4);
    if (p.length < 4) {
      return Optional.empty();
    }
    try {
      return Optional.of(new Found(name, p[0], Long.parseLong(p[1]), p[2]));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private boolean mine(Found f) {
    return leftovers.contains(f.uuid) || held(f.uuid);
  }


  private Lease take(String kind) {
    Lease l = new Lease(kind);
    try {
      l.write();
    } catch (IOException e) {
      throw SnapshotException.wrap("writing a lease in the shared repository", e);
    }
    held.add(l);
    return l;
  }

  /**
   * Announces a capture, then waits while another agent's collection runs. The lease keeps any
   * other agent's collection from deleting anything until it is closed.
   *
   * @throws SnapshotException HOST_UNAVAILABLE if interrupted while waiting
   */
  Lease capture() {
    Lease l = take(CAPTURE);
    try {
      boolean logged = false;
      while (true) {
        Optional<Found> gc = live().stream().filter(f -> f.kind.equals(GC) && !mine(f)).findFirst();
        if (gc.isEmpty()) {
          return l;
        }
        if (!logged) {
          LOG.info("waiting for the gc another agent runs on the shared repository ({}) before capturing", gc.get().name);
          logged = true;
        }
        Thread.sleep(100);
      }
    } catch (InterruptedException e) {
      l.close();
      Thread.currentThread().interrupt();
      throw new SnapshotException(ErrorCode.HOST_UNAVAILABLE, "interrupted while waiting for another agent's gc "
          + "of the shared repository to end; retry the capture");
    } catch (IOException | RuntimeException e) {
      l.close();
      throw e instanceof IOException io ? SnapshotException.wrap("reading the leases of the shared repository", io)
          : (RuntimeException) e;
    }
  }

  /**
   * Takes the right to delete content, unless a capture or collection of another agent holds a
   * lease: then nothing may be deleted now (a later gc collects).
   *
   * @return the lease to close when the deletes are done, or empty if another agent is busy
   */
  Optional<Lease> exclusive() {
    Lease l = take(GC);
    try {
      List<Found> others = live().stream().filter(f -> !mine(f)).toList();
      if (!others.isEmpty()) {
        LOG.info("another agent works on the shared repository ({}); this collection deletes nothing, a later one will",
            others.get(0).name);
        l.close();
        return Optional.empty();
      }
      removeExpired();
      return Optional.of(l);
    } catch (IOException e) {
      l.close();
      throw SnapshotException.wrap("reading the leases of the shared repository", e);
    } catch (RuntimeException e) {
      l.close();
      throw e;
    }
  }

  /**
   * The start before which another process's unfinished upload is abandoned, for a collection
   * that holds the exclusive lease: one lease time before now. Every upload happens under a
   * lease, and no other agent holds a live one, so such an upload's writer died or its capture
   * already failed ({@link Lease#checkHeld}); the extra lease time absorbs clock skew between hosts
   * and the object store.
   */
  java.time.Instant abandonedBefore() {
    return java.time.Instant.ofEpochMilli(clock.millis() - leaseTime.toMillis());
  }

  /**
   * Deletes leases that expired (their holders died) and this agent's ended leases it could not
   * delete when they ended, so listings stay short and other agents need not wait for them.
   */
  private void removeExpired() throws IOException {
    long now = clock.millis();
    Set<String> endedHere = Set.copyOf(leftovers);
    for (String n : objects.list(PREFIX)) {
      Optional<Found> f = parse(n);
      if (f.isPresent() && (f.get().expiry <= now || endedHere.contains(f.get().uuid) && !held(f.get().uuid))) {
        objects.discard(n);
      }
    }
    leftovers.removeIf(u -> endedHere.contains(u) && !held(u));
  }

  private boolean held(String uuid) {
    return held.stream().anyMatch(l -> l.uuid.equals(uuid));
  }

  private void renewAll() {
    for (Lease l : held) {
      try {
        l.write();
      } catch (IOException | RuntimeException e) {
        LOG.warn("could not renew the lease {}; other agents' gc may run once it expires", l.name, e);
      }
    }
  }

  /** Stops renewing and deletes every held lease. */
  @Override
  public void close() {
    renewer.shutdownNow();
    for (Lease l : List.copyOf(held)) {
      l.close();
    }
  }
}
