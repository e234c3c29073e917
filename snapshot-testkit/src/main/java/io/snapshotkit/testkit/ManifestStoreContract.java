package io.snapshotkit.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Manifest;
import io.snapshotkit.ManifestRef;
import io.snapshotkit.Resource;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotOrigin;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.TenantId;
import io.snapshotkit.Trigger;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.Admission;
import io.snapshotkit.spi.ManifestStore;
import io.snapshotkit.spi.StartPosition;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link ManifestStore} must show, one {@link Nested} group per capability.
 * An adapter proves itself by extending this class and returning a fresh, empty store from
 * {@link #newStore()}; its {@link ManifestStore#outbox() outbox} is checked by
 * {@link EventOutboxContract}, which the adapter extends in a second class:
 *
 * <pre>{@code
 * class SqliteManifestStoreIT extends ManifestStoreContract {
 *   @TempDir Path dir;
 *   protected ManifestStore newStore() { return JdbcManifestStore.sqlite(dir.resolve("s.db")); }
 * }
 * }</pre>
 *
 * <p>All times are explicit, whole seconds after {@link #BASE}; nothing sleeps. Where the SPI
 * leaves a detail open this suite pins it down: {@link ManifestStore#expired} is ordered by
 * {@code expiresAt}, {@link ManifestStore#capturingSince} by {@code createdAt}.
 *
 * <p><b>Thread-safety:</b> a JUnit test class; each test runs on one instance (the concurrency
 * tests start their own threads and join them).
 */
public abstract class ManifestStoreContract extends StoreFixture {

  /** Creates the contract; subclasses supply {@link #newStore()}. */
  protected ManifestStoreContract() {}

  /** Rows round-trip; versions are gap-free, per workload, consumed only on commit and never reused. */
  @Nested
  @DisplayName("Insert and versions")
  class InsertAndVersions {

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
  }

  /** insertCapturing admits up to the workload's limit, atomically. */
  @Nested
  @DisplayName("Quotas and admission")
  class QuotasAndAdmission {

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
    @DisplayName("usageBytes in a transaction sums the tenant's READY and DELETING sizes, sees the transaction's own writes, and stays in the tenant")
    void usageBytesInTransaction() {
      Snapshot a = markReady(insert(row(W1, 1)), OptionalLong.of(100));
      markReady(insert(row(W2, 2)), OptionalLong.of(20));
      markReady(insert(row(OTHER, 3)), OptionalLong.of(7_000));
      insert(row(W1, 4));
      Snapshot failed = insert(row(W1, 5));
      assertTrue(check(tx -> tx.compareAndSet(SnapshotStatus.CAPTURING, failed.withSize(5_000).failed("boom"))));
      assertEquals(Long.valueOf(120), store.inTransaction(tx -> tx.usageBytes(TENANT)),
          "CAPTURING and FAILED rows and other tenants do not count");
      assertEquals(Long.valueOf(7_000), store.inTransaction(tx -> tx.usageBytes(OTHER_TENANT)));
      long seen = store.inTransaction(tx -> {
        tx.compareAndSet(SnapshotStatus.READY, a.withStatus(SnapshotStatus.DELETING).withSize(300));
        return tx.usageBytes(TENANT);
      });
      assertEquals(320, seen, "a transaction sees its own update; DELETING still counts");
      assertEquals(320, store.usageBytes(TENANT));
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
  }

  /** Status changes happen only from the expected status and only along legal transitions. */
  @Nested
  @DisplayName("Transitions (compare-and-set and remove)")
  class Transitions {

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
  }

  /** A transaction commits all its writes together or none of them. */
  @Nested
  @DisplayName("Transactions")
  class Transactions {

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

    @Test
    @DisplayName("a storage failure at a later write rolls back the writes before it")
    void failedWriteRollsBackEarlierWrites() {
      FailingManifestStore failing = FailingManifestStore.wrap(store);
      failing.failWrite(3);
      SnapshotException e = assertThrows(SnapshotException.class, () -> failing.inTransaction(tx -> {
        tx.insertCapturing(row(W1, 1), -1);
        tx.nextVersion(W1);
        tx.putManifest(id(1), "{}".getBytes(StandardCharsets.UTF_8));
        return null;
      }));
      assertEquals(ErrorCode.INTERNAL, e.code());
      assertEquals(Optional.empty(), store.find(id(1)));
      assertEquals(Optional.empty(), store.manifest(id(1)));
      assertEquals(1, nextVersion(W1), "the version taken by the failed transaction is not consumed");
    }
  }

  /** list and versions: order, filters, tenant isolation, page sizes and cursors. */
  @Nested
  @DisplayName("Listing and pagination")
  class ListingAndPagination extends ListingChecks {
    @Override
    StoreFixture fixture() {
      return ManifestStoreContract.this;
    }
  }

  /** The schedule store: round trip, replace keeps progress, pages, removal, and the slot claim. */
  @Nested
  @DisplayName("Schedules")
  class Schedules extends ScheduleChecks {
    @Override
    StoreFixture fixture() {
      return ManifestStoreContract.this;
    }
  }

  /** expired and capturingSince, the queries of the sweep and the reaper. */
  @Nested
  @DisplayName("Expiry and stale captures")
  class Expiry {

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

    private Snapshot expiring(WorkloadRef workload, int n, Instant expiresAt) {
      Snapshot r = Snapshot.capturing(id(n), workload, "", Trigger.MANUAL, Optional.empty(), at(n),
          Optional.of(expiresAt), Map.of());
      return markReady(insert(r), OptionalLong.empty());
    }
  }

  /** usageBytes sums and inline manifest storage. */
  @Nested
  @DisplayName("Usage and inline manifests")
  class UsageAndManifests {

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

    @Test
    @DisplayName("a fork's origin is stored with its row, commits only with the transaction, and goes with the row")
    void forkOriginRoundTripsAndGoesWithTheRow() {
      Snapshot source = readyRow(W1, 1, OptionalLong.of(10));
      Snapshot child = insert(row(W2, 2));
      SnapshotOrigin origin = new SnapshotOrigin(source.id(), W1);
      assertThrows(RuntimeException.class, () -> store.inTransaction(tx -> {
        tx.putOrigin(child.id(), origin);
        throw new IllegalStateException("roll back");
      }));
      assertEquals(Optional.empty(), store.origin(child.id()), "a rolled-back origin is not stored");
      Snapshot ready = store.inTransaction(tx -> {
        Snapshot r = child.ready(tx.nextVersion(W2), OptionalLong.of(1), false, ManifestRef.inline(Map.of(), 0));
        assertTrue(tx.compareAndSet(SnapshotStatus.CAPTURING, r));
        tx.putOrigin(child.id(), origin);
        return r;
      });
      assertEquals(Optional.of(origin), store.origin(child.id()));
      assertEquals(Optional.empty(), store.origin(source.id()), "a captured snapshot has no origin");
      assertEquals(Optional.empty(), store.origin(id(99)));
      SnapshotException missing = assertThrows(SnapshotException.class,
          () -> store.inTransaction(tx -> {
            tx.putOrigin(id(98), origin);
            return null;
          }));
      assertEquals(ErrorCode.NOT_FOUND, missing.code());
      assertTrue(check(tx -> tx.compareAndSet(SnapshotStatus.READY, ready.withStatus(SnapshotStatus.DELETING))));
      assertTrue(check(tx -> tx.remove(child.id(), SnapshotStatus.DELETING)));
      assertEquals(Optional.empty(), store.origin(child.id()), "removing the row removes its origin");
    }
  }

  /** Arguments the SPI forbids are refused before anything is written. */
  @Nested
  @DisplayName("Preconditions")
  class Preconditions {

    @Test
    @DisplayName("insertCapturing refuses a row that is not CAPTURING and a limit below -1, and inserts nothing")
    void insertCapturingRefusesBadArguments() {
      Snapshot ready = row(W1, 1).ready(1, OptionalLong.empty(), false, ManifestRef.inline(Map.of(), 0));
      assertThrows(IllegalArgumentException.class, () -> store.inTransaction(tx -> tx.insertCapturing(ready, -1)));
      assertThrows(IllegalArgumentException.class,
          () -> store.inTransaction(tx -> tx.insertCapturing(row(W1, 2), -2)));
      assertThrows(NullPointerException.class, () -> store.inTransaction(tx -> tx.insertCapturing(null, -1)));
      assertEquals(List.of(), listAll(SnapshotQuery.of(W1)));
    }

    @Test
    @DisplayName("compareAndSet refuses null arguments")
    void compareAndSetRefusesNulls() {
      Snapshot row = insert(row(W1, 1));
      assertThrows(NullPointerException.class, () -> check(tx -> tx.compareAndSet(null, row.failed("x"))));
      assertThrows(NullPointerException.class, () -> check(tx -> tx.compareAndSet(SnapshotStatus.CAPTURING, null)));
      assertEquals(Optional.of(row), store.find(row.id()));
    }

    @Test
    @DisplayName("expired and capturingSince refuse a limit below 1")
    void sweepQueriesRefuseLimitBelowOne() {
      assertThrows(IllegalArgumentException.class, () -> store.expired(at(1), 0));
      assertThrows(IllegalArgumentException.class, () -> store.capturingSince(at(1), 0));
    }
  }
}
