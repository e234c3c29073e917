package io.snapshotkit.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class MutableClockTest {

  @Test
  @DisplayName("epoch starts at 2026-01-01T00:00:00Z in UTC and stands still until moved")
  void epoch() {
    MutableClock clock = MutableClock.epoch();
    assertEquals(Instant.parse("2026-01-01T00:00:00Z"), clock.instant());
    assertEquals(clock.instant(), clock.instant());
    assertEquals(ZoneOffset.UTC, clock.getZone());
    assertEquals(Instant.parse("2026-01-01T00:00:00Z").toEpochMilli(), clock.millis());
  }

  @Test
  @DisplayName("advance moves forward, set moves anywhere, and a negative advance is refused")
  void advanceAndSet() {
    MutableClock clock = MutableClock.at(Instant.parse("2030-05-01T10:00:00Z"));
    assertEquals(Instant.parse("2030-05-01T10:01:30Z"), clock.advance(Duration.ofSeconds(90)));
    assertEquals(Instant.parse("2030-05-01T10:01:30Z"), clock.instant());
    clock.set(Instant.parse("2001-01-01T00:00:00Z"));
    assertEquals(Instant.parse("2001-01-01T00:00:00Z"), clock.instant());
    assertThrows(IllegalArgumentException.class, () -> clock.advance(Duration.ofSeconds(-1)));
  }

  @Test
  @DisplayName("a clock derived with withZone shares the instant")
  void withZoneShares() {
    MutableClock clock = MutableClock.epoch();
    MutableClock paris = clock.withZone(ZoneId.of("Europe/Paris"));
    assertEquals(ZoneId.of("Europe/Paris"), paris.getZone());
    clock.advance(Duration.ofHours(1));
    assertEquals(clock.instant(), paris.instant());
    assertEquals(clock, clock.withZone(ZoneOffset.UTC));
  }
}
