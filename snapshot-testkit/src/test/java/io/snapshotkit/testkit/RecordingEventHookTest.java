package io.snapshotkit.testkit;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.EventType;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.WorkloadRef;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class RecordingEventHookTest {
  private static SnapshotEvent event(String id, EventType type) {
    return new SnapshotEvent(id, type, WorkloadRef.of("acme", "w1"), Optional.empty(), 0,
        Instant.parse("2026-01-01T00:00:00Z"), Map.of());
  }

  private final RecordingEventHook hook = new RecordingEventHook();

  @Test
  @DisplayName("records deliveries in order, redeliveries included; distinctEvents de-duplicates by id")
  void records() {
    hook.onEvent(event("a", EventType.CAPTURE_STARTED));
    hook.onEvent(event("b", EventType.CREATED));
    hook.onEvent(event("a", EventType.CAPTURE_STARTED));
    assertEquals(List.of("a", "b", "a"), hook.events().stream().map(SnapshotEvent::id).toList());
    assertEquals(List.of("a", "b"), hook.distinctEvents().stream().map(SnapshotEvent::id).toList());
    assertEquals(List.of(EventType.CAPTURE_STARTED, EventType.CREATED, EventType.CAPTURE_STARTED), hook.types());
    assertEquals(3, hook.attempts());
  }

  @Test
  @DisplayName("failTimes fails exactly the next n deliveries; failed ones count as attempts only")
  void failTimes() {
    hook.failTimes(2);
    assertThrows(IllegalStateException.class, () -> hook.onEvent(event("a", EventType.CREATED)));
    assertThrows(IllegalStateException.class, () -> hook.onEvent(event("a", EventType.CREATED)));
    assertDoesNotThrow(() -> hook.onEvent(event("a", EventType.CREATED)));
    assertEquals(3, hook.attempts());
    assertEquals(1, hook.events().size());
  }

  @Test
  @DisplayName("failAlways fails every delivery until switched off")
  void failAlways() {
    hook.failAlways(true);
    for (int i = 0; i < 3; i++) {
      assertThrows(IllegalStateException.class, () -> hook.onEvent(event("a", EventType.CREATED)));
    }
    hook.failAlways(false);
    hook.onEvent(event("a", EventType.CREATED));
    assertEquals(4, hook.attempts());
    assertEquals(1, hook.events().size());
  }

  @Test
  @DisplayName("awaitCount returns true once enough deliveries arrived from another thread, false on timeout")
  void awaitCount() throws Exception {
    assertFalse(hook.awaitCount(1, Duration.ofMillis(1)));
    CompletableFuture<Boolean> waiter = CompletableFuture.supplyAsync(() -> hook.awaitCount(2, Duration.ofSeconds(10)));
    hook.onEvent(event("a", EventType.CREATED));
    hook.onEvent(event("b", EventType.CREATED));
    assertTrue(waiter.get(10, TimeUnit.SECONDS));
  }
}
