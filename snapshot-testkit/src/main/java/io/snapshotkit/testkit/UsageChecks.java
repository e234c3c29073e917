package io.snapshotkit.testkit;

import static io.snapshotkit.testkit.StoreFixture.OTHER;
import static io.snapshotkit.testkit.StoreFixture.OTHER_TENANT;
import static io.snapshotkit.testkit.StoreFixture.TENANT;
import static io.snapshotkit.testkit.StoreFixture.W1;
import static io.snapshotkit.testkit.StoreFixture.W2;
import static io.snapshotkit.testkit.StoreFixture.at;
import static io.snapshotkit.testkit.StoreFixture.id;
import static io.snapshotkit.testkit.StoreFixture.row;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Manifest;
import io.snapshotkit.ManifestRef;
import io.snapshotkit.Resource;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotOrigin;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.TenantId;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The test methods of {@link ManifestStoreContract}'s "Usage and inline manifests" group:
 * usageBytes sums and inline manifest storage. They sit in a file of their own to keep the
 * contract short, as {@link ListingChecks} does. The group is a {@code @Nested} inner class of the
 * contract that extends this one and hands over the contract instance, so every adapter still runs
 * these tests by extending {@link ManifestStoreContract} alone.
 *
 * <p><b>Thread-safety:</b> a JUnit test class; each test runs on one instance.
 */
abstract class UsageChecks extends ContractGroup {

  UsageChecks() {}

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
    assertEquals(150, store().usageBytes(TENANT));
    assertEquals(7, store().usageBytes(OTHER_TENANT));
    assertEquals(0, store().usageBytes(TenantId.of("nobody")));
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
    store().inTransaction(tx -> {
      tx.putManifest(row.id(), "{\"old\":true}".getBytes(StandardCharsets.UTF_8));
      tx.putManifest(row.id(), json);
      return null;
    });
    byte[] read = store().manifest(row.id()).orElseThrow();
    assertArrayEquals(json, read);
    assertEquals(manifest, Manifest.fromJson(read));
    read[0] = 'X';
    assertArrayEquals(json, store().manifest(row.id()).orElseThrow(), "a returned array is a copy");
    assertEquals(Optional.empty(), store().manifest(id(2)));
  }

  @Test
  @DisplayName("a fork's origin is stored with its row, commits only with the transaction, and goes with the row")
  void forkOriginRoundTripsAndGoesWithTheRow() {
    Snapshot source = readyRow(W1, 1, OptionalLong.of(10));
    Snapshot child = insert(row(W2, 2));
    SnapshotOrigin origin = new SnapshotOrigin(source.id(), W1);
    assertThrows(RuntimeException.class, () -> store().inTransaction(tx -> {
      tx.putOrigin(child.id(), origin);
      throw new IllegalStateException("roll back");
    }));
    assertEquals(Optional.empty(), store().origin(child.id()), "a rolled-back origin is not stored");
    Snapshot ready = store().inTransaction(tx -> {
      Snapshot r = child.ready(tx.nextVersion(W2), OptionalLong.of(1), false, ManifestRef.inline(Map.of(), 0));
      assertTrue(tx.compareAndSet(SnapshotStatus.CAPTURING, r));
      tx.putOrigin(child.id(), origin);
      return r;
    });
    assertEquals(Optional.of(origin), store().origin(child.id()));
    assertEquals(Optional.empty(), store().origin(source.id()), "a captured snapshot has no origin");
    assertEquals(Optional.empty(), store().origin(id(99)));
    SnapshotException missing = assertThrows(SnapshotException.class,
        () -> store().inTransaction(tx -> {
          tx.putOrigin(id(98), origin);
          return null;
        }));
    assertEquals(ErrorCode.NOT_FOUND, missing.code());
    assertTrue(check(tx -> tx.compareAndSet(SnapshotStatus.READY, ready.withStatus(SnapshotStatus.DELETING))));
    assertTrue(check(tx -> tx.remove(child.id(), SnapshotStatus.DELETING)));
    assertEquals(Optional.empty(), store().origin(child.id()), "removing the row removes its origin");
  }
}
