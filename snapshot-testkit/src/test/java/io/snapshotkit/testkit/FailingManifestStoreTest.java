package io.snapshotkit.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.Trigger;
import io.snapshotkit.WorkloadRef;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The failure-injecting wrapper fails exactly the scripted write, once, and names it. */
class FailingManifestStoreTest {
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
  private static final WorkloadRef W = WorkloadRef.of("acme", "w1");

  private final InMemoryManifestStore inner = new InMemoryManifestStore();
  private final FailingManifestStore store = FailingManifestStore.wrap(inner);

  private static Snapshot row(int n) {
    return Snapshot.capturing(SnapshotId.generate(T.plusSeconds(n), new SplittableRandom(n)), W, "", Trigger.MANUAL,
        Optional.empty(), T.plusSeconds(n), Optional.empty(), Map.of());
  }

  @Test
  void scriptedWriteFailsBeforeReachingTheStoreAndOnlyOnce() {
    store.failWrite(2);
    SnapshotException e = assertThrows(SnapshotException.class, () -> store.inTransaction(tx -> {
      tx.insertCapturing(row(1), -1);
      tx.insertCapturing(row(2), -1);
      return null;
    }));
    assertEquals(ErrorCode.INTERNAL, e.code());
    assertTrue(e.getMessage().contains("write 2 of the transaction (insertCapturing)"), e.getMessage());
    assertEquals(Optional.empty(), inner.find(row(1).id()), "the first write was rolled back");
    store.inTransaction(tx -> tx.insertCapturing(row(3), -1));
    assertTrue(inner.find(row(3).id()).isPresent(), "the next transaction runs unharmed");
  }

  @Test
  void writesAreCountedFromOne() {
    assertThrows(IllegalArgumentException.class, () -> store.failWrite(0));
  }
}
