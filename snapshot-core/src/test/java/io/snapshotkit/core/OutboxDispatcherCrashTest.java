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

import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.events.ForwardingOutbox;
import io.snapshotkit.spi.EventHook;
import io.snapshotkit.testkit.InMemoryManifestStore;
import io.snapshotkit.testkit.MutableClock;
import io.snapshotkit.testkit.RecordingEventHook;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Crashes and stops between delivery and acknowledgement: nothing is lost, nothing is acknowledged
 * without having been delivered.
 */
class OutboxDispatcherCrashTest {
  private static final WorkloadRef W1 = workload("w1");
  private static final Duration LEASE = Duration.ofMinutes(1);
  private static final Duration WAIT = Duration.ofSeconds(30);

  private final InMemoryManifestStore store = new InMemoryManifestStore();
  private final MutableClock clock = MutableClock.epoch();
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final DispatcherSettings settings =
      DispatcherSettings.defaults().withOwnerId("engine-a").withoutJitter().withClaimLease(LEASE);

  @AfterEach
  void tearDown() {
    scheduler.shutdownNow();
    threads.shutdownNow();
  }

  /** A hook that records each event, signals, then blocks until released. */
  private static final class BlockingHook implements EventHook {
    final List<SnapshotEvent> received = Collections.synchronizedList(new ArrayList<>());
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    @Override
    public void onEvent(SnapshotEvent event) throws InterruptedException {
      received.add(event);
      entered.countDown();
      if (!release.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("test never released the hook");
      }
    }
  }

  @Test
  @DisplayName("a crash between delivery and acknowledgement: another dispatcher delivers again after the lease")
  void lostAcknowledgementIsRedelivered() {
    ForwardingOutbox outbox = new ForwardingOutbox(store.outbox());
    RecordingEventHook hookOnA = new RecordingEventHook();
    OutboxDispatcher a = OutboxDispatcher.create(outbox, hooks("billing", hookOnA), clock, scheduler, DIRECT, settings);
    SnapshotEvent e = event(W1, 1, clock.instant());
    SnapshotEvent next = event(W1, 2, clock.instant());
    append(store, e, next);

    outbox.loseAcks(1);
    assertEquals(2, a.pollOnce(), "both delivered in one run, but their batched acknowledgement never reached the store");
    assertEquals(List.of(e, next), hookOnA.events());
    // Dispatcher A is abandoned here, as if its process had died.

    RecordingEventHook hookOnB = new RecordingEventHook();
    OutboxDispatcher b = OutboxDispatcher.create(store.outbox(), hooks("billing", hookOnB), clock, scheduler, DIRECT,
        settings.withOwnerId("engine-b"));
    assertEquals(0, b.pollOnce(), "A's claim still holds the workload: no concurrent double delivery");
    clock.advance(LEASE.plusSeconds(1));
    while (b.pollOnce() > 0) {
      // drain
    }
    assertEquals(List.of(e, next), hookOnB.events(), "redelivered, then the next event in order");
    clock.advance(LEASE.multipliedBy(3));
    assertEquals(0, b.pollOnce());
  }

  @Test
  @DisplayName("claim failures are logged and retried on the next poll, never thrown")
  void storeOutageIsRetried() {
    ForwardingOutbox outbox = new ForwardingOutbox(store.outbox());
    RecordingEventHook hook = new RecordingEventHook();
    OutboxDispatcher d = OutboxDispatcher.create(outbox, hooks("audit", hook), clock, scheduler, DIRECT, settings);
    append(store, event(W1, 1, clock.instant()));
    outbox.failClaims(1);
    assertEquals(0, d.pollOnce());
    assertEquals(1, d.pollOnce());
    assertEquals(1, hook.events().size());
  }

  @Test
  @DisplayName("stop() waits for the in-flight delivery, which is then acknowledged exactly once")
  void stopWaitsForInFlightDelivery() throws Exception {
    BlockingHook hook = new BlockingHook();
    ExecutorService deliveries = Executors.newSingleThreadExecutor();
    try {
      OutboxDispatcher a = OutboxDispatcher.create(store.outbox(), hooks("billing", hook), clock, scheduler,
          deliveries, settings.withStopTimeout(WAIT));
      append(store, event(W1, 1, clock.instant()));
      CompletableFuture<Integer> poll = CompletableFuture.supplyAsync(a::pollOnce, threads);
      assertTrue(hook.entered.await(30, TimeUnit.SECONDS));

      // Release the hook only once stop() has begun: pollOnce() refuses to run after that.
      CompletableFuture<Void> releaser = CompletableFuture.runAsync(() -> {
        while (true) {
          try {
            a.pollOnce();
            Thread.onSpinWait();
          } catch (IllegalStateException stopped) {
            hook.release.countDown();
            return;
          }
        }
      }, threads);

      assertTrue(a.stop(), "stop() returned only after the in-flight delivery finished");
      releaser.get(30, TimeUnit.SECONDS);
      assertEquals(1, poll.get(30, TimeUnit.SECONDS));

      RecordingEventHook hookOnB = new RecordingEventHook();
      OutboxDispatcher b = OutboxDispatcher.create(store.outbox(), hooks("billing", hookOnB), clock, scheduler,
          DIRECT, settings.withOwnerId("engine-b"));
      clock.advance(LEASE.multipliedBy(2));
      assertEquals(0, b.pollOnce(), "acknowledged before stop() returned: not delivered again");
      assertEquals(1, hook.received.size());
    } finally {
      deliveries.shutdownNow();
    }
  }

  @Test
  @DisplayName("a delivery still running when stop() gives up stays claimable and is delivered again after the lease")
  void stopTimeoutLeavesEventClaimable() throws Exception {
    BlockingHook hook = new BlockingHook();
    ExecutorService deliveries = Executors.newSingleThreadExecutor();
    try {
      OutboxDispatcher a = OutboxDispatcher.create(store.outbox(), hooks("billing", hook), clock, scheduler,
          deliveries, settings.withStopTimeout(Duration.ofMillis(50)));
      SnapshotEvent e = event(W1, 1, clock.instant());
      append(store, e);
      CompletableFuture<Integer> poll = CompletableFuture.supplyAsync(a::pollOnce, threads);
      assertTrue(hook.entered.await(30, TimeUnit.SECONDS));

      assertFalse(a.stop(), "the hook is still blocked");

      RecordingEventHook hookOnB = new RecordingEventHook();
      OutboxDispatcher b = OutboxDispatcher.create(store.outbox(), hooks("billing", hookOnB), clock, scheduler,
          DIRECT, settings.withOwnerId("engine-b"));
      assertEquals(0, b.pollOnce(), "not acknowledged, but still claimed by A");
      clock.advance(LEASE.plusSeconds(1));
      assertEquals(1, b.pollOnce());
      assertEquals(List.of(e), hookOnB.events(), "nothing lost: delivered again");

      hook.release.countDown();
      assertEquals(1, poll.get(30, TimeUnit.SECONDS));
      assertEquals(List.of(e), hook.received);
      clock.advance(LEASE.multipliedBy(2));
      assertEquals(0, b.pollOnce(), "acknowledging twice is harmless");
    } finally {
      deliveries.shutdownNow();
    }
  }

  @Test
  @DisplayName("start() polls on the scheduler until stop(); it cannot be started twice or after stop")
  void startPollsInBackground() {
    RecordingEventHook hook = new RecordingEventHook();
    OutboxDispatcher d = OutboxDispatcher.create(store.outbox(), hooks("audit", hook), clock, scheduler, threads,
        settings.withPollInterval(Duration.ofMillis(5)));
    d.start();
    assertThrows(IllegalStateException.class, d::start);
    append(store, event(W1, 1, clock.instant()), event(W1, 2, clock.instant()), event(workload("w2"), 1,
        clock.instant()));
    assertTrue(hook.awaitCount(3, WAIT));
    assertTrue(d.stop());
    assertThrows(IllegalStateException.class, d::start);
    assertEquals(3, hook.distinctEvents().size());
    List<String> w1Order = hook.events().stream().filter(x -> x.workload().equals(W1)).map(SnapshotEvent::id).toList();
    assertEquals(List.of("w1#1", "w1#2"), w1Order);
  }
}
