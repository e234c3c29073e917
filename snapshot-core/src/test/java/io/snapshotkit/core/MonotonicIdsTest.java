package io.snapshotkit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.SnapshotId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Monotonic snapshot ids")
class MonotonicIdsTest {
  private static final Instant T = Instant.parse("2026-12-01T00:00:00.123Z");

  @Test
  @DisplayName("ids of one millisecond strictly increase and keep that millisecond")
  void sameMillisecondIncreases() {
    MonotonicIds ids = new MonotonicIds(new SplittableRandom(7));
    List<SnapshotId> made = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      made.add(ids.next(T));
    }
    for (int i = 1; i < made.size(); i++) {
      assertTrue(made.get(i).compareTo(made.get(i - 1)) > 0, "id " + i + " sorts after id " + (i - 1));
      assertEquals(T.truncatedTo(java.time.temporal.ChronoUnit.MILLIS), made.get(i).timestamp());
    }
  }

  @Test
  @DisplayName("a clock that goes backwards keeps the last millisecond, so ids still increase")
  void clockGoingBackwardsKeepsOrder() {
    MonotonicIds ids = new MonotonicIds(new SplittableRandom(7));
    SnapshotId first = ids.next(T);
    SnapshotId second = ids.next(T.minusSeconds(5));
    assertTrue(second.compareTo(first) > 0);
    assertEquals(first.timestamp(), second.timestamp());
    SnapshotId later = ids.next(T.plusMillis(1));
    assertEquals(T.plusMillis(1), later.timestamp(), "a later millisecond starts afresh");
    assertTrue(later.compareTo(second) > 0);
  }

  @Test
  @DisplayName("an exhausted millisecond moves on to the next one")
  void exhaustedMillisecondMovesOn() {
    // A random source whose bits are all ones makes the first id the last of its millisecond.
    MonotonicIds ids = new MonotonicIds(new java.util.random.RandomGenerator() {
      @Override
      public long nextLong() {
        return -1L;
      }
    });
    SnapshotId last = ids.next(T);
    assertTrue(last.successor().isEmpty());
    SnapshotId next = ids.next(T);
    assertTrue(next.compareTo(last) > 0);
    assertEquals(last.timestamp().plusMillis(1), next.timestamp());
  }
}
