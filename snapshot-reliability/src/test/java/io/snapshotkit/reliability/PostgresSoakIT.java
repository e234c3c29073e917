package io.snapshotkit.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.zaxxer.hikari.HikariDataSource;
import io.snapshotkit.EventType;
import io.snapshotkit.RestoreReport;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.DispatcherSettings;
import io.snapshotkit.core.OutboxDispatcher;
import io.snapshotkit.core.RestoreSpec;
import io.snapshotkit.core.SnapshotEngine;
import io.snapshotkit.jdbc.JdbcManifestStore;
import io.snapshotkit.jdbc.PostgresWorkloadLock;
import io.snapshotkit.jdbc.testing.PostgresServer;
import io.snapshotkit.spi.EventHook;
import io.snapshotkit.spi.HostDirectory;
import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.testkit.FakeHostAgent;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bounded soak on a real PostgreSQL: two engine instances (each with its own connection pool,
 * store, advisory-lock {@code WorkloadLock}, executor and outbox dispatcher) share one database
 * and one host; 16 workers capture, diff, restore, roll back and delete their workloads
 * concurrently for {@code reliability.soak.seconds} (CI 20, {@code -Psoak} 300), each operation
 * through a randomly chosen engine, and a quarter of the captures hit a neighbour's workload so
 * the two engines contend for the same workload locks.
 *
 * <p>Host side: by default one real {@link FsHostAgent} (one agent per repository) shared by both
 * engines, as two engine instances in one process share it; {@code -Dreliability.soak.host=fake}
 * uses a {@link FakeHostAgent} instead, to measure the engine, store and outbox alone.
 *
 * <p>Asserts: every worker finishes within a bounded wait (no deadlock: a thread dump is printed
 * otherwise); no operation fails; every event in the outbox reaches both counting hooks (two
 * hooks, each a consumer group served by both dispatchers), none parked, and per snapshot in
 * order (started, created, deleted); the {@code snapshot.created} versions of each workload are
 * exactly 1..N with no gap or duplicate, matching the store's counter and the captures the
 * workers saw succeed. Prints throughput and p50/p99 per operation and writes them to
 * {@code target/reliability/soak.md}.
 */
class PostgresSoakIT {
  private static final int WORKLOADS = 16;
  private static final String[] HOOKS = {"soak-count-a", "soak-count-b"};

  /** A hook that counts deliveries per event id and keeps each workload's first-delivery order. */
  private static final class CountingHook implements EventHook {
    final ConcurrentHashMap<String, AtomicInteger> deliveries = new ConcurrentHashMap<>();
    final ConcurrentHashMap<String, SnapshotEvent> events = new ConcurrentHashMap<>();
    final Map<WorkloadRef, List<SnapshotEvent>> orderPerWorkload = new HashMap<>();

    @Override
    public void onEvent(SnapshotEvent event) {
      AtomicInteger n = deliveries.computeIfAbsent(event.id(), k -> new AtomicInteger());
      if (n.incrementAndGet() == 1) {
        events.put(event.id(), event);
        synchronized (orderPerWorkload) {
          orderPerWorkload.computeIfAbsent(event.workload(), w -> new ArrayList<>()).add(event);
        }
      }
    }
  }

  /** What the workers saw succeed, per workload. */
  private static final class Expected {
    final ConcurrentHashMap<WorkloadRef, AtomicInteger> created = new ConcurrentHashMap<>();
    final ConcurrentHashMap<WorkloadRef, AtomicInteger> deleted = new ConcurrentHashMap<>();
    final ConcurrentHashMap<WorkloadRef, AtomicInteger> restored = new ConcurrentHashMap<>();
    final ConcurrentHashMap<WorkloadRef, AtomicInteger> rolledBack = new ConcurrentHashMap<>();

    static void inc(ConcurrentHashMap<WorkloadRef, AtomicInteger> map, WorkloadRef w) {
      map.computeIfAbsent(w, k -> new AtomicInteger()).incrementAndGet();
    }

    static int get(ConcurrentHashMap<WorkloadRef, AtomicInteger> map, WorkloadRef w) {
      AtomicInteger n = map.get(w);
      return n == null ? 0 : n.get();
    }
  }

  /** Changes a workload's live state between operations. */
  private interface Mutator {
    void change(WorkloadRef workload, SplittableRandom random, int step);
  }

  @Test
  void twoEnginesSixteenWorkloadsLoseNothing(@TempDir Path dir) throws Exception {
    int seconds = Integer.getInteger("reliability.soak.seconds", 20);
    boolean fs = !"fake".equals(System.getProperty("reliability.soak.host", "fs"));
    String database = PostgresServer.newDatabase("soak");
    List<AutoCloseable> closing = new ArrayList<>();
    List<WorkloadRef> workloads = new ArrayList<>();
    for (int i = 0; i < WORKLOADS; i++) {
      workloads.add(WorkloadRef.of("tenant-" + (i % 2), "ws-" + i));
    }
    HostAgent agent;
    Mutator mutator;
    if (fs) {
      // One FsHostAgent (one per repository) shared by both engines, as two engine instances in
      // one process would share it; the PostgreSQL advisory lock serialises each workload across them.
      FsHostAgent fsAgent = FsHostAgent.builder().repository(dir.resolve("repo")).restoreHeadroom(0).build();
      closing.add(fsAgent);
      for (WorkloadRef w : workloads) {
        Path volume = Files.createDirectories(dir.resolve("volumes").resolve(w.id()));
        fsAgent.track(w, Map.of("data", volume));
      }
      agent = fsAgent;
      mutator = (w, random, step) -> {
        Path volume = dir.resolve("volumes").resolve(w.id());
        try {
          Files.writeString(volume.resolve("f" + random.nextInt(20)), "step " + step + " of " + w,
              StandardCharsets.UTF_8);
          if (random.nextInt(4) == 0) {
            Files.deleteIfExists(volume.resolve("f" + random.nextInt(20)));
          }
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      };
    } else {
      FakeHostAgent fake = new FakeHostAgent("host-1");
      workloads.forEach(fake::createWorkload);
      agent = fake;
      mutator = (w, random, step) -> {
        fake.put(w, "files", "f" + random.nextInt(20), JsonNodeFactory.instance.objectNode().put("step", step));
        if (random.nextInt(4) == 0) {
          fake.remove(w, "files", "f" + random.nextInt(20));
        }
      };
    }
    Map<String, CountingHook> hooks = new LinkedHashMap<>();
    for (String name : HOOKS) {
      hooks.put(name, new CountingHook());
    }
    SnapshotEngine[] engines = new SnapshotEngine[2];
    OutboxDispatcher[] dispatchers = new OutboxDispatcher[2];
    HikariDataSource firstPool = null;
    LatencyRecorder latency = new LatencyRecorder();
    Expected expected = new Expected();
    ExecutorService workers = Executors.newFixedThreadPool(WORKLOADS);
    try {
      for (int e = 0; e < 2; e++) {
        HikariDataSource pool = PostgresServer.pool(database, "soak-engine-" + e, 40);
        closing.add(pool);
        if (firstPool == null) {
          firstPool = pool;
        }
        JdbcManifestStore store = JdbcManifestStore.postgres(pool);
        ExecutorService executor = Executors.newFixedThreadPool(8);
        closing.add(executor::shutdownNow);
        engines[e] = SnapshotEngine.builder()
            .manifestStore(store)
            .hosts(HostDirectory.single(agent))
            .lifecycle(Lifecycle.none())
            .workloadLock(PostgresWorkloadLock.on(pool))
            .clock(Clock.systemUTC())
            .executor(executor)
            .lockTimeout(Duration.ofSeconds(60))
            .hostTimeout(Duration.ofSeconds(60))
            .build();
        closing.add(engines[e]);
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        ExecutorService delivery = Executors.newFixedThreadPool(2);
        closing.add(scheduler::shutdownNow);
        closing.add(delivery::shutdownNow);
        dispatchers[e] = OutboxDispatcher.create(store.outbox(), new LinkedHashMap<>(hooks), Clock.systemUTC(),
            scheduler, delivery, DispatcherSettings.defaults()
                .withOwnerId("soak-dispatcher-" + e)
                .withoutJitter()
                .withBackoff(Duration.ofMillis(50), Duration.ofSeconds(1))
                .withPollInterval(Duration.ofMillis(10))
                .withClaimLease(Duration.ofSeconds(30)));
        dispatchers[e].start();
      }

      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      long started = System.nanoTime();
      List<Future<?>> running = new ArrayList<>();
      for (int i = 0; i < WORKLOADS; i++) {
        int index = i;
        running.add(workers.submit(() -> {
          work(index, workloads, engines, mutator, deadline, latency, expected);
          return null;
        }));
      }
      workers.shutdown();
      if (!workers.awaitTermination(seconds + 120L, TimeUnit.SECONDS)) {
        fail("workers did not finish within " + (seconds + 120) + " s of a " + seconds
            + " s run: deadlock or stuck lock\n" + threadDump());
      }
      double elapsed = (System.nanoTime() - started) / 1e9;
      for (Future<?> f : running) {
        f.get(); // rethrows the first unexpected failure of a worker
      }

      // Every event the store holds reaches both hooks. Delivery may lag the load on a busy
      // machine, so the wait is bounded by progress: it fails when no new event was delivered for
      // 60 s, or after 30 minutes in all.
      Set<String> stored = storedEventIds(firstPool);
      long backlog = hooks.values().stream().mapToLong(h -> stored.size() - h.deliveries.size()).max().orElse(0);
      long drainStart = System.nanoTime();
      long hardLimit = drainStart + TimeUnit.MINUTES.toNanos(30);
      long lastProgress = drainStart;
      long lastCount = -1;
      while (!hooks.values().stream().allMatch(h -> h.deliveries.keySet().containsAll(stored))) {
        long count = hooks.values().stream().mapToLong(h -> h.deliveries.size()).sum();
        long now = System.nanoTime();
        if (count != lastCount) {
          lastCount = count;
          lastProgress = now;
        }
        if (now - lastProgress > TimeUnit.SECONDS.toNanos(60) || now > hardLimit) {
          for (Map.Entry<String, CountingHook> h : hooks.entrySet()) {
            Set<String> missing = new HashSet<>(stored);
            missing.removeAll(h.getValue().deliveries.keySet());
            if (!missing.isEmpty()) {
              fail("hook " + h.getKey() + " is missing " + missing.size() + " of " + stored.size() + " events "
                  + (now > hardLimit ? "after 30 minutes" : "and none was delivered for 60 s") + ", e.g. "
                  + missing.stream().limit(5).toList());
            }
          }
        }
        TimeUnit.MILLISECONDS.sleep(50);
      }
      double drained = (System.nanoTime() - drainStart) / 1e9;
      for (OutboxDispatcher d : dispatchers) {
        assertTrue(d.stop(), "dispatcher stopped with deliveries still in flight");
      }

      String table = latency.table(elapsed);
      String header = String.format(java.util.Locale.ROOT,
          "PostgreSQL soak (%s host): %d s, 2 engines, %d workloads, %d operations, %d events delivered to each of %d hooks"
              + "; when the load stopped %d events per hook were not yet delivered, drained %.1f s later"
              + " (%.0f events/s per hook over the whole run)%n%n",
          fs ? "FsHostAgent" : "FakeHostAgent", seconds, WORKLOADS, latency.total(), stored.size(), HOOKS.length,
          backlog, drained, stored.size() / (elapsed + drained));
      System.out.println(header + table);
      Path report = Path.of("target", "reliability", "soak.md");
      Files.createDirectories(report.getParent());
      Files.writeString(report, header + table, StandardCharsets.UTF_8);

      for (String name : HOOKS) {
        assertTrue(dispatchers[0].parked(name).isEmpty(), "hook " + name + " has parked events");
        CountingHook hook = hooks.get(name);
        assertEquals(stored, hook.deliveries.keySet(), "hook " + name + " received events the store does not hold");
        checkOrder(name, hook);
      }
      CountingHook hook = hooks.get(HOOKS[0]);
      Map<WorkloadRef, Integer> lastVersions = lastVersions(firstPool);
      for (WorkloadRef w : workloads) {
        List<SnapshotEvent> events = hook.orderPerWorkload.getOrDefault(w, List.of());
        List<Integer> versions = events.stream().filter(ev -> ev.type() == EventType.CREATED)
            .map(SnapshotEvent::version).sorted().toList();
        int n = Expected.get(expected.created, w);
        assertTrue(n > 0, "workload " + w + " was never captured in " + seconds + " s");
        List<Integer> gapFree = new ArrayList<>();
        for (int v = 1; v <= n; v++) {
          gapFree.add(v);
        }
        assertEquals(gapFree, versions, "versions of " + w + " (from snapshot.created events) are not exactly 1.."
            + n + " for the " + n + " captures the workers saw succeed");
        assertEquals(n, lastVersions.get(w), "the store's last version of " + w);
        assertEquals(n, count(events, EventType.CAPTURE_STARTED), "capture.started events of " + w);
        assertEquals(Expected.get(expected.deleted, w), count(events, EventType.DELETED), "deleted events of " + w);
        assertEquals(Expected.get(expected.restored, w), count(events, EventType.RESTORED), "restored events of " + w);
        assertEquals(Expected.get(expected.rolledBack, w), count(events, EventType.ROLLED_BACK),
            "rolled_back events of " + w);
        assertEquals(0, count(events, EventType.FAILED), "failed captures of " + w);
        List<Snapshot> rows = engines[0].list(SnapshotQuery.of(w).limit(500)).items();
        assertTrue(rows.stream().allMatch(s -> s.status() == SnapshotStatus.READY),
            "every remaining snapshot of " + w + " is READY: " + rows);
        assertEquals(n - Expected.get(expected.deleted, w), rows.size(), "snapshots left of " + w);
      }
    } finally {
      workers.shutdownNow();
      for (OutboxDispatcher d : dispatchers) {
        if (d != null) {
          d.close();
        }
      }
      for (int i = closing.size() - 1; i >= 0; i--) {
        closing.get(i).close();
      }
    }
  }

  /** One worker: owns workload {@code index}, also captures its neighbour's, until the deadline. */
  private static void work(int index, List<WorkloadRef> workloads, SnapshotEngine[] engines, Mutator mutator,
      long deadline, LatencyRecorder latency, Expected expected) {
    SplittableRandom random = new SplittableRandom(1000L + index);
    WorkloadRef own = workloads.get(index);
    WorkloadRef neighbour = workloads.get((index + 1) % workloads.size());
    int step = 0;
    while (System.nanoTime() < deadline) {
      SnapshotEngine engine = engines[random.nextInt(2)];
      int roll = random.nextInt(100);
      step++;
      String name = "step " + step;
      List<Snapshot> versions = engine.versions(own);
      if (versions.size() > 10 || (roll >= 88 && roll < 96 && versions.size() > 4)) {
        SnapshotId oldest = versions.get(0).id();
        timed(latency, "delete", () -> {
          engine.delete(own.tenant(), oldest);
          return null;
        });
        Expected.inc(expected.deleted, own);
      } else if (roll < 30 || versions.size() < 2) {
        mutator.change(own, random, step);
        timed(latency, "capture", () -> engine.capture(CaptureSpec.of(own).name(name)));
        Expected.inc(expected.created, own);
      } else if (roll < 45) {
        WorkloadRef target = neighbour;
        timed(latency, "capture (neighbour)", () -> engine.capture(CaptureSpec.of(target)));
        Expected.inc(expected.created, target);
      } else if (roll < 60) {
        Snapshot a = versions.get(random.nextInt(versions.size()));
        Snapshot b = versions.get(random.nextInt(versions.size()));
        timed(latency, "diff", () -> engine.diff(own.tenant(), a.id(), b.id()));
      } else if (roll < 70) {
        Snapshot a = versions.get(random.nextInt(versions.size()));
        timed(latency, "diff (current)", () -> engine.diffCurrent(own.tenant(), a.id()));
      } else if (roll < 80) {
        Snapshot a = versions.get(random.nextInt(versions.size()));
        timed(latency, "restore (additive)", () -> engine.restore(own.tenant(), a.id(), RestoreSpec.additive()));
        Expected.inc(expected.restored, own);
      } else if (roll < 88) {
        Snapshot a = versions.get(random.nextInt(versions.size()));
        boolean pre = random.nextBoolean();
        RestoreReport report = timed(latency, "rollback (replace)", () -> engine.rollback(own, a.version(), pre));
        Expected.inc(expected.rolledBack, own);
        if (report.preRestoreSnapshot().isPresent()) {
          Expected.inc(expected.created, own);
        } else if (pre) {
          throw new AssertionError("rollback of " + own + " asked for a pre-restore snapshot and got none: "
              + report.warnings());
        }
      } else {
        timed(latency, "list", () -> engine.list(SnapshotQuery.of(own)));
      }
    }
  }

  private interface Op<T> {
    T run();
  }

  private static <T> T timed(LatencyRecorder latency, String name, Op<T> op) {
    long start = System.nanoTime();
    T result = op.run();
    latency.record(name, System.nanoTime() - start);
    return result;
  }

  private static long count(List<SnapshotEvent> events, EventType type) {
    return events.stream().filter(e -> e.type() == type).count();
  }

  /** Per snapshot, its events arrive in lifecycle order: started before created before deleted. */
  private static void checkOrder(String name, CountingHook hook) {
    synchronized (hook.orderPerWorkload) {
      hook.orderPerWorkload.forEach((w, events) -> {
        Map<SnapshotId, List<EventType>> perSnapshot = new TreeMap<>();
        for (SnapshotEvent e : events) {
          e.snapshotId().ifPresent(id -> perSnapshot.computeIfAbsent(id, k -> new ArrayList<>()).add(e.type()));
        }
        perSnapshot.forEach((id, types) -> {
          int started = types.indexOf(EventType.CAPTURE_STARTED);
          int created = types.indexOf(EventType.CREATED);
          int deleted = types.indexOf(EventType.DELETED);
          assertTrue(started == 0, name + ": snapshot " + id + " of " + w + " did not start with capture.started: " + types);
          assertTrue(created == 1, name + ": snapshot " + id + " of " + w + " was not created second: " + types);
          assertTrue(deleted == -1 || deleted == types.size() - 1,
              name + ": snapshot " + id + " of " + w + " has events after its delete: " + types);
        });
      });
    }
  }

  private static Set<String> storedEventIds(HikariDataSource pool) throws SQLException {
    Set<String> ids = new HashSet<>();
    try (Connection c = pool.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT event_id FROM sk_event")) {
      while (rs.next()) {
        ids.add(rs.getString(1));
      }
    }
    return ids;
  }

  private static Map<WorkloadRef, Integer> lastVersions(HikariDataSource pool) throws SQLException {
    Map<WorkloadRef, Integer> last = new HashMap<>();
    try (Connection c = pool.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT tenant, workload, last_version FROM sk_workload")) {
      while (rs.next()) {
        last.put(WorkloadRef.of(rs.getString(1), rs.getString(2)), rs.getInt(3));
      }
    }
    return last;
  }

  private static String threadDump() {
    StringBuilder out = new StringBuilder();
    for (ThreadInfo info : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
      out.append(info);
    }
    return out.toString();
  }
}
