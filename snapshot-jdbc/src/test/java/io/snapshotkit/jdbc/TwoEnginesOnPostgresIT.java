package io.snapshotkit.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.zaxxer.hikari.HikariDataSource;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.EventType;
import io.snapshotkit.Plan;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.DispatcherSettings;
import io.snapshotkit.core.SnapshotEngine;
import io.snapshotkit.jdbc.testing.PostgresServer;
import io.snapshotkit.spi.EventHook;
import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.testkit.FakeHostAgent;
import io.snapshotkit.testkit.FakeHostDirectory;
import io.snapshotkit.testkit.FaultyHostAgent;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Two engine instances (two stores on two Hikari pools, two advisory-lock WorkloadLocks, two outbox
 * dispatchers) sharing one real PostgreSQL database, as a horizontally scaled control plane runs.
 */
@DisplayName("Two SnapshotEngine instances on one PostgreSQL database")
class TwoEnginesOnPostgresIT {
  private static final int CAPTURES = 1_000;
  private static final int THREADS_PER_ENGINE = 8;
  private static final int WORKLOADS = 4;
  private static final int LIMIT = 200; // 250 attempts per workload: the last 50 of each hit the quota
  private static final List<String> HOOKS = List.of("audit", "billing");

  @Test
  @DisplayName("1,000 captures from 2×8 threads: versions exactly 1..N, no quota overshoot, every event to every hook exactly once")
  void twoInstancesShareOneDatabase() throws Exception {
    String database = PostgresServer.newDatabase();
    List<WorkloadRef> workloads = IntStream.range(0, WORKLOADS)
        .mapToObj(i -> WorkloadRef.of("acme", "w" + i)).toList();
    FakeHostDirectory hosts = FakeHostDirectory.withHosts(2);
    for (int i = 0; i < WORKLOADS; i++) {
      String host = "h" + (1 + i % 2);
      hosts.agentFor(host).createWorkload(workloads.get(i));
      hosts.place(workloads.get(i), host);
    }
    Map<String, Ledger> ledgers = new TreeMap<>();
    HOOKS.forEach(h -> ledgers.put(h, new Ledger()));

    ExecutorService deliveryA = Executors.newFixedThreadPool(4);
    ExecutorService deliveryB = Executors.newFixedThreadPool(4);
    ExecutorService engineExecutor = Executors.newFixedThreadPool(2);
    ExecutorService workers = Executors.newFixedThreadPool(2 * THREADS_PER_ENGINE + 2);
    try (HikariDataSource poolA = PostgresServer.pool(database, 2 * THREADS_PER_ENGINE + 4);
        HikariDataSource poolB = PostgresServer.pool(database, 2 * THREADS_PER_ENGINE + 4)) {
      Instance a = new Instance("instance-a", poolA, hosts, ledgers, deliveryA, engineExecutor);
      Instance b = new Instance("instance-b", poolB, hosts, ledgers, deliveryB, engineExecutor);
      List<Instance> instances = List.of(a, b);

      // Both dispatchers poll for the whole run, racing each other and the captures.
      AtomicBoolean capturing = new AtomicBoolean(true);
      List<Future<?>> pollers = new ArrayList<>();
      for (Instance instance : instances) {
        pollers.add(workers.submit(() -> {
          while (capturing.get()) {
            if (instance.engine.pollEvents() == 0) {
              LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
            }
          }
          return null;
        }));
      }

      AtomicInteger next = new AtomicInteger();
      CountDownLatch start = new CountDownLatch(1);
      Map<WorkloadRef, List<Integer>> versionsReturned = new ConcurrentHashMap<>();
      Map<WorkloadRef, AtomicInteger> refused = new ConcurrentHashMap<>();
      List<Future<?>> capturers = new ArrayList<>();
      for (Instance instance : instances) {
        for (int t = 0; t < THREADS_PER_ENGINE; t++) {
          capturers.add(workers.submit(() -> {
            start.await();
            for (int i = next.getAndIncrement(); i < CAPTURES; i = next.getAndIncrement()) {
              WorkloadRef workload = workloads.get(i % WORKLOADS);
              try {
                Snapshot ready = instance.engine.capture(CaptureSpec.of(workload));
                versionsReturned.computeIfAbsent(workload, w -> Collections.synchronizedList(new ArrayList<>()))
                    .add(ready.version());
              } catch (SnapshotException e) {
                if (e.code() != ErrorCode.QUOTA_EXCEEDED) {
                  throw e;
                }
                refused.computeIfAbsent(workload, w -> new AtomicInteger()).incrementAndGet();
              }
            }
            return null;
          }));
        }
      }
      start.countDown();
      for (Future<?> f : capturers) {
        f.get(5, TimeUnit.MINUTES);
      }
      capturing.set(false);
      for (Future<?> f : pollers) {
        f.get(1, TimeUnit.MINUTES);
      }

      // Versions: exactly 1..LIMIT per workload, each handed out once across both instances; the rest refused.
      List<Integer> oneToLimit = IntStream.rangeClosed(1, LIMIT).boxed().toList();
      for (WorkloadRef workload : workloads) {
        List<Integer> returned = new ArrayList<>(versionsReturned.get(workload));
        returned.sort(null);
        assertEquals(oneToLimit, returned, "versions handed out for " + workload);
        assertEquals(oneToLimit, b.engine.versions(workload).stream().map(Snapshot::version).toList(),
            "versions stored for " + workload);
        assertEquals(CAPTURES / WORKLOADS - LIMIT, refused.get(workload).get(), "captures refused by the quota of " + workload);
      }
      Database sql = Database.of(poolA);
      int overQuota = sql.withHandle(h -> h.createQuery(
              "SELECT COUNT(*) FROM (SELECT workload FROM sk_snapshot WHERE status <> 'FAILED' "
                  + "GROUP BY workload HAVING COUNT(*) > :limit) over_quota")
          .bind("limit", LIMIT).mapTo(Integer.class).one());
      assertEquals(0, overQuota, "no workload holds more snapshots than its plan allows");

      // The advisory lock kept the two instances' captures of one workload apart on the host.
      for (FakeHostAgent agent : hosts.agents()) {
        Map<WorkloadRef, List<FaultyHostAgent.Call>> byWorkload = new HashMap<>();
        agent.calls(FaultyHostAgent.Op.CAPTURE).forEach(c -> byWorkload.computeIfAbsent(c.workload(), w -> new ArrayList<>()).add(c));
        byWorkload.forEach((workload, calls) -> {
          calls.sort(Comparator.comparingLong(FaultyHostAgent.Call::startNanos));
          for (int i = 1; i < calls.size(); i++) {
            assertTrue(!calls.get(i - 1).overlaps(calls.get(i)), "two captures of " + workload + " overlapped");
          }
        });
      }

      // Events: drain what the racing pollers left, then every hook has seen every event exactly once.
      Map<String, Long> sequenceOf = new HashMap<>();
      Map<EventType, Integer> types = new TreeMap<>();
      for (OutboxRow row : sql.withHandle(h -> h.createQuery("SELECT event_id, seq, type FROM sk_event")
          .map(rs -> new OutboxRow(rs.getString("event_id"), rs.getLong("seq"),
              EventType.fromWireName(rs.getString("type"))))
          .list())) {
        sequenceOf.put(row.eventId(), row.seq());
        types.merge(row.type(), 1, Integer::sum);
      }
      int admitted = WORKLOADS * LIMIT;
      assertEquals(Map.of(EventType.CAPTURE_STARTED, admitted, EventType.CREATED, admitted,
          EventType.QUOTA_REJECTED, CAPTURES - admitted), types);
      for (int round = 0; round < 10_000 && !ledgers.values().stream().allMatch(l -> l.size() >= sequenceOf.size()); round++) {
        if (a.engine.pollEvents() + b.engine.pollEvents() == 0) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
      }
      for (Map.Entry<String, Ledger> e : ledgers.entrySet()) {
        e.getValue().assertExactlyOnceInOrder(e.getKey(), sequenceOf);
      }
      int undone = sql.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM sk_delivery WHERE state <> 'DONE'")
          .mapTo(Integer.class).one());
      assertEquals(0, undone, "every delivery is acknowledged");
      for (Instance instance : instances) {
        assertTrue(instance.delivered.get() > 0, instance.name + " delivered a share of the events");
      }
      assertEquals(HOOKS.size() * sequenceOf.size(), a.delivered.get() + b.delivered.get(),
          "the two dispatchers together made exactly one call per event and hook");
      a.engine.close();
      b.engine.close();
    } finally {
      workers.shutdownNow();
      deliveryA.shutdownNow();
      deliveryB.shutdownNow();
      engineExecutor.shutdownNow();
    }
  }

  private record OutboxRow(String eventId, long seq, EventType type) {}

  /** One engine instance: its own pool, store, advisory lock and dispatcher. */
  private static final class Instance {
    final String name;
    final SnapshotEngine engine;
    final AtomicInteger delivered = new AtomicInteger();

    Instance(String name, HikariDataSource pool, FakeHostDirectory hosts, Map<String, Ledger> ledgers,
        ExecutorService delivery, ExecutorService executor) {
      this.name = name;
      SnapshotEngine.Builder builder = SnapshotEngine.builder()
          .manifestStore(JdbcManifestStore.postgres(pool))
          .workloadLock(PostgresWorkloadLock.on(pool))
          .hosts(hosts)
          .lifecycle(Lifecycle.none())
          .plans(tenant -> new Plan(LIMIT, Optional.empty()))
          .clock(Clock.systemUTC())
          .executor(executor)
          .manualEventDispatch(delivery, DispatcherSettings.defaults().withOwnerId(name));
      for (Map.Entry<String, Ledger> e : ledgers.entrySet()) {
        EventHook recorder = e.getValue().hook();
        builder.eventHook(e.getKey(), event -> {
          delivered.incrementAndGet();
          recorder.onEvent(event);
        });
      }
      this.engine = builder.build();
    }
  }

  /**
   * Every delivery of one hook name, from whichever instance made it. Not synchronised around the
   * call itself, so concurrent deliveries really overlap and are caught.
   */
  private static final class Ledger {
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final Set<String> inFlightEvents = ConcurrentHashMap.newKeySet();
    private final Set<String> inFlightWorkloads = ConcurrentHashMap.newKeySet();
    private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, List<String>> orderByWorkload = new ConcurrentHashMap<>();

    EventHook hook() {
      return this::deliver;
    }

    private void deliver(SnapshotEvent event) {
      if (!inFlightEvents.add(event.id())) {
        problems.add("event " + event.id() + " delivered twice concurrently");
      }
      if (!inFlightWorkloads.add(event.workload().key())) {
        problems.add("two events of " + event.workload() + " delivered concurrently");
      }
      calls.computeIfAbsent(event.id(), id -> new AtomicInteger()).incrementAndGet();
      orderByWorkload.computeIfAbsent(event.workload().key(), w -> Collections.synchronizedList(new ArrayList<>()))
          .add(event.id());
      Thread.yield(); // widen the window in which a second, concurrent delivery would be seen
      inFlightWorkloads.remove(event.workload().key());
      inFlightEvents.remove(event.id());
    }

    int size() {
      return calls.size();
    }

    void assertExactlyOnceInOrder(String hook, Map<String, Long> sequenceOf) {
      assertEquals(List.of(), problems, hook + ": concurrency problems");
      assertEquals(sequenceOf.keySet(), calls.keySet(), hook + ": the events delivered are exactly the outbox's events");
      Set<String> repeated = new HashSet<>();
      calls.forEach((id, n) -> {
        if (n.get() != 1) {
          repeated.add(id + "×" + n.get());
        }
      });
      assertEquals(Set.of(), repeated, hook + ": events delivered more than once");
      orderByWorkload.forEach((workload, ids) -> {
        for (int i = 1; i < ids.size(); i++) {
          if (sequenceOf.get(ids.get(i - 1)) >= sequenceOf.get(ids.get(i))) {
            fail(hook + ": events of " + workload + " delivered out of outbox order at position " + i);
          }
        }
      });
    }
  }
}
