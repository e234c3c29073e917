package io.snapshotkit.testkit;

import static io.snapshotkit.testkit.StoreFixture.W1;
import static io.snapshotkit.testkit.StoreFixture.W2;
import static io.snapshotkit.testkit.StoreFixture.at;
import static io.snapshotkit.testkit.StoreFixture.id;
import static io.snapshotkit.testkit.StoreFixture.row;
import static io.snapshotkit.testkit.StoreFixture.runConcurrently;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.ManifestRef;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.Trigger;
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
 * The test methods of {@link ManifestStoreContract}'s "Insert and versions" group: rows round-
 * trip; versions are gap-free, per workload, consumed only on commit and never reused. They sit in
 * a file of their own to keep the contract short, as {@link ListingChecks} does. The group is a
 * {@code @Nested} inner class of the contract that extends this one and hands over the contract
 * instance, so every adapter still runs these tests by extending {@link ManifestStoreContract}
 * alone.
 *
 * <p><b>Thread-safety:</b> a JUnit test class; each test runs on one instance (the concurrency
 * tests start their own threads and join them).
 */
abstract class VersionChecks extends ContractGroup {

  VersionChecks() {}

  @Test
  @DisplayName("an inserted row is found with every field intact, inside and outside a transaction")
  void insertThenFind() {
    Snapshot row = new Snapshot(id(1), W1, 0, "before upgrade", Trigger.of("pre_exec"), SnapshotStatus.CAPTURING,
        Optional.of(id(0)), at(1), Optional.of(at(86_400)), OptionalLong.empty(), false, true,
        Map.of("team", "core", "ticket", "OPS-7"), Optional.of("h3"), Optional.empty(), Optional.empty());
    insert(row);
    assertEquals(Optional.of(row), store().find(row.id()));
    assertEquals(Optional.of(row), store().inTransaction(tx -> tx.find(row.id())));
    assertEquals(Optional.empty(), store().find(id(2)));
  }

  @Test
  @DisplayName("a READY row keeps its version, size, partial flag and manifest reference")
  void readyRowRoundTrips() {
    Snapshot capturing = insert(row(W1, 1));
    Snapshot ready = store().inTransaction(tx -> {
      Snapshot r = capturing.ready(tx.nextVersion(W1), OptionalLong.of(1234), true,
          ManifestRef.external("manifests/" + capturing.id(), Map.of("files", 3, "users", 2), 4096));
      assertTrue(tx.compareAndSet(SnapshotStatus.CAPTURING, r));
      return r;
    });
    assertEquals(Optional.of(ready), store().find(capturing.id()));
    Snapshot failed = insert(row(W1, 2)).failed("host h1 is offline");
    assertTrue(check(tx -> tx.compareAndSet(SnapshotStatus.CAPTURING, failed)));
    assertEquals(Optional.of(failed), store().find(failed.id()));
  }

  @Test
  @DisplayName("inserting an id that exists is CONFLICT and leaves the existing row alone")
  void duplicateIdIsConflict() {
    Snapshot row = insert(row(W1, 1));
    Snapshot clash = Snapshot.capturing(row.id(), W2, "other", Trigger.SCHEDULE, Optional.empty(), at(5),
        Optional.empty(), Map.of());
    SnapshotException e = assertThrows(SnapshotException.class,
        () -> store().inTransaction(tx -> tx.insertCapturing(clash, -1)));
    assertEquals(ErrorCode.CONFLICT, e.code());
    assertEquals(Optional.of(row), store().find(row.id()));
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
    assertThrows(IllegalStateException.class, () -> store().inTransaction(tx -> {
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
