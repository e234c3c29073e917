package io.snapshotkit.testkit;

import static io.snapshotkit.testkit.StoreFixture.W1;
import static io.snapshotkit.testkit.StoreFixture.id;
import static io.snapshotkit.testkit.StoreFixture.row;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ManifestRef;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotStatus;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The test methods of {@link ManifestStoreContract}'s "Transitions (compare-and-set and remove)"
 * group: status changes happen only from the expected status and only along legal transitions.
 * They sit in a file of their own to keep the contract short, as {@link ListingChecks} does. The
 * group is a {@code @Nested} inner class of the contract that extends this one and hands over the
 * contract instance, so every adapter still runs these tests by extending {@link
 * ManifestStoreContract} alone.
 *
 * <p><b>Thread-safety:</b> a JUnit test class; each test runs on one instance.
 */
abstract class TransitionChecks extends ContractGroup {

  TransitionChecks() {}

  @Test
  @DisplayName("compareAndSet succeeds only from the expected status")
  void compareAndSetOnlyFromExpected() {
    Snapshot row = insert(row(W1, 1));
    Snapshot deleting = row.ready(1, OptionalLong.empty(), false, ManifestRef.inline(Map.of(), 0))
        .withStatus(SnapshotStatus.DELETING);
    assertFalse(check(tx -> tx.compareAndSet(SnapshotStatus.READY, deleting)));
    assertEquals(Optional.of(row), store().find(row.id()), "a failed compareAndSet changes nothing");
    Snapshot failed = row.failed("host offline");
    assertTrue(check(tx -> tx.compareAndSet(SnapshotStatus.CAPTURING, failed)));
    assertEquals(SnapshotStatus.FAILED, store().find(row.id()).orElseThrow().status());
    Snapshot lateReady = row.ready(1, OptionalLong.empty(), false, ManifestRef.inline(Map.of(), 0));
    assertFalse(check(tx -> tx.compareAndSet(SnapshotStatus.CAPTURING, lateReady)),
        "a late report never moves a snapshot backwards");
    assertEquals(Optional.of(failed), store().find(row.id()));
  }

  @Test
  @DisplayName("compareAndSet is false for a missing row")
  void compareAndSetMissingRow() {
    assertFalse(check(tx -> tx.compareAndSet(SnapshotStatus.CAPTURING, row(W1, 1).failed("x"))));
    assertEquals(Optional.empty(), store().find(id(1)));
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
    assertEquals(Optional.of(ready), store().find(row.id()));
  }

  @Test
  @DisplayName("compareAndSet to the same status updates fields such as a resolved size or the protected flag")
  void compareAndSetSameStatusUpdatesFields() {
    Snapshot ready = readyRow(W1, 1, OptionalLong.empty());
    Snapshot sized = ready.withSize(4242).withProtected(true);
    assertTrue(check(tx -> tx.compareAndSet(SnapshotStatus.READY, sized)));
    assertEquals(Optional.of(sized), store().find(ready.id()));
  }

  @Test
  @DisplayName("a strict delete that no host confirmed moves DELETING back to READY")
  void deletingBackToReady() {
    Snapshot ready = readyRow(W1, 1, OptionalLong.of(5));
    Snapshot deleting = ready.withStatus(SnapshotStatus.DELETING);
    assertTrue(check(tx -> tx.compareAndSet(SnapshotStatus.READY, deleting)));
    assertTrue(check(tx -> tx.compareAndSet(SnapshotStatus.DELETING, ready)));
    assertEquals(Optional.of(ready), store().find(ready.id()));
  }

  @Test
  @DisplayName("remove deletes the row and its inline manifest, only from the expected status")
  void removeOnlyFromExpectedStatus() {
    Snapshot row = insert(row(W1, 1));
    byte[] json = "{\"families\":{}}".getBytes(StandardCharsets.UTF_8);
    store().inTransaction(tx -> {
      tx.putManifest(row.id(), json);
      return null;
    });
    assertFalse(check(tx -> tx.remove(row.id(), SnapshotStatus.READY)));
    assertTrue(store().find(row.id()).isPresent());
    assertTrue(check(tx -> tx.remove(row.id(), SnapshotStatus.CAPTURING)));
    assertEquals(Optional.empty(), store().find(row.id()));
    assertTrue(store().manifest(row.id()).isEmpty(), "the inline manifest goes with the row");
    assertFalse(check(tx -> tx.remove(row.id(), SnapshotStatus.CAPTURING)), "removing twice is false");
  }
}
