package io.snapshotkit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class BackoffTest {

  @Test
  @DisplayName("without jitter: initial * 2^(attempts-1), capped")
  void exponentialAndCapped() {
    Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(5), 0.0, new SplittableRandom(1));
    assertEquals(Duration.ofSeconds(1), b.delay(1));
    assertEquals(Duration.ofSeconds(2), b.delay(2));
    assertEquals(Duration.ofSeconds(256), b.delay(9));
    assertEquals(Duration.ofMinutes(5), b.delay(10));
    assertEquals(Duration.ofMinutes(5), b.delay(Integer.MAX_VALUE), "no overflow for huge attempt counts");
  }

  @Test
  @DisplayName("bad arguments are rejected")
  void rejectsBadArguments() {
    SplittableRandom r = new SplittableRandom(1);
    assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), 0, r));
    assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(1), 1.0, r));
    assertThrows(IllegalArgumentException.class,
        () -> new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(1), 0, r).delay(0));
  }

  @Property(tries = 200)
  @Label("jittered delays stay within [(1 - jitter) * base, base] and are reproducible from the seed")
  void jitterBounds(@ForAll @IntRange(min = 1, max = 40) int attempts, @ForAll @LongRange(min = 0, max = 1000) long seed) {
    Duration initial = Duration.ofMillis(500);
    Duration max = Duration.ofMinutes(5);
    Duration base = new Backoff(initial, max, 0.0, new SplittableRandom(seed)).delay(attempts);
    Duration jittered = new Backoff(initial, max, 0.3, new SplittableRandom(seed)).delay(attempts);
    Duration again = new Backoff(initial, max, 0.3, new SplittableRandom(seed)).delay(attempts);
    assertEquals(jittered, again);
    assertTrue(jittered.compareTo(base) <= 0, jittered + " > " + base);
    assertTrue(jittered.toNanos() >= (long) (base.toNanos() * 0.7) - 1, jittered + " too short for " + base);
  }
}
