package io.snapshotkit.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.EventType;
import io.snapshotkit.Manifest;
import io.snapshotkit.ManifestRef;
import io.snapshotkit.Page;
import io.snapshotkit.Resource;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.SnapshotException;
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
import io.snapshotkit.spi.ParkedEvent;
import io.snapshotkit.spi.StartPosition;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link ManifestStore} (and its {@link EventOutbox}) must show. An adapter
 * proves itself by extending this class and returning a fresh, empty store from {@link #newStore()}:
 *
 * <pre>{@code
 * class SqliteManifestStoreIT extends ManifestStoreContract {
 *   @TempDir Path dir;
 *   protected ManifestStore newStore() { return JdbcManifestStore.sqlite(dir.resolve("s.db")); }
 * }
 * }</pre>
 *
 * <p>All times are explicit, whole seconds after {@link #BASE}; nothing sleeps. Where the SPI
 * leaves a detail open this suite pins it down:
 * <ul>
 *   <li>an event's age for {@link EventOutbox#prune} is its {@link SnapshotEvent#at()};
 *   <li>parked events are kept by {@code prune} until replayed and acknowledged;
 *   <li>{@link ManifestStore#expired} is ordered by {@code expiresAt}, {@link ManifestStore#capturingSince} by {@code createdAt}.
 * </ul>
 *
 * <p><b>Thread-safety:</b> a JUnit test class; each test runs on one instance (the concurrency
 * tests start their own threads and join them).
 */
public abstract class ManifestStoreContract {

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

  private static final Duration LEASE = Duration.ofSeconds(60);

  /** The store under test, fresh for each test. */
  protected ManifestStore store;

  /** Creates the contract; subclasses supply {@link #newStore()}. */
  protected ManifestStoreContract() {}

  /** A fresh, empty store; called before every test. */
  protected abstract ManifestStore newStore();

  @BeforeEach
  void createStore() {
    store = newStore();
  }

  // ---------------------------------------------------------------- helpers

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
  private int nextVersion(WorkloadRef workload) {
    return store.inTransaction(tx -> tx.nextVersion(workload));
  }

  /** Runs a yes/no store operation in its own transaction. */
  private boolean check(io.snapshotkit.spi.StoreWork<Boolean> work) {
    return store.inTransaction(work);
  }

  private EventOutbox outbox() {
    return store.outbox();
  }

  private static List<String> eventIds(List<Delivery> deliveries) {
    return deliveries.stream().map(d -> d.event().id()).toList();
  }

  private List<Snapshot> listAll(SnapshotQuery query) {
    return store.list(query.limit(SnapshotQuery.MAX_LIMIT)).items();
  }

  private static List<SnapshotId> ids(List<Snapshot> rows) {
    return rows.stream().map(Snapshot::id).toList();
  }

  private static <T> List<T> runConcurrently(int threads, Callable<T> task) throws Exception {
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

  // ---------------------------------------------------------------- rows

  @Test
  @DisplayName("an inserted row is found with every field intact, inside and outside a transaction")
  void insertThenFind() {
    Snapshot row = new Snapshot(id(1), W1, 0, "before upgrade", Trigger.of("pre_exec"), SnapshotStatus.CAPTURING,
        Optional.of(id(0)), at(1), Optional.of(at(86_400)), OptionalLong.empty(), false, true,
        Map.of("team", "core", "ticket", "OPS-7"), Optional.of("h3"), Optional.empty(), Optional.empty());
    insert(row);
    assertEquals(Optional.of(row), store.find(row.id()));
    assertEquals(Optional.of(row), store.inTransaction(tx -> tx.find(row.id())));
    assertEquals(Optional.empty(), store.find(id(2)));
  }

  @Test
  @DisplayName("a READY row keeps its version, size, partial flag and manifest reference")
  void readyRowRoundTrips() {
    Snapshot capturing = insert(row(W1, 1));
    Snapshot ready = store.inTransaction(tx -> {
      Snapshot r = capturing.ready(tx.nextVersion(W1), OptionalLong.of(1234), true,
          ManifestRef.external("manifests/" + capturing.id(), Map.of("files", 3, "users", 2), 4096));
      assertTrue(tx.compareAndSet(SnapshotStatus.CAPTURING, r));
      return r;
    });
    assertEquals(Optional.of(ready), store.find(capturing.id()));
    Snapshot failed = insert(row(W1, 2)).failed("host h1 is offline");
    assertTrue(check(tx -> tx.compareAndSet(SnapshotStatus.CAPTURING, failed)));
    assertEquals(Optional.of(failed), store.find(failed.id()));
  }

  @Test
  @DisplayName("inserting an id that exists is CONFLICT and leaves the existing row alone")
  void duplicateIdIsConflict() {
    Snapshot row = insert(row(W1, 1));
    Snapshot clash = Snapshot.capturing(row.id(), W2, "other", Trigger.SCHEDULE, Optional.empty(), at(5),
        Optional.empty(), Map.of());
    SnapshotException e = assertThrows(SnapshotException.class,
        () -> store.inTransaction(tx -> tx.insertCapturing(clash, -1)));
    assertEquals(ErrorCode.CONFLICT, e.code());
    assertEquals(Optional.of(row), store.find(row.id()));
  }

  @Test
  @DisplayName("the quota admits up to the limit and refuses beyond it, reporting how many are used")
  void quotaAdmitsUpToLimit() {
    assertEquals(new Admission(true, 0), store.inTransaction(tx -> tx.insertCapturing(row(W1, 1), 2)));
    assertEquals(new Admission(true, 1), store.inTransaction(tx -> tx.insertCapturing(row(W1, 2), 2)));
    assertEquals(new Admission(false, 2), store.inTransaction(tx -> tx.insertCapturing(row(W1, 3), 2)));
    assertEquals(Optional.empty(), store.find(id(3)), "a refused row is not inserted");
    assertEquals(new Admission(true, 0), store.inTransaction(tx -> tx.insertCapturing(row(W2, 4), 2)),
        "the quota counts per workload");
  }

  @Test
  @DisplayName("a limit of -1 is unlimited and a limit of 0 admits nothing")
  void unlimitedAndDisabled() {
    for (int i = 1; i <= 25; i++) {
      int n = i;
      Admission a = store.inTransaction(tx -> tx.insertCapturing(row(W1, n), -1));
      assertEquals(new Admission(true, n - 1), a);
    }
    assertEquals(new Admission(false, 0), store.inTransaction(tx -> tx.insertCapturing(row(W2, 99), 0)));
  }

  @Test
  @DisplayName("FAILED rows do not count against the quota; READY and DELETING rows do")
  void failedRowsDoNotCount() {
    Snapshot first = insert(row(W1, 1));
    assertTrue(check(tx -> tx.compareAndSet(SnapshotStatus.CAPTURING, first.failed("boom"))));
    assertEquals(new Admission(true, 0), store.inTransaction(tx -> tx.insertCapturing(row(W1, 2), 1)));
    Snapshot ready = markReady(store.find(id(2)).orElseThrow(), OptionalLong.empty());
    assertTrue(check(tx -> tx.compareAndSet(SnapshotStatus.READY, ready.withStatus(SnapshotStatus.DELETING))));
    assertEquals(new Admission(false, 1), store.inTransaction(tx -> tx.insertCapturing(row(W1, 3), 1)));
  }

  @Test
  @DisplayName("8 threads inserting concurrently never exceed the limit")
  void concurrentInsertsNeverExceedLimit() throws Exception {
    int limit = 5;
    List<Integer> admitted = runConcurrently(8, () -> {
      int mine = 0;
      for (int i = 0; i < 4; i++) {
        Snapshot r = Snapshot.capturing(SnapshotId.generate(at(10), java.util.concurrent.ThreadLocalRandom.current()),
            W1, "", Trigger.MANUAL, Optional.empty(), at(10), Optional.empty(), Map.of());
        if (store.inTransaction(tx -> tx.insertCapturing(r, limit)).admitted()) {
          mine++;
        }
      }
      return mine;
    });
    assertEquals(limit, admitted.stream().mapToInt(Integer::intValue).sum());
    assertEquals(limit, listAll(SnapshotQuery.of(W1)).size());
  }

  @Test
  @DisplayName("nextVersion hands out 1..N without gaps or duplicates to 8 concurrent threads")
  void nextVersionGapFreeUnderConcurrency() throws Exception {
    List<List<Integer>> perThread = runConcurrently(8, () -> {
      List<Integer> mine = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        mine.add(nextVersion(W1));
      }
      return mine;
    });
    List<Integer> all = new ArrayList<>();
    perThread.forEach(all::addAll);
    Collections.sort(all);
    assertEquals(IntStream.rangeClosed(1, 80).boxed().toList(), all);
    assertEquals(1, nextVersion(W2), "versions count per workload");
  }

  @Test
  @DisplayName("a version is consumed only if its transaction commits")
  void versionConsumedOnlyOnCommit() {
    assertEquals(1, nextVersion(W1));
    assertThrows(IllegalStateException.class, () -> store.inTransaction(tx -> {
      tx.nextVersion(W1);
      throw new IllegalStateException("abort");
    }));
    assertEquals(2, nextVersion(W1));
  }

  @Test
  @DisplayName("versions are never reused, even after the newest snapshot is removed")
  void versionsNeverReusedAfterRemove() {
    readyRow(W1, 1, OptionalLong.empty());
    Snapshot second = readyRow(W1, 2, OptionalLong.empty());
    assertEquals(2, second.version());
    assertTrue(check(tx -> tx.compareAndSet(SnapshotStatus.READY, second.withStatus(SnapshotStatus.DELETING))));
    assertTrue(check(tx -> tx.remove(second.id(), SnapshotStatus.DELETING)));
    assertEquals(3, readyRow(W1, 3, OptionalLong.empty()).version());
  }

  @Test
  @DisplayName("compareAndSet succeeds only from the expected status")
  void compareAndSetOnlyFromExpected() {
    Snapshot row = insert(row(W1, 1));
    Snapshot deleting = row.ready(1, OptionalLong.empty(), false, ManifestRef.inline(Map.of(), 0))
        .withStatus(SnapshotStatus.DELETING);
    assertFalse(check(tx -> tx.compareAndSet(SnapshotStatus.READY, deleting)));
    assertEquals(Optional.of(row), store.find(row.id()), "a failed compareAndSet changes nothing");
    Snapshot failed = row.failed("host offline");
    assertTrue(check(tx -> tx.compareAndSet(SnapshotStatus.CAPTURING, failed)));
    assertEquals(SnapshotStatus.FAILED, store.find(row.id()).orElseThrow().status());
    Snapshot lateReady = row.ready(1, OptionalLong.empty(), false, ManifestRef.inline(Map.of(), 0));
    assertFalse(check(tx -> tx.compareAndSet(SnapshotStatus.CAPTURING, lateReady)),
        "a late report never moves a snapshot backwards");
    assertEquals(Optional.of(failed), store.find(row.id()));
  }

  @Test
  @DisplayName("compareAndSet is false for a missing row")
  void compareAndSetMissingRow() {
    assertFalse(check(tx -> tx.compareAndSet(SnapshotStatus.CAPTURING, row(W1, 1).failed("x"))));
    assertEquals(Optional.empty(), store.find(id(1)));
  }

  @Test
  @DisplayName("compareAndSet rejects illegal transitions with IllegalArgumentException and changes nothing")
  void compareAndSetRejectsIllegalTransitions() {
    Snapshot row = insert(row(W1, 1));
    assertThrows(IllegalArgumentException.class,
        () -> check(tx -> tx.compareAndSet(SnapshotStatus.CAPTURING, row.withStatus(SnapshotStatus.DELETING))));
    Snapshot ready = markReady(row, OptionalLong.empty());
    assertThrows(IllegalArgumentException.class,
        () -> check(tx -> tx.compareAndSet(SnapshotStatus.READY, ready.withStatus(SnapshotStatus.CAPTURING))));
    assertThrows(IllegalArgumentException.class,
        () -> check(tx -> tx.compareAndSet(SnapshotStatus.READY, ready.failed("no"))));
    assertThrows(IllegalArgumentException.class,
        () -> check(tx -> tx.compareAndSet(SnapshotStatus.FAILED, ready)));
    assertEquals(Optional.of(ready), store.find(row.id()));
  }

  @Test
  @DisplayName("compareAndSet to the same status updates fields such as a resolved size or the protected flag")
  void compareAndSetSameStatusUpdatesFields() {
    Snapshot ready = readyRow(W1, 1, OptionalLong.empty());
    Snapshot sized = ready.withSize(4242).withProtected(true);
    assertTrue(check(tx -> tx.compareAndSet(SnapshotStatus.READY, sized)));
    assertEquals(Optional.of(sized), store.find(ready.id()));
  }

  @Test
  @DisplayName("a strict delete that no host confirmed moves DELETING back to READY")
  void deletingBackToReady() {
    Snapshot ready = readyRow(W1, 1, OptionalLong.of(5));
    Snapshot deleting = ready.withStatus(SnapshotStatus.DELETING);
    assertTrue(check(tx -> tx.compareAndSet(SnapshotStatus.READY, deleting)));
    assertTrue(check(tx -> tx.compareAndSet(SnapshotStatus.DELETING, ready)));
    assertEquals(Optional.of(ready), store.find(ready.id()));
  }

  @Test
  @DisplayName("remove deletes the row and its inline manifest, only from the expected status")
  void removeOnlyFromExpectedStatus() {
    Snapshot row = insert(row(W1, 1));
    byte[] json = "{\"families\":{}}".getBytes(StandardCharsets.UTF_8);
    store.inTransaction(tx -> {
      tx.putManifest(row.id(), json);
      return null;
    });
    assertFalse(check(tx -> tx.remove(row.id(), SnapshotStatus.READY)));
    assertTrue(store.find(row.id()).isPresent());
    assertTrue(check(tx -> tx.remove(row.id(), SnapshotStatus.CAPTURING)));
    assertEquals(Optional.empty(), store.find(row.id()));
    assertTrue(store.manifest(row.id()).isEmpty(), "the inline manifest goes with the row");
    assertFalse(check(tx -> tx.remove(row.id(), SnapshotStatus.CAPTURING)), "removing twice is false");
  }

  @Test
  @DisplayName("a transaction returns its work's result and its writes are visible after commit")
  void transactionCommits() {
    String result = store.inTransaction(tx -> {
      tx.insertCapturing(row(W1, 1), -1);
      assertTrue(tx.find(id(1)).isPresent(), "a transaction reads its own writes");
      return "done";
    });
    assertEquals("done", result);
    assertTrue(store.find(id(1)).isPresent());
  }

  @Test
  @DisplayName("a transaction that throws leaves neither its change nor its event, and rethrows")
  void failedTransactionLeavesNothing() {
    outbox().register("audit", StartPosition.BEGINNING);
    Snapshot existing = readyRow(W1, 1, OptionalLong.empty());
    IllegalStateException boom = new IllegalStateException("boom");
    IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> store.inTransaction(tx -> {
      tx.insertCapturing(row(W1, 2), -1);
      tx.compareAndSet(SnapshotStatus.READY, existing.withStatus(SnapshotStatus.DELETING));
      tx.putManifest(existing.id(), new byte[] {'{', '}'});
      tx.nextVersion(W1);
      tx.append(event(W1, 2));
      throw boom;
    }));
    assertSame(boom, thrown);
    assertEquals(Optional.empty(), store.find(id(2)));
    assertEquals(Optional.of(existing), store.find(existing.id()));
    assertTrue(store.manifest(existing.id()).isEmpty());
    assertEquals(List.of(), outbox().claim("audit", "d1", 10, at(100), LEASE));
    assertEquals(2, nextVersion(W1));
  }

  // ---------------------------------------------------------------- listing

  @Test
  @DisplayName("list returns the newest first (descending id)")
  void listNewestFirst() {
    for (int n : new int[] {3, 1, 5, 2, 4}) {
      insert(row(W1, n));
    }
    assertEquals(List.of(id(5), id(4), id(3), id(2), id(1)), ids(listAll(SnapshotQuery.of(TENANT))));
  }

  @Test
  @DisplayName("ids of one millisecond (as the engine makes them, each the previous one's successor) list newest first, also across pages and after the cursor's row is removed")
  void listSameMillisecondByIdAcrossPages() {
    List<SnapshotId> created = new ArrayList<>();
    SnapshotId next = id(7);
    for (int i = 0; i < 9; i++) {
      created.add(next);
      insert(Snapshot.capturing(next, W1, "", Trigger.MANUAL, Optional.empty(), at(7), Optional.empty(), Map.of()));
      next = next.successor().orElseThrow();
    }
    List<SnapshotId> newestFirst = new ArrayList<>(created);
    Collections.reverse(newestFirst);
    assertEquals(newestFirst, ids(listAll(SnapshotQuery.of(W1))));

    List<SnapshotId> seen = new ArrayList<>();
    SnapshotQuery query = SnapshotQuery.of(W1).limit(2);
    for (int pages = 0; ; pages++) {
      assertTrue(pages < 20, "pagination does not terminate");
      Page<Snapshot> page = store.list(query);
      seen.addAll(ids(page.items()));
      if (page.nextCursor().isEmpty()) {
        break;
      }
      SnapshotId cursor = page.nextCursor().get();
      if (pages == 1) {
        assertTrue(check(tx -> tx.remove(cursor, SnapshotStatus.CAPTURING)), "the cursor's row is removed between pages");
      }
      query = query.after(cursor);
    }
    assertEquals(newestFirst, seen);
  }

  @Test
  @DisplayName("list filters by workload, status and trigger")
  void listFilters() {
    readyRow(W1, 1, OptionalLong.empty());
    insert(row(W1, 2));
    insert(row(W2, 3));
    Snapshot scheduled = Snapshot.capturing(id(4), W1, "", Trigger.SCHEDULE, Optional.empty(), at(4),
        Optional.empty(), Map.of());
    insert(scheduled);
    assertEquals(List.of(id(4), id(2), id(1)), ids(listAll(SnapshotQuery.of(W1))));
    assertEquals(List.of(id(1)), ids(listAll(SnapshotQuery.of(TENANT).statuses(Set.of(SnapshotStatus.READY)))));
    assertEquals(List.of(id(4), id(3), id(2)),
        ids(listAll(SnapshotQuery.of(TENANT).statuses(Set.of(SnapshotStatus.CAPTURING)))));
    assertEquals(List.of(id(4)), ids(listAll(SnapshotQuery.of(TENANT).triggers(Set.of(Trigger.SCHEDULE)))));
    assertEquals(List.of(id(2)), ids(listAll(SnapshotQuery.of(W1)
        .statuses(Set.of(SnapshotStatus.CAPTURING)).triggers(Set.of(Trigger.MANUAL)))));
  }

  @Test
  @DisplayName("list never shows another tenant's snapshots")
  void listTenantIsolation() {
    insert(row(W1, 1));
    insert(row(OTHER, 2));
    assertEquals(List.of(id(1)), ids(listAll(SnapshotQuery.of(TENANT))));
    assertEquals(List.of(id(2)), ids(listAll(SnapshotQuery.of(OTHER_TENANT))));
    assertEquals(List.of(), listAll(SnapshotQuery.of(WorkloadRef.of(OTHER_TENANT, "w2"))));
  }

  @Test
  @DisplayName("list clamps the page size to 1..500")
  void listLimitClamping() {
    store.inTransaction(tx -> {
      for (int n = 1; n <= 501; n++) {
        tx.insertCapturing(row(W1, n), -1);
      }
      return null;
    });
    Page<Snapshot> one = store.list(SnapshotQuery.of(TENANT).limit(0));
    assertEquals(List.of(id(501)), ids(one.items()));
    assertTrue(one.nextCursor().isPresent());
    Page<Snapshot> max = store.list(SnapshotQuery.of(TENANT).limit(10_000));
    assertEquals(500, max.items().size());
    assertTrue(max.nextCursor().isPresent());
    assertEquals(List.of(id(1)), ids(store.list(SnapshotQuery.of(TENANT).after(max.nextCursor().get())).items()));
  }

  @Test
  @DisplayName("following cursors visits every matching snapshot exactly once, in order")
  void cursorPaginationCoversEverything() {
    List<SnapshotId> expected = new ArrayList<>();
    for (int n = 1; n <= 23; n++) {
      insert(row(n % 3 == 0 ? W2 : W1, n));
      if (n % 3 != 0) {
        expected.add(0, id(n));
      }
    }
    insert(row(OTHER, 50));
    List<SnapshotId> seen = new ArrayList<>();
    SnapshotQuery query = SnapshotQuery.of(W1).limit(4);
    for (int pages = 0; ; pages++) {
      assertTrue(pages < 20, "pagination does not terminate");
      Page<Snapshot> page = store.list(query);
      seen.addAll(ids(page.items()));
      if (page.nextCursor().isEmpty()) {
        break;
      }
      assertEquals(page.items().get(page.items().size() - 1).id(), page.nextCursor().get(),
          "the cursor is the last item of the page");
      query = query.after(page.nextCursor().get());
    }
    assertEquals(expected, seen);
    assertEquals(new HashSet<>(seen).size(), seen.size());
  }

  @Test
  @DisplayName("the last page has no cursor")
  void lastPageHasNoCursor() {
    insert(row(W1, 1));
    insert(row(W1, 2));
    Page<Snapshot> page = store.list(SnapshotQuery.of(W1).limit(5));
    assertEquals(2, page.items().size());
    assertEquals(Optional.empty(), page.nextCursor());
    assertEquals(List.of(), store.list(SnapshotQuery.of(WorkloadRef.of(TENANT, "nothing"))).items());
  }

  @Test
  @DisplayName("versions lists the workload's versioned snapshots ascending by version")
  void versionsAscending() {
    Snapshot a = insert(row(W1, 1));
    Snapshot b = insert(row(W1, 2));
    Snapshot c = insert(row(W1, 3));
    insert(row(W1, 4));
    readyRow(W2, 5, OptionalLong.empty());
    Snapshot vc = markReady(c, OptionalLong.empty());
    Snapshot va = markReady(a, OptionalLong.empty());
    Snapshot vb = markReady(b, OptionalLong.empty());
    assertEquals(List.of(vc, va, vb), store.versions(W1));
    assertEquals(List.of(1, 2, 3), store.versions(W1).stream().map(Snapshot::version).toList());
    assertEquals(List.of(), store.versions(WorkloadRef.of(TENANT, "none")));
  }

  @Test
  @DisplayName("expired returns READY and DELETING unprotected snapshots due at or before now, oldest first, across tenants")
  void expiredQuery() {
    Snapshot due1 = expiring(W1, 1, at(100));
    Snapshot unfinishedDelete = expiring(W2, 8, at(150)).withStatus(SnapshotStatus.DELETING);
    assertTrue(check(tx -> tx.compareAndSet(SnapshotStatus.READY, unfinishedDelete)));
    Snapshot dueExactlyNow = expiring(OTHER, 2, at(200));
    expiring(W1, 3, at(201));
    Snapshot prot = expiring(W1, 4, at(50));
    assertTrue(check(tx -> tx.compareAndSet(SnapshotStatus.READY, prot.withProtected(true))));
    insert(Snapshot.capturing(id(5), W1, "", Trigger.MANUAL, Optional.empty(), at(5), Optional.of(at(10)), Map.of()));
    readyRow(W2, 6, OptionalLong.empty());
    Snapshot due0 = expiring(W2, 7, at(20));
    assertEquals(List.of(due0, due1, unfinishedDelete, dueExactlyNow), store.expired(at(200), 10));
    assertEquals(List.of(due0, due1), store.expired(at(200), 2));
    assertEquals(List.of(), store.expired(at(19), 10));
  }

  private Snapshot expiring(WorkloadRef workload, int n, Instant expiresAt) {
    Snapshot r = Snapshot.capturing(id(n), workload, "", Trigger.MANUAL, Optional.empty(), at(n),
        Optional.of(expiresAt), Map.of());
    return markReady(insert(r), OptionalLong.empty());
  }

  @Test
  @DisplayName("capturingSince returns CAPTURING rows created before the cutoff, oldest first, across tenants")
  void capturingSinceQuery() {
    insert(row(W1, 3));
    insert(row(OTHER, 1));
    readyRow(W1, 2, OptionalLong.empty());
    insert(row(W2, 10));
    assertEquals(List.of(id(1), id(3)), ids(store.capturingSince(at(10), 10)));
    assertEquals(List.of(id(1)), ids(store.capturingSince(at(10), 1)));
    assertEquals(List.of(id(1), id(3), id(10)), ids(store.capturingSince(at(11), 10)));
  }

  @Test
  @DisplayName("usageBytes sums the known sizes of the tenant's READY and DELETING snapshots only")
  void usageBytesSum() {
    readyRow(W1, 1, OptionalLong.of(100));
    Snapshot deleting = readyRow(W2, 2, OptionalLong.of(50));
    assertTrue(check(tx -> tx.compareAndSet(SnapshotStatus.READY, deleting.withStatus(SnapshotStatus.DELETING))));
    readyRow(W1, 3, OptionalLong.empty());
    Snapshot capturing = insert(row(W1, 4));
    assertTrue(check(tx -> tx.compareAndSet(SnapshotStatus.CAPTURING, capturing.withSize(1000))));
    Snapshot failed = insert(row(W1, 5));
    assertTrue(check(tx -> tx.compareAndSet(SnapshotStatus.CAPTURING, failed.withSize(2000).failed("x"))));
    readyRow(OTHER, 6, OptionalLong.of(7));
    assertEquals(150, store.usageBytes(TENANT));
    assertEquals(7, store.usageBytes(OTHER_TENANT));
    assertEquals(0, store.usageBytes(TenantId.of("nobody")));
  }

  @Test
  @DisplayName("inline manifests round-trip byte for byte, the latest put wins, and callers cannot alias them")
  void manifestsRoundTrip() {
    Snapshot row = insert(row(W1, 1));
    StringBuilder big = new StringBuilder();
    for (int i = 0; i < 3000; i++) {
      big.append("file-").append(i).append("-\u00e9\u4e2d\ud83d\ude00;");
    }
    Manifest manifest = Manifest.of(at(1), W1, true, Map.of("files",
        List.of(new Resource("files/a", "a", com.fasterxml.jackson.databind.node.JsonNodeFactory.instance
            .objectNode().put("text", big.toString())))));
    byte[] json = manifest.toJson();
    store.inTransaction(tx -> {
      tx.putManifest(row.id(), "{\"old\":true}".getBytes(StandardCharsets.UTF_8));
      tx.putManifest(row.id(), json);
      return null;
    });
    byte[] read = store.manifest(row.id()).orElseThrow();
    assertArrayEquals(json, read);
    assertEquals(manifest, Manifest.fromJson(read));
    read[0] = 'X';
    assertArrayEquals(json, store.manifest(row.id()).orElseThrow(), "a returned array is a copy");
    assertEquals(Optional.empty(), store.manifest(id(2)));
  }

  // ---------------------------------------------------------------- outbox

  @Test
  @DisplayName("an appended event is claimable once its transaction commits, with every field intact")
  void appendVisibleAfterCommit() {
    outbox().register("audit", StartPosition.BEGINNING);
    SnapshotEvent e = new SnapshotEvent("evt-full", EventType.DELETE_FAILED, W1, Optional.of(id(1)), 3, at(7),
        Map.of("hosts", "h2,h3", "reason", "host h2 is offline"));
    append(e);
    List<Delivery> claimed = outbox().claim("audit", "d1", 10, at(10), LEASE);
    assertEquals(1, claimed.size());
    assertEquals(e, claimed.get(0).event());
    assertEquals(0, claimed.get(0).attempts());
  }

  @Test
  @DisplayName("sequence numbers increase in commit order")
  void sequencesIncrease() {
    outbox().register("audit", StartPosition.BEGINNING);
    store.inTransaction(tx -> {
      tx.append(event(W1, 1));
      tx.append(event(W2, 2));
      return null;
    });
    append(event(OTHER, 3));
    List<Delivery> claimed = outbox().claim("audit", "d1", 10, at(10), LEASE);
    assertEquals(List.of("evt-1", "evt-2", "evt-3"), eventIds(claimed));
    assertTrue(claimed.get(0).sequence() < claimed.get(1).sequence());
    assertTrue(claimed.get(1).sequence() < claimed.get(2).sequence());
  }

  @Test
  @DisplayName("a hook registered NOW sees only later events; one registered BEGINNING sees retained ones too")
  void registerNowVersusBeginning() {
    append(event(W1, 1));
    outbox().register("now", StartPosition.NOW);
    outbox().register("begin", StartPosition.BEGINNING);
    append(event(W2, 2));
    assertEquals(List.of("evt-2"), eventIds(outbox().claim("now", "d1", 10, at(10), LEASE)));
    assertEquals(List.of("evt-1", "evt-2"), eventIds(outbox().claim("begin", "d1", 10, at(10), LEASE)));
    assertEquals(Set.of("now", "begin"), Set.copyOf(outbox().hooks()));
  }

  @Test
  @DisplayName("registering an existing hook again keeps its cursor")
  void reRegisterKeepsCursor() {
    outbox().register("audit", StartPosition.BEGINNING);
    append(event(W1, 1));
    Delivery d = outbox().claim("audit", "d1", 10, at(10), LEASE).get(0);
    outbox().acknowledge("audit", d.sequence());
    outbox().register("audit", StartPosition.BEGINNING);
    assertEquals(List.of(), outbox().claim("audit", "d1", 10, at(11), LEASE));
    assertEquals(List.of("audit"), outbox().hooks());
  }

  @Test
  @DisplayName("claim returns the first undone event of each workload, ordered by sequence, up to max")
  void claimFirstPerWorkload() {
    outbox().register("audit", StartPosition.BEGINNING);
    append(event(W1, 1));
    append(event(W2, 2));
    append(event(W1, 3));
    append(event(OTHER, 4));
    append(event(W2, 5));
    assertEquals(List.of("evt-1", "evt-2"), eventIds(outbox().claim("audit", "d1", 2, at(10), LEASE)));
    assertEquals(List.of("evt-1", "evt-2", "evt-4"), eventIds(outbox().claim("audit", "d1", 10, at(10), LEASE)),
        "re-claiming by the same owner renews its claims and adds the next workload");
  }

  @Test
  @DisplayName("claimRuns takes up to perWorkload first undone events of each workload, in order, up to max in all")
  void claimRunsTakesRunsPerWorkload() {
    outbox().register("audit", StartPosition.BEGINNING);
    append(event(W1, 1));
    append(event(W2, 2));
    append(event(W1, 3));
    append(event(W1, 4));
    append(event(W2, 5));
    append(event(OTHER, 6));
    assertEquals(List.of("evt-1", "evt-2", "evt-3", "evt-5"),
        eventIds(outbox().claimRuns("audit", "a", 4, 2, at(10), LEASE)),
        "two per workload, oldest workloads first, four in all, ordered by sequence");
    assertEquals(List.of("evt-6"), eventIds(outbox().claimRuns("audit", "b", 10, 10, at(10), LEASE)),
        "another owner gets the free workload only, not the unclaimed tail of a held one");
    assertEquals(List.of("evt-1", "evt-2", "evt-3", "evt-4", "evt-5"),
        eventIds(outbox().claimRuns("audit", "a", 10, 10, at(11), LEASE)),
        "the holder re-claims, renewing and extending its runs");
  }

  @Test
  @DisplayName("a run's claim is released by acknowledging its last event, not an earlier one")
  void claimRunsReleasedByLastAcknowledgement() {
    outbox().register("audit", StartPosition.BEGINNING);
    append(event(W1, 1));
    append(event(W1, 2));
    append(event(W1, 3));
    List<Delivery> run = outbox().claimRuns("audit", "a", 10, 2, at(0), LEASE);
    assertEquals(List.of("evt-1", "evt-2"), eventIds(run));
    outbox().acknowledgeAll("audit", List.of(run.get(0).sequence()));
    assertEquals(List.of(), outbox().claimRuns("audit", "b", 10, 10, at(1), LEASE),
        "evt-2 is still claimed by a, so b must not take the workload");
    outbox().acknowledgeAll("audit", List.of(run.get(1).sequence(), run.get(1).sequence()));
    assertEquals(List.of("evt-3"), eventIds(outbox().claimRuns("audit", "b", 10, 10, at(2), LEASE)),
        "the run is done: its claim is released and only undone events are handed out");
  }

  @Test
  @DisplayName("a failure inside a run releases the run's claim; the event and its successors wait for the retry time")
  void claimRunsReleasedByFailureInside() {
    outbox().register("audit", StartPosition.BEGINNING);
    append(event(W1, 1));
    append(event(W1, 2));
    append(event(W1, 3));
    List<Delivery> run = outbox().claimRuns("audit", "a", 10, 10, at(0), LEASE);
    assertEquals(List.of("evt-1", "evt-2", "evt-3"), eventIds(run));
    outbox().acknowledgeAll("audit", List.of(run.get(0).sequence()));
    outbox().retryLater("audit", run.get(1).sequence(), 1, at(30), "timeout");
    assertEquals(List.of(), outbox().claimRuns("audit", "b", 10, 10, at(29), LEASE),
        "evt-3 must not overtake the failed evt-2");
    List<Delivery> retried = outbox().claimRuns("audit", "b", 10, 10, at(30), LEASE);
    assertEquals(List.of("evt-2", "evt-3"), eventIds(retried), "released for any owner, long before a's lease ends");
    assertEquals(1, retried.get(0).attempts());
    outbox().park("audit", retried.get(0).sequence(), 2, "gave up", at(31));
    assertEquals(List.of("evt-3"), eventIds(outbox().claimRuns("audit", "c", 10, 10, at(31), LEASE)),
        "parking inside a run releases it too");
  }

  @Test
  @DisplayName("two events of one workload are never claimed at once, even by different owners")
  void neverTwoOfOneWorkload() {
    outbox().register("audit", StartPosition.BEGINNING);
    append(event(W1, 1));
    append(event(W1, 2));
    assertEquals(List.of("evt-1"), eventIds(outbox().claim("audit", "a", 10, at(10), LEASE)));
    assertEquals(List.of(), outbox().claim("audit", "b", 10, at(10), LEASE));
    assertEquals(List.of("evt-1"), eventIds(outbox().claim("audit", "a", 10, at(11), LEASE)));
  }

  @Test
  @DisplayName("another owner cannot claim a held workload until the lease expires; renewal extends it")
  void leaseExpiry() {
    outbox().register("audit", StartPosition.BEGINNING);
    append(event(W1, 1));
    assertEquals(1, outbox().claim("audit", "a", 10, at(0), LEASE).size());
    assertEquals(List.of(), outbox().claim("audit", "b", 10, at(59), LEASE));
    assertEquals(1, outbox().claim("audit", "a", 10, at(50), LEASE).size(), "owner a renews until 110");
    assertEquals(List.of(), outbox().claim("audit", "b", 10, at(100), LEASE));
    List<Delivery> taken = outbox().claim("audit", "b", 10, at(111), LEASE);
    assertEquals(List.of("evt-1"), eventIds(taken), "a crashed dispatcher's event is delivered again");
    assertEquals(List.of(), outbox().claim("audit", "a", 10, at(112), LEASE), "b holds it now");
  }

  @Test
  @DisplayName("acknowledge marks the event done and lets the workload's next event be claimed; twice is harmless")
  void acknowledgeAdvances() {
    outbox().register("audit", StartPosition.BEGINNING);
    append(event(W1, 1));
    append(event(W1, 2));
    Delivery first = outbox().claim("audit", "a", 10, at(10), LEASE).get(0);
    outbox().acknowledge("audit", first.sequence());
    outbox().acknowledge("audit", first.sequence());
    assertEquals(List.of("evt-2"), eventIds(outbox().claim("audit", "b", 10, at(10), LEASE)),
        "acknowledging releases the claim, so any owner may take the next event");
  }

  @Test
  @DisplayName("retryLater hides the event, and the workload's later events, until notBefore")
  void retryLaterHidesUntilNotBefore() {
    outbox().register("audit", StartPosition.BEGINNING);
    append(event(W1, 1));
    append(event(W2, 2));
    append(event(W1, 3));
    List<Delivery> claimed = outbox().claim("audit", "a", 10, at(0), LEASE);
    outbox().retryLater("audit", claimed.get(0).sequence(), 1, at(30), "timeout");
    outbox().acknowledge("audit", claimed.get(1).sequence());
    assertEquals(List.of(), outbox().claim("audit", "b", 10, at(29), LEASE));
    List<Delivery> retried = outbox().claim("audit", "b", 10, at(30), LEASE);
    assertEquals(List.of("evt-1"), eventIds(retried), "retryLater released the claim of owner a");
    assertEquals(1, retried.get(0).attempts());
  }

  @Test
  @DisplayName("park makes the workload's later events claimable and lists the event in parked()")
  void parkUnblocksAndLists() {
    outbox().register("audit", StartPosition.BEGINNING);
    append(event(W1, 1));
    append(event(W1, 2));
    Delivery d = outbox().claim("audit", "a", 10, at(0), LEASE).get(0);
    outbox().park("audit", d.sequence(), 10, "hook threw IOException", at(5));
    assertEquals(List.of("evt-2"), eventIds(outbox().claim("audit", "a", 10, at(6), LEASE)));
    assertEquals(List.of(new ParkedEvent("audit", d.sequence(), event(W1, 1), 10, "hook threw IOException", at(5))),
        outbox().parked("audit"));
  }

  @Test
  @DisplayName("replay makes a parked event pending again with no failed attempts")
  void replayRequeues() {
    outbox().register("audit", StartPosition.BEGINNING);
    append(event(W1, 1));
    Delivery d = outbox().claim("audit", "a", 10, at(0), LEASE).get(0);
    assertFalse(outbox().replay("audit", d.sequence()), "only parked events can be replayed");
    outbox().park("audit", d.sequence(), 3, "boom", at(1));
    assertEquals(List.of(), outbox().claim("audit", "a", 10, at(2), LEASE));
    assertTrue(outbox().replay("audit", d.sequence()));
    assertEquals(List.of(), outbox().parked("audit"));
    List<Delivery> again = outbox().claim("audit", "a", 10, at(3), LEASE);
    assertEquals(List.of("evt-1"), eventIds(again));
    assertEquals(0, again.get(0).attempts());
    assertFalse(outbox().replay("audit", d.sequence() + 1000));
  }

  @Test
  @DisplayName("prune removes only events older than the cutoff that every hook acknowledged; parked ones stay")
  void pruneOnlyDoneAndOld() {
    outbox().register("a", StartPosition.BEGINNING);
    outbox().register("b", StartPosition.BEGINNING);
    append(event(W1, 1));
    append(event(W1, 2));
    append(event(W2, 3));
    append(event(W1, 40));
    for (int i = 0; i < 4; i++) {
      for (Delivery d : outbox().claim("a", "x", 10, at(50), LEASE)) {
        outbox().acknowledge("a", d.sequence());
      }
    }
    Delivery b1 = outbox().claim("b", "x", 10, at(50), LEASE).get(0);
    outbox().acknowledge("b", b1.sequence());
    List<Delivery> b2 = outbox().claim("b", "x", 10, at(50), LEASE);
    assertEquals(List.of("evt-2", "evt-3"), eventIds(b2));
    outbox().park("b", b2.get(1).sequence(), 5, "boom", at(51));
    assertEquals(1, outbox().prune(at(30)), "only evt-1 is old and done for both hooks");
    assertEquals(0, outbox().prune(at(30)));
    assertEquals(List.of("evt-2"), eventIds(outbox().claim("b", "x", 10, at(52), LEASE)),
        "b's pending event survived");
    assertEquals(1, outbox().parked("b").size(), "the parked event survived");
    assertTrue(outbox().replay("b", b2.get(1).sequence()));
  }

  @Test
  @DisplayName("each hook progresses independently: one hook's failure never blocks another")
  void hooksIndependent() {
    outbox().register("slow", StartPosition.BEGINNING);
    outbox().register("fast", StartPosition.BEGINNING);
    append(event(W1, 1));
    append(event(W1, 2));
    Delivery slow = outbox().claim("slow", "d", 10, at(0), LEASE).get(0);
    outbox().retryLater("slow", slow.sequence(), 1, at(1000), "down");
    Delivery fast1 = outbox().claim("fast", "d", 10, at(0), LEASE).get(0);
    outbox().acknowledge("fast", fast1.sequence());
    assertEquals(List.of("evt-2"), eventIds(outbox().claim("fast", "d", 10, at(1), LEASE)));
    assertEquals(List.of(), outbox().claim("slow", "d", 10, at(1), LEASE));
    assertEquals(List.of("evt-1"), eventIds(outbox().claim("slow", "d", 10, at(1000), LEASE)));
  }
}
