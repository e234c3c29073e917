package io.snapshotkit.core;

import static io.snapshotkit.core.events.EventFixtures.DIRECT;
import static io.snapshotkit.core.events.EventFixtures.append;
import static io.snapshotkit.core.events.EventFixtures.event;
import static io.snapshotkit.core.events.EventFixtures.hooks;
import static io.snapshotkit.core.events.EventFixtures.workload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.Trigger;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.EventHook;
import io.snapshotkit.spi.ParkedEvent;
import io.snapshotkit.spi.StartPosition;
import io.snapshotkit.testkit.InMemoryManifestStore;
import io.snapshotkit.testkit.MutableClock;
import io.snapshotkit.testkit.RecordingEventHook;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Delivery, retry, parking, start positions and pruning, driven synchronously through {@code pollOnce()}. */
class OutboxDispatcherTest {
  private static final WorkloadRef W1 = workload("w1");
  private static final WorkloadRef W2 = workload("w2");

  private final InMemoryManifestStore store = new InMemoryManifestStore();
  private final MutableClock clock = MutableClock.epoch();
  private ScheduledExecutorService scheduler;

  private final DispatcherSettings settings =
      DispatcherSettings.defaults().withOwnerId("engine-a").withoutJitter();

  @BeforeEach
  void setUp() {
    scheduler = Executors.newSingleThreadScheduledExecutor();
  }

  @AfterEach
  void tearDown() {
    scheduler.shutdownNow();
  }

  private OutboxDispatcher dispatcher(Map<String, EventHook> hooks, DispatcherSettings s) {
    return OutboxDispatcher.create(store.outbox(), hooks, clock, scheduler, DIRECT, s);
  }

  @Test
  @DisplayName("a hook failing twice gets the event three times; the other hooks once; the appending operation is unaffected")
  void failingHookIsRetriedAlone() {
    RecordingEventHook billing = new RecordingEventHook();
    RecordingEventHook audit = new RecordingEventHook();
    RecordingEventHook notify = new RecordingEventHook();
    billing.failTimes(2);
    OutboxDispatcher d = dispatcher(hooks("billing", billing, "audit", audit, "notify", notify), settings);

    SnapshotId id = SnapshotId.generate(clock.instant(), new SplittableRandom(1));
    Snapshot row = Snapshot.capturing(id, W1, "", Trigger.MANUAL, Optional.empty(), clock.instant(),
        Optional.empty(), Map.of());
    SnapshotEvent created = event(W1, 1, clock.instant());
    boolean admitted = store.inTransaction(tx -> {
      boolean ok = tx.insertCapturing(row, -1).admitted();
      tx.append(created);
      return ok;
    });
    assertTrue(admitted);
    assertEquals(1, store.snapshotCount());

    assertEquals(3, d.pollOnce(), "first poll: one attempt per hook");
    assertEquals(1, billing.attempts());
    assertEquals(List.of(created), audit.events());
    assertEquals(List.of(created), notify.events());

    assertEquals(0, d.pollOnce(), "backoff of 1 s has not passed");
    clock.advance(Duration.ofSeconds(1));
    assertEquals(1, d.pollOnce(), "second attempt, fails again");
    clock.advance(Duration.ofSeconds(1));
    assertEquals(0, d.pollOnce(), "backoff doubled to 2 s");
    clock.advance(Duration.ofSeconds(1));
    assertEquals(1, d.pollOnce(), "third attempt succeeds");
    clock.advance(Duration.ofMinutes(10));
    assertEquals(0, d.pollOnce(), "acknowledged for every hook: nothing left");

    assertEquals(3, billing.attempts());
    assertEquals(List.of(created), billing.events());
    assertEquals(1, audit.attempts());
    assertEquals(1, notify.attempts());
    assertEquals(1, store.snapshotCount(), "the state change stays committed whatever the hooks do");
  }

  @Test
  @DisplayName("a store transaction failing after the change and the append leaves neither; nothing is delivered")
  void failedTransactionLeavesNoChangeAndNoEvent() {
    RecordingEventHook hook = new RecordingEventHook();
    OutboxDispatcher d = dispatcher(hooks("audit", hook), settings);
    SnapshotId id = SnapshotId.generate(clock.instant(), new SplittableRandom(2));
    Snapshot row = Snapshot.capturing(id, W1, "", Trigger.MANUAL, Optional.empty(), clock.instant(),
        Optional.empty(), Map.of());

    store.failNextTransaction(new IllegalStateException("simulated crash before commit"));
    assertThrows(IllegalStateException.class, () -> store.inTransaction(tx -> {
      tx.insertCapturing(row, -1);
      tx.append(event(W1, 1, clock.instant()));
      return null;
    }));
    assertThrows(IllegalStateException.class, () -> store.inTransaction(tx -> {
      tx.insertCapturing(row, -1);
      tx.append(event(W1, 2, clock.instant()));
      throw new IllegalStateException("the work itself fails after the change and the append");
    }));

    assertEquals(0, store.snapshotCount());
    assertEquals(0, store.eventCount());
    assertEquals(0, d.pollOnce());
    assertEquals(0, hook.attempts());
  }

  @Test
  @DisplayName("a failing event holds back later events of its workload for that hook only")
  void orderPerWorkloadWithFailures() {
    RecordingEventHook flaky = new RecordingEventHook();
    RecordingEventHook steady = new RecordingEventHook();
    OutboxDispatcher d = dispatcher(hooks("flaky", flaky, "steady", steady), settings);
    SnapshotEvent a1 = event(W1, 1, clock.instant());
    SnapshotEvent a2 = event(W1, 2, clock.instant());
    SnapshotEvent b1 = event(W2, 1, clock.instant());
    append(store, a1, a2, b1);

    flaky.failTimes(1);
    while (d.pollOnce() > 0) {
      // drain what is deliverable now
    }
    assertEquals(List.of(b1), flaky.events(), "w1 waits for its failed head; w2 is not held back");
    assertEquals(List.of(a1, a2), steady.events().stream().filter(e -> e.workload().equals(W1)).toList(),
        "steady gets w1 in order");
    assertEquals(3, steady.events().size(), "steady gets every event once");

    clock.advance(Duration.ofSeconds(1));
    while (d.pollOnce() > 0) {
      // drain
    }
    assertEquals(List.of(b1, a1, a2), flaky.events());
  }

  @Test
  @DisplayName("after maxAttempts the event is parked with its failure, later events flow, and replay delivers it again")
  void parkAndReplay() {
    RecordingEventHook hook = new RecordingEventHook();
    OutboxDispatcher d = dispatcher(hooks("billing", hook), settings.withMaxAttempts(3));
    SnapshotEvent first = event(W1, 1, clock.instant());
    SnapshotEvent second = event(W1, 2, clock.instant());
    append(store, first, second);

    hook.failAlways(true);
    for (int i = 0; i < 3; i++) {
      assertEquals(1, d.pollOnce());
      clock.advance(Duration.ofMinutes(5));
    }
    hook.failAlways(false);

    List<ParkedEvent> parked = d.parked("billing");
    assertEquals(1, parked.size());
    ParkedEvent p = parked.get(0);
    assertEquals(first, p.event());
    assertEquals(3, p.attempts());
    assertTrue(p.lastError().contains("IllegalStateException"), p.lastError());
    assertTrue(p.lastError().contains("failAlways"), p.lastError());
    assertEquals(3, hook.attempts(), "no attempt after parking");

    assertEquals(1, d.pollOnce(), "the parked head no longer blocks its workload");
    assertEquals(List.of(second), hook.events());

    assertFalse(d.replay("billing", p.sequence() + 1000), "no such parked event");
    assertTrue(d.replay("billing", p.sequence()));
    assertEquals(1, d.pollOnce());
    assertEquals(List.of(second, first), hook.events());
    assertEquals(List.of(), d.parked("billing"));
  }

  @Test
  @DisplayName("backoff doubles per attempt and is capped at maxBackoff")
  void backoffDoublesAndCaps() {
    RecordingEventHook hook = new RecordingEventHook();
    OutboxDispatcher d = dispatcher(hooks("h", hook),
        settings.withBackoff(Duration.ofSeconds(10), Duration.ofSeconds(30)).withMaxAttempts(100));
    append(store, event(W1, 1, clock.instant()));
    hook.failAlways(true);
    assertEquals(1, d.pollOnce());
    List<Long> waits = new ArrayList<>();
    for (int attempt = 2; attempt <= 5; attempt++) {
      long waited = 0;
      while (d.pollOnce() == 0) {
        clock.advance(Duration.ofSeconds(1));
        waited++;
      }
      waits.add(waited);
    }
    assertEquals(List.of(10L, 20L, 30L, 30L), waits);
  }

  @Test
  @DisplayName("a new hook starts at NOW or at the BEGINNING of the retained outbox; BEGINNING is the default")
  void startPositions() {
    RecordingEventHook early = new RecordingEventHook();
    append(store, event(W1, 1, clock.instant()), event(W2, 1, clock.instant()));
    RecordingEventHook fromNow = new RecordingEventHook();
    RecordingEventHook fromStart = new RecordingEventHook();
    OutboxDispatcher d = dispatcher(hooks("early", early, "now", fromNow, "start", fromStart),
        settings.withStartPosition("now", StartPosition.NOW));
    SnapshotEvent later = event(W1, 2, clock.instant());
    append(store, later);

    while (d.pollOnce() > 0) {
      // drain
    }
    assertEquals(List.of(later), fromNow.events());
    assertEquals(3, fromStart.distinctEvents().size());
    assertEquals(3, early.distinctEvents().size());
  }

  @Test
  @DisplayName("a restarted dispatcher resumes from each hook's cursor: nothing acknowledged is delivered again")
  void restartResumesFromCursors() {
    RecordingEventHook first = new RecordingEventHook();
    OutboxDispatcher a = dispatcher(hooks("audit", first), settings);
    append(store, event(W1, 1, clock.instant()), event(W2, 1, clock.instant()));
    assertEquals(2, a.pollOnce());
    assertTrue(a.stop());
    assertThrows(IllegalStateException.class, a::pollOnce);

    SnapshotEvent later = event(W1, 2, clock.instant());
    append(store, later);
    RecordingEventHook second = new RecordingEventHook();
    OutboxDispatcher b = dispatcher(hooks("audit", second), settings.withOwnerId("engine-b"));
    while (b.pollOnce() > 0) {
      // drain
    }
    assertEquals(List.of(later), second.events());
  }

  @Test
  @DisplayName("prune removes events past retention only once every hook has passed them")
  void pruneWaitsForEveryHook() {
    RecordingEventHook fast = new RecordingEventHook();
    RecordingEventHook slow = new RecordingEventHook();
    OutboxDispatcher d = dispatcher(hooks("fast", fast, "slow", slow),
        settings.withRetention(Duration.ofDays(7), Duration.ofHours(1)));
    append(store, event(W1, 1, clock.instant()), event(W2, 1, clock.instant()));
    slow.failTimes(1);
    d.pollOnce();
    clock.advance(Duration.ofDays(6));
    assertEquals(0, d.prune(), "younger than the retention");

    clock.advance(Duration.ofDays(2));
    assertEquals(1, d.prune(), "w2's event is done for both hooks; w1's is still pending for 'slow'");
    assertEquals(1, store.retainedEventCount());

    d.pollOnce();
    assertEquals(1, d.prune());
    assertEquals(0, store.retainedEventCount());
    assertEquals(2, slow.distinctEvents().size());
  }

  @Test
  @DisplayName("a slow delivery on one workload does not hold back another workload")
  void workloadsAreDeliveredConcurrently() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      CountDownLatch w2Delivered = new CountDownLatch(1);
      List<String> seen = Collections.synchronizedList(new ArrayList<>());
      EventHook hook = e -> {
        if (e.workload().equals(W1)) {
          // Waits for w2's delivery, which can only happen if w2 is not queued behind w1.
          if (!w2Delivered.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("w2 was not delivered while w1 was in flight");
          }
          seen.add(e.id());
        } else {
          // Recorded before w1 is let go, so the recorded order is deterministic.
          seen.add(e.id());
          w2Delivered.countDown();
        }
      };
      OutboxDispatcher d = OutboxDispatcher.create(store.outbox(), hooks("h", hook), clock, scheduler, pool, settings);
      append(store, event(W1, 1, clock.instant()), event(W2, 1, clock.instant()));
      assertEquals(2, d.pollOnce());
      assertEquals(List.of("w2#1", "w1#1"), seen);
      assertTrue(d.stop());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @DisplayName("hook exceptions and errors never reach the caller of pollOnce")
  void hookFailuresAreContained() {
    EventHook throwsChecked = e -> {
      throw new java.io.IOException("remote down");
    };
    EventHook throwsError = e -> {
      throw new AssertionError("bug in hook");
    };
    RecordingEventHook healthy = new RecordingEventHook();
    OutboxDispatcher d = dispatcher(hooks("io", throwsChecked, "bug", throwsError, "ok", healthy), settings);
    append(store, event(W1, 1, clock.instant()));
    assertEquals(3, d.pollOnce());
    assertEquals(1, healthy.events().size());
    d.close();
  }

  @Test
  @DisplayName("create rejects bad wiring with every problem at once; admin calls on unknown hooks are NOT_FOUND")
  void validation() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> dispatcher(Map.of(), settings.withStartPosition("ghost", StartPosition.NOW)));
    assertTrue(e.getMessage().contains("at least one hook"), e.getMessage());
    assertTrue(e.getMessage().contains("'ghost'"), e.getMessage());

    OutboxDispatcher d = dispatcher(hooks("audit", new RecordingEventHook()), settings);
    assertEquals(List.of("audit"), d.hookNames());
    assertEquals(List.of("audit"), store.outbox().hooks(), "create registers the hooks");
    SnapshotException nf = assertThrows(SnapshotException.class, () -> d.parked("nope"));
    assertEquals(ErrorCode.NOT_FOUND, nf.code());
    assertEquals(ErrorCode.NOT_FOUND, assertThrows(SnapshotException.class, () -> d.replay("nope", 1)).code());
  }
}
