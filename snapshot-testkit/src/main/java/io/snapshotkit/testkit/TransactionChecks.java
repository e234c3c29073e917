package io.snapshotkit.testkit;

import static io.snapshotkit.testkit.StoreFixture.LEASE;
import static io.snapshotkit.testkit.StoreFixture.W1;
import static io.snapshotkit.testkit.StoreFixture.at;
import static io.snapshotkit.testkit.StoreFixture.event;
import static io.snapshotkit.testkit.StoreFixture.id;
import static io.snapshotkit.testkit.StoreFixture.row;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.spi.StartPosition;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The test methods of {@link ManifestStoreContract}'s "Transactions" group: a transaction commits
 * all its writes together or none of them. They sit in a file of their own to keep the contract
 * short, as {@link ListingChecks} does. The group is a {@code @Nested} inner class of the contract
 * that extends this one and hands over the contract instance, so every adapter still runs these
 * tests by extending {@link ManifestStoreContract} alone.
 *
 * <p><b>Thread-safety:</b> a JUnit test class; each test runs on one instance.
 */
abstract class TransactionChecks extends ContractGroup {

  TransactionChecks() {}

  @Test
  @DisplayName("a transaction returns its work's result and its writes are visible after commit")
  void transactionCommits() {
    String result = store().inTransaction(tx -> {
      tx.insertCapturing(row(W1, 1), -1);
      assertTrue(tx.find(id(1)).isPresent(), "a transaction reads its own writes");
      return "done";
    });
    assertEquals("done", result);
    assertTrue(store().find(id(1)).isPresent());
  }

  @Test
  @DisplayName("a transaction that throws leaves neither its change nor its event, and rethrows")
  void failedTransactionLeavesNothing() {
    outbox().register("audit", StartPosition.BEGINNING);
    Snapshot existing = readyRow(W1, 1, OptionalLong.empty());
    IllegalStateException boom = new IllegalStateException("boom");
    IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> store().inTransaction(tx -> {
      tx.insertCapturing(row(W1, 2), -1);
      tx.compareAndSet(SnapshotStatus.READY, existing.withStatus(SnapshotStatus.DELETING));
      tx.putManifest(existing.id(), new byte[] {'{', '}'});
      tx.nextVersion(W1);
      tx.append(event(W1, 2));
      throw boom;
    }));
    assertSame(boom, thrown);
    assertEquals(Optional.empty(), store().find(id(2)));
    assertEquals(Optional.of(existing), store().find(existing.id()));
    assertTrue(store().manifest(existing.id()).isEmpty());
    assertEquals(List.of(), outbox().claim("audit", "d1", 10, at(100), LEASE));
    assertEquals(2, nextVersion(W1));
  }

  @Test
  @DisplayName("a storage failure at a later write rolls back the writes before it")
  void failedWriteRollsBackEarlierWrites() {
    FailingManifestStore failing = FailingManifestStore.wrap(store());
    failing.failWrite(3);
    SnapshotException e = assertThrows(SnapshotException.class, () -> failing.inTransaction(tx -> {
      tx.insertCapturing(row(W1, 1), -1);
      tx.nextVersion(W1);
      tx.putManifest(id(1), "{}".getBytes(StandardCharsets.UTF_8));
      return null;
    }));
    assertEquals(ErrorCode.INTERNAL, e.code());
    assertEquals(Optional.empty(), store().find(id(1)));
    assertEquals(Optional.empty(), store().manifest(id(1)));
    assertEquals(1, nextVersion(W1), "the version taken by the failed transaction is not consumed");
  }
}
