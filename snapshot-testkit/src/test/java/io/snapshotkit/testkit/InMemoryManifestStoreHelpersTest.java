package io.snapshotkit.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.snapshotkit.EventType;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.Trigger;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.Delivery;
import io.snapshotkit.spi.StartPosition;
import io.snapshotkit.spi.StoreTransaction;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class InMemoryManifestStoreHelpersTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final WorkloadRef W = WorkloadRef.of("acme", "w1");

  private final InMemoryManifestStore store = new InMemoryManifestStore();

  private static SnapshotId id(int n) {
    return SnapshotId.generate(T0.plusSeconds(n), new SplittableRandom(n));
  }

  private static Snapshot row(int n) {
    return Snapshot.capturing(id(n), W, "", Trigger.MANUAL, Optional.empty(), T0, Optional.empty(), Map.of());
  }

  private static SnapshotEvent event(int n) {
    return new SnapshotEvent("e" + n, EventType.CAPTURE_STARTED, W, Optional.of(id(n)), 0, T0.plusSeconds(n), Map.of());
  }

  @Test
  @DisplayName("failNextTransaction runs the work, then rolls back and throws: no change and no event")
  void failNextTransaction() {
    RuntimeException injected = new IllegalStateException("database went away");
    store.failNextTransaction(injected);
    int[] ran = {0};
    RuntimeException thrown = assertThrows(RuntimeException.class, () -> store.inTransaction(tx -> {
      ran[0]++;
      tx.insertCapturing(row(1), -1);
      tx.append(event(1));
      return null;
    }));
    assertSame(injected, thrown);
    assertEquals(1, ran[0]);
    assertEquals(0, store.snapshotCount());
    assertEquals(0, store.eventCount());
    store.inTransaction(tx -> {
      tx.insertCapturing(row(2), -1);
      tx.append(event(2));
      return null;
    });
    assertEquals(1, store.snapshotCount());
    assertEquals(List.of(event(2)), store.events());
  }

  @Test
  @DisplayName("events() keeps every committed event in sequence order even after prune")
  void eventsSurvivePrune() {
    store.outbox().register("h", StartPosition.BEGINNING);
    for (int n = 1; n <= 3; n++) {
      int k = n;
      store.inTransaction(tx -> {
        tx.append(event(k));
        return null;
      });
    }
    for (Delivery d : store.outbox().claim("h", "o", 10, T0, Duration.ofMinutes(1))) {
      store.outbox().acknowledge("h", d.sequence());
    }
    assertEquals(1, store.outbox().prune(T0.plusSeconds(100)));
    assertEquals(2, store.retainedEventCount());
    assertEquals(List.of(event(1), event(2), event(3)), store.events());
    assertEquals(3, store.eventCount());
  }

  @Test
  @DisplayName("a nested transaction and use of a finished transaction are refused")
  void misuseRefused() {
    assertThrows(IllegalStateException.class,
        () -> store.inTransaction(tx -> store.inTransaction(inner -> inner.nextVersion(W))));
    AtomicReference<StoreTransaction> leaked = new AtomicReference<>();
    store.inTransaction(tx -> {
      leaked.set(tx);
      return null;
    });
    assertThrows(IllegalStateException.class, () -> leaked.get().nextVersion(W));
    assertEquals(1, store.inTransaction(tx -> tx.nextVersion(W)).intValue());
  }
}
