package io.snapshotkit;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.snapshotkit.spi.StartPosition;
import io.snapshotkit.spi.StoreChecks;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The adapters' shared argument checks accept what the SPI allows and refuse the rest, saying why. */
class StoreChecksTest {
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
  private static final Snapshot CAPTURING = Snapshot.capturing(SnapshotId.generate(T, new SplittableRandom(1)),
      WorkloadRef.of("acme", "w1"), "", Trigger.MANUAL, Optional.empty(), T, Optional.empty(), Map.of());
  private static final Snapshot READY =
      CAPTURING.ready(1, OptionalLong.empty(), false, ManifestRef.inline(Map.of(), 0));

  @Test
  void insertCapturingTakesOnlyCapturingRowsAndLimitsFromMinusOne() {
    assertDoesNotThrow(() -> StoreChecks.insertCapturing(CAPTURING, -1));
    assertDoesNotThrow(() -> StoreChecks.insertCapturing(CAPTURING, 0));
    assertEquals("insertCapturing takes a CAPTURING row, not READY",
        assertThrows(IllegalArgumentException.class, () -> StoreChecks.insertCapturing(READY, 5)).getMessage());
    assertThrows(IllegalArgumentException.class, () -> StoreChecks.insertCapturing(CAPTURING, -2));
    assertThrows(NullPointerException.class, () -> StoreChecks.insertCapturing(null, 1));
  }

  @Test
  void compareAndSetAllowsSameStatusAndLegalTransitionsOnly() {
    for (SnapshotStatus from : SnapshotStatus.values()) {
      for (SnapshotStatus to : SnapshotStatus.values()) {
        Snapshot replacement = READY.withStatus(to);
        if (from == to || from.canTransitionTo(to)) {
          assertDoesNotThrow(() -> StoreChecks.compareAndSet(from, replacement), from + " -> " + to);
        } else {
          IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
              () -> StoreChecks.compareAndSet(from, replacement), from + " -> " + to);
          assertEquals("illegal status transition " + from + " -> " + to + " for " + READY.id(), e.getMessage());
        }
      }
    }
    assertThrows(NullPointerException.class, () -> StoreChecks.compareAndSet(null, READY));
    assertThrows(NullPointerException.class, () -> StoreChecks.compareAndSet(SnapshotStatus.READY, null));
  }

  @Test
  void limitsStartAtOne() {
    assertDoesNotThrow(() -> StoreChecks.limit(1));
    assertThrows(IllegalArgumentException.class, () -> StoreChecks.limit(0));
  }

  @Test
  void hooksNeedANameAndClaimsPositiveSizesAndLease() {
    assertDoesNotThrow(() -> StoreChecks.register("audit", StartPosition.NOW));
    assertThrows(IllegalArgumentException.class, () -> StoreChecks.register("  ", StartPosition.NOW));
    assertThrows(NullPointerException.class, () -> StoreChecks.register("audit", null));
    Duration lease = Duration.ofSeconds(1);
    assertDoesNotThrow(() -> StoreChecks.claimRuns("h", "o", 1, 1, T, lease));
    assertThrows(IllegalArgumentException.class, () -> StoreChecks.claimRuns("h", "o", 0, 1, T, lease));
    assertThrows(IllegalArgumentException.class, () -> StoreChecks.claimRuns("h", "o", 1, 0, T, lease));
    assertThrows(IllegalArgumentException.class, () -> StoreChecks.claimRuns("h", "o", 1, 1, T, Duration.ZERO));
    assertThrows(NullPointerException.class, () -> StoreChecks.claimRuns(null, "o", 1, 1, T, lease));
  }
}
