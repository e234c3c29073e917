package io.snapshotkit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.spi.StartPosition;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class DispatcherSettingsTest {

  @Test
  @DisplayName("defaults match the documented values; owner ids differ per instance")
  void defaults() {
    DispatcherSettings d = DispatcherSettings.defaults();
    assertEquals(10, d.maxAttempts());
    assertEquals(Duration.ofSeconds(1), d.initialBackoff());
    assertEquals(Duration.ofMinutes(5), d.maxBackoff());
    assertEquals(Duration.ofMillis(200), d.pollInterval());
    assertEquals(Duration.ofMinutes(1), d.claimLease());
    assertEquals(Duration.ofDays(7), d.outboxRetention());
    assertEquals(StartPosition.BEGINNING, d.startPosition("any-hook"));
    assertNotEquals(d.ownerId(), DispatcherSettings.defaults().ownerId());
  }

  @Test
  @DisplayName("per-hook start positions override the default, and setting one twice fails naming the old value")
  void startPositionOverrides() {
    DispatcherSettings s = DispatcherSettings.defaults().withStartPosition("billing", StartPosition.NOW);
    assertEquals(StartPosition.NOW, s.startPosition("billing"));
    assertEquals(StartPosition.BEGINNING, s.startPosition("audit"));
    assertEquals(StartPosition.NOW, s.withDefaultStart(StartPosition.NOW).startPosition("audit"));
    IllegalStateException twice = assertThrows(IllegalStateException.class,
        () -> s.withStartPosition("billing", StartPosition.BEGINNING));
    assertTrue(twice.getMessage().contains("NOW"), twice.getMessage());
  }

  @Test
  @DisplayName("every invalid setting is reported at once")
  void reportsAllProblems() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DispatcherSettings(
        " ", 0, Duration.ofSeconds(5), Duration.ofSeconds(1), 1.5, new SplittableRandom(), Duration.ZERO, 0,
        Duration.ofSeconds(-1), StartPosition.NOW, Map.of(), Duration.ofDays(-1), Duration.ZERO,
        Duration.ofSeconds(-1)));
    String m = e.getMessage();
    for (String setting : new String[] {"ownerId", "maxAttempts", "maxBackoff", "jitter", "pollInterval", "batchSize",
        "claimLease", "outboxRetention", "pruneInterval", "stopTimeout"}) {
      assertTrue(m.contains(setting), "missing " + setting + " in: " + m);
    }
  }

  @Test
  @DisplayName("start positions are copied: later changes to the caller's map do not leak in")
  void copiesStartPositions() {
    Map<String, StartPosition> mine = new HashMap<>();
    mine.put("a", StartPosition.NOW);
    DispatcherSettings s = DispatcherSettings.defaults();
    DispatcherSettings copy = new DispatcherSettings(s.ownerId(), s.maxAttempts(), s.initialBackoff(),
        s.maxBackoff(), s.jitter(), s.random(), s.pollInterval(), s.batchSize(), s.claimLease(), s.defaultStart(),
        mine, s.outboxRetention(), s.pruneInterval(), s.stopTimeout());
    mine.put("b", StartPosition.NOW);
    assertEquals(Map.of("a", StartPosition.NOW), copy.startPositions());
    assertThrows(UnsupportedOperationException.class, () -> copy.startPositions().put("c", StartPosition.NOW));
  }
}
