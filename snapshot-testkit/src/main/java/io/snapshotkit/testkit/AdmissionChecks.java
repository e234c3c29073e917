package io.snapshotkit.testkit;

import static io.snapshotkit.testkit.StoreFixture.OTHER;
import static io.snapshotkit.testkit.StoreFixture.OTHER_TENANT;
import static io.snapshotkit.testkit.StoreFixture.TENANT;
import static io.snapshotkit.testkit.StoreFixture.W1;
import static io.snapshotkit.testkit.StoreFixture.W2;
import static io.snapshotkit.testkit.StoreFixture.at;
import static io.snapshotkit.testkit.StoreFixture.id;
import static io.snapshotkit.testkit.StoreFixture.row;
import static io.snapshotkit.testkit.StoreFixture.runConcurrently;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.Trigger;
import io.snapshotkit.spi.Admission;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The test methods of {@link ManifestStoreContract}'s "Quotas and admission" group:
 * insertCapturing admits up to the workload's limit, atomically. They sit in a file of their own
 * to keep the contract short, as {@link ListingChecks} does. The group is a {@code @Nested} inner
 * class of the contract that extends this one and hands over the contract instance, so every
 * adapter still runs these tests by extending {@link ManifestStoreContract} alone.
 *
 * <p><b>Thread-safety:</b> a JUnit test class; each test runs on one instance (the concurrency
 * tests start their own threads and join them).
 */
abstract class AdmissionChecks extends ContractGroup {

  AdmissionChecks() {}

  @Test
  @DisplayName("the quota admits up to the limit and refuses beyond it, reporting how many are used")
  void quotaAdmitsUpToLimit() {
    assertEquals(new Admission(true, 0), store().inTransaction(tx -> tx.insertCapturing(row(W1, 1), 2)));
    assertEquals(new Admission(true, 1), store().inTransaction(tx -> tx.insertCapturing(row(W1, 2), 2)));
    assertEquals(new Admission(false, 2), store().inTransaction(tx -> tx.insertCapturing(row(W1, 3), 2)));
    assertEquals(Optional.empty(), store().find(id(3)), "a refused row is not inserted");
    assertEquals(new Admission(true, 0), store().inTransaction(tx -> tx.insertCapturing(row(W2, 4), 2)),
        "the quota counts per workload");
  }

  @Test
  @DisplayName("a limit of -1 is unlimited and a limit of 0 admits nothing")
  void unlimitedAndDisabled() {
    for (int i = 1; i <= 25; i++) {
      int n = i;
      Admission a = store().inTransaction(tx -> tx.insertCapturing(row(W1, n), -1));
      assertEquals(new Admission(true, n - 1), a);
    }
    assertEquals(new Admission(false, 0), store().inTransaction(tx -> tx.insertCapturing(row(W2, 99), 0)));
  }

  @Test
  @DisplayName("FAILED rows do not count against the quota; READY and DELETING rows do")
  void failedRowsDoNotCount() {
    Snapshot first = insert(row(W1, 1));
    assertTrue(check(tx -> tx.compareAndSet(SnapshotStatus.CAPTURING, first.failed("boom"))));
    assertEquals(new Admission(true, 0), store().inTransaction(tx -> tx.insertCapturing(row(W1, 2), 1)));
    Snapshot ready = markReady(store().find(id(2)).orElseThrow(), OptionalLong.empty());
    assertTrue(check(tx -> tx.compareAndSet(SnapshotStatus.READY, ready.withStatus(SnapshotStatus.DELETING))));
    assertEquals(new Admission(false, 1), store().inTransaction(tx -> tx.insertCapturing(row(W1, 3), 1)));
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
    assertEquals(Long.valueOf(120), store().inTransaction(tx -> tx.usageBytes(TENANT)),
        "CAPTURING and FAILED rows and other tenants do not count");
    assertEquals(Long.valueOf(7_000), store().inTransaction(tx -> tx.usageBytes(OTHER_TENANT)));
    long seen = store().inTransaction(tx -> {
      tx.compareAndSet(SnapshotStatus.READY, a.withStatus(SnapshotStatus.DELETING).withSize(300));
      return tx.usageBytes(TENANT);
    });
    assertEquals(320, seen, "a transaction sees its own update; DELETING still counts");
    assertEquals(320, store().usageBytes(TENANT));
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
        if (store().inTransaction(tx -> tx.insertCapturing(r, limit)).admitted()) {
          mine++;
        }
      }
      return mine;
    });
    assertEquals(limit, admitted.stream().mapToInt(Integer::intValue).sum());
    assertEquals(limit, listAll(SnapshotQuery.of(W1)).size());
  }
}
