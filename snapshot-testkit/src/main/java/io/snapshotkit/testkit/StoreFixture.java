package io.snapshotkit.testkit;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.EventType;
import io.snapshotkit.ManifestRef;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.TenantId;
import io.snapshotkit.Trigger;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.Admission;
import io.snapshotkit.spi.Delivery;
import io.snapshotkit.spi.EventOutbox;
import io.snapshotkit.spi.ManifestStore;
import io.snapshotkit.spi.StoreWork;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;

/**
 * What {@link ManifestStoreContract} and {@link EventOutboxContract} share: the store under test,
 * fresh for each test, and the rows, events and times the tests are written in. All times are
 * explicit, whole seconds after {@link #BASE}; nothing sleeps.
 *
 * <p><b>Thread-safety:</b> a JUnit test class; each test runs on one instance (the concurrency
 * tests start their own threads and join them).
 */
abstract class StoreFixture {

  /** The base of every time in this suite: 2026-01-01T00:00:00Z. */
  protected static final Instant BASE = Instant.parse("2026-01-01T00:00:00Z");
  /** The default tenant. */
  protected static final TenantId TENANT = TenantId.of("acme");
  /** A second tenant, for isolation. */
  protected static final TenantId OTHER_TENANT = TenantId.of("globex");
  /** The default workload. */
  protected static final WorkloadRef W1 = WorkloadRef.of(TENANT, "w1");
  /** A second workload of the default tenant. */
  protected static final WorkloadRef W2 = WorkloadRef.of(TENANT, "w2");
  /** A workload of the other tenant. */
  protected static final WorkloadRef OTHER = WorkloadRef.of(OTHER_TENANT, "w1");

  static final Duration LEASE = Duration.ofSeconds(60);

  /** The store under test, fresh for each test. */
  protected ManifestStore store;

  StoreFixture() {}

  /** A fresh, empty store; called before every test. */
  protected abstract ManifestStore newStore();

  @BeforeEach
  void createStore() {
    store = newStore();
  }

  /** The time {@code seconds} after {@link #BASE}. */
  protected static Instant at(long seconds) {
    return BASE.plusSeconds(seconds);
  }

  /** A deterministic id created at {@code at(n)}; ids sort by {@code n}. */
  protected static SnapshotId id(int n) {
    return SnapshotId.generate(at(n), new SplittableRandom(n));
  }

  /** A CAPTURING row with id {@code id(n)}, created at {@code at(n)}, manual trigger, no expiry. */
  protected static Snapshot row(WorkloadRef workload, int n) {
    return Snapshot.capturing(id(n), workload, "", Trigger.MANUAL, Optional.empty(), at(n), Optional.empty(),
        Map.of());
  }

  /** An event with id {@code "evt-n"} for the workload, at {@code at(n)}. */
  protected static SnapshotEvent event(WorkloadRef workload, int n) {
    return new SnapshotEvent("evt-" + n, EventType.CREATED, workload, Optional.of(id(n)), n, at(n),
        Map.of("trigger", "manual"));
  }

  /** Inserts a row without a limit, asserting it was admitted. */
  protected Snapshot insert(Snapshot row) {
    Admission a = store.inTransaction(tx -> tx.insertCapturing(row, -1));
    assertTrue(a.admitted(), "row " + row.id() + " should be admitted without a limit");
    return row;
  }

  /** Marks a CAPTURING row READY with the workload's next version, as the engine does. */
  protected Snapshot markReady(Snapshot capturing, OptionalLong size) {
    return store.inTransaction(tx -> {
      int version = tx.nextVersion(capturing.workload());
      Snapshot ready = capturing.ready(version, size, false, ManifestRef.inline(Map.of("files", 1), 10));
      assertTrue(tx.compareAndSet(SnapshotStatus.CAPTURING, ready), "CAPTURING -> READY");
      return ready;
    });
  }

  /** Inserts and marks READY. */
  protected Snapshot readyRow(WorkloadRef workload, int n, OptionalLong size) {
    return markReady(insert(row(workload, n)), size);
  }

  /** Appends one event in its own committed transaction. */
  protected void append(SnapshotEvent event) {
    store.inTransaction(tx -> {
      tx.append(event);
      return null;
    });
  }

  /** Takes the workload's next version in its own transaction. */
  int nextVersion(WorkloadRef workload) {
    return store.inTransaction(tx -> tx.nextVersion(workload));
  }

  /** Runs a yes/no store operation in its own transaction. */
  boolean check(StoreWork<Boolean> work) {
    return store.inTransaction(work);
  }

  EventOutbox outbox() {
    return store.outbox();
  }

  static List<String> eventIds(List<Delivery> deliveries) {
    return deliveries.stream().map(d -> d.event().id()).toList();
  }

  List<Snapshot> listAll(SnapshotQuery query) {
    return store.list(query.limit(SnapshotQuery.MAX_LIMIT)).items();
  }

  static List<SnapshotId> ids(List<Snapshot> rows) {
    return rows.stream().map(Snapshot::id).toList();
  }

  static <T> List<T> runConcurrently(int threads, Callable<T> task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        futures.add(pool.submit(() -> {
          start.await();
          return task.call();
        }));
      }
      start.countDown();
      List<T> results = new ArrayList<>();
      for (Future<T> f : futures) {
        results.add(f.get(60, TimeUnit.SECONDS));
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }
}
