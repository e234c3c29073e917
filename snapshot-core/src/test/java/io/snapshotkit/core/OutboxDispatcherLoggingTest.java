package io.snapshotkit.core;

import static io.snapshotkit.core.events.EventFixtures.DIRECT;
import static io.snapshotkit.core.events.EventFixtures.append;
import static io.snapshotkit.core.events.EventFixtures.event;
import static io.snapshotkit.core.events.EventFixtures.hooks;
import static io.snapshotkit.core.events.EventFixtures.workload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.core.DeliveryLog.Level;
import io.snapshotkit.testkit.InMemoryManifestStore;
import io.snapshotkit.testkit.MutableClock;
import io.snapshotkit.testkit.RecordingEventHook;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Failure logging: loud once per hook and kind, quiet after, counted through a recording sink. */
class OutboxDispatcherLoggingTest {
  private record Entry(Level level, String hook, String message) {}

  private final List<Entry> entries = Collections.synchronizedList(new ArrayList<>());
  private final DeliveryLog recording = (level, hook, message, failure) -> entries.add(new Entry(level, hook, message));
  private final InMemoryManifestStore store = new InMemoryManifestStore();
  private final MutableClock clock = MutableClock.epoch();
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void tearDown() {
    scheduler.shutdownNow();
  }

  private long count(Level level, String hook, String containing) {
    synchronized (entries) {
      return entries.stream()
          .filter(e -> e.level() == level && e.hook().equals(hook) && e.message().contains(containing))
          .count();
    }
  }

  @Test
  @DisplayName("a failing hook warns once, then logs at DEBUG; parking warns once; another hook warns on its own")
  void warnOncePerHookThenDebug() {
    RecordingEventHook broken = new RecordingEventHook();
    RecordingEventHook alsoBroken = new RecordingEventHook();
    RecordingEventHook fine = new RecordingEventHook();
    broken.failAlways(true);
    alsoBroken.failTimes(1);
    OutboxDispatcher d = OutboxDispatcher.create(store.outbox(),
        hooks("broken", broken, "also", alsoBroken, "fine", fine), clock, scheduler, DIRECT,
        DispatcherSettings.defaults().withoutJitter().withMaxAttempts(3), recording);
    append(store, event(workload("w1"), 1, clock.instant()), event(workload("w2"), 1, clock.instant()));

    for (int i = 0; i < 4; i++) {
      d.pollOnce();
      clock.advance(Duration.ofMinutes(5));
    }

    assertEquals(6, broken.attempts(), "two events, three attempts each");
    assertEquals(2, d.parked("broken").size());
    assertEquals(1, count(Level.WARN, "broken", "retrying at"));
    assertEquals(3, count(Level.DEBUG, "broken", "retrying at"), "4 failed attempts before parking, 1 loud");
    assertEquals(1, count(Level.WARN, "broken", "parked event"));
    assertEquals(1, count(Level.DEBUG, "broken", "parked event"));
    assertEquals(1, count(Level.WARN, "also", "retrying at"));
    assertEquals(0, count(Level.DEBUG, "also", "retrying at"));
    assertEquals(0, entries.stream().filter(e -> e.hook().equals("fine")).count(), "a healthy hook logs nothing");
    assertTrue(entries.stream().filter(e -> e.level() == Level.WARN)
        .allMatch(e -> e.message().contains("logged at DEBUG")), "the warning says where repeats go");
  }

  @Test
  @DisplayName("a lost acknowledgement is reported, once loudly, as an event that will be delivered again")
  void storeProblemsAreReported() {
    var outbox = new io.snapshotkit.core.events.ForwardingOutbox(store.outbox());
    OutboxDispatcher d = OutboxDispatcher.create(outbox, hooks("audit", new RecordingEventHook()), clock, scheduler,
        DIRECT, DispatcherSettings.defaults(), recording);
    append(store, event(workload("w1"), 1, clock.instant()));
    outbox.loseAcks(1);
    assertEquals(1, d.pollOnce());
    assertEquals(1, count(Level.WARN, "audit", "acknowledgement failed"));
    assertEquals(1, count(Level.WARN, "audit", "will be delivered again"));
  }
}
