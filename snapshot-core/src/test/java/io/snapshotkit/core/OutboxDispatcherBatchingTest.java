package io.snapshotkit.core;

import static io.snapshotkit.core.events.EventFixtures.DIRECT;
import static io.snapshotkit.core.events.EventFixtures.append;
import static io.snapshotkit.core.events.EventFixtures.event;
import static io.snapshotkit.core.events.EventFixtures.hooks;
import static io.snapshotkit.core.events.EventFixtures.workload;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A backlog is drained in few store round trips: many events per claim (a run of each workload,
 * in order), one acknowledgement per run, and a full claim is followed by another poll at once.
 */
class OutboxDispatcherBatchingTest {
  private static final int WORKLOADS = 8;
  private static final int PER_WORKLOAD = 25;
  private static final int BATCH = 100;

  private final InMemoryManifestStore store = new InMemoryManifestStore();
  private final MutableClock clock = MutableClock.epoch();
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final DispatcherSettings settings =
      DispatcherSettings.defaults().withOwnerId("engine-a").withoutJitter().withBatchSize(BATCH);

  @AfterEach
  void tearDown() {
    scheduler.shutdownNow();
  }

  /** {@code perWorkload} events for each of {@code workloads} workloads, interleaved as busy workloads append them. */
  private void appendBacklog(int workloads, int perWorkload) {
    for (int n = 1; n <= perWorkload; n++) {
      for (int w = 0; w < workloads; w++) {
        append(store, event(workload("w" + w), n, clock.instant()));
      }
    }
  }

  private static void assertInOrderOnce(RecordingEventHook hook, int workloads, int perWorkload) {
    assertEquals(workloads * perWorkload, hook.events().size(), "every event delivered exactly once");
    for (int w = 0; w < workloads; w++) {
      WorkloadRef ref = workload("w" + w);
      List<Integer> versions = new ArrayList<>();
      for (SnapshotEvent e : hook.events()) {
        if (e.workload().equals(ref)) {
          versions.add(e.version());
        }
      }
      List<Integer> expected = new ArrayList<>();
      for (int n = 1; n <= perWorkload; n++) {
        expected.add(n);
      }
      assertEquals(expected, versions, "workload " + ref + " in append order");
    }
  }

  @Test
  @DisplayName("a backlog of N events over W workloads takes ceil(N / batch) claims and one acknowledgement per run")
  void backlogTakesFewRoundTrips() {
    ForwardingOutbox outbox = new ForwardingOutbox(store.outbox());
    RecordingEventHook hook = new RecordingEventHook();
    OutboxDispatcher d = OutboxDispatcher.create(outbox, hooks("billing", hook), clock, scheduler, DIRECT, settings);
    appendBacklog(WORKLOADS, PER_WORKLOAD);
    int events = WORKLOADS * PER_WORKLOAD;

    int delivered = 0;
    int polls = 0;
    int n;
    while ((n = d.pollOnce()) > 0) {
      delivered += n;
      polls++;
    }

    assertEquals(events, delivered);
    int batches = (events + BATCH - 1) / BATCH;
    assertEquals(batches, polls, "each poll delivers a full batch; one event per workload would take "
        + PER_WORKLOAD + " polls");
    assertEquals(batches + 1, outbox.claimCalls(), "one claim per full batch, plus the one that found nothing");
    assertTrue(outbox.acknowledgeCalls() <= events / (BATCH / 4),
        "one acknowledgement per workload run, not per event: " + outbox.acknowledgeCalls());
    assertInOrderOnce(hook, WORKLOADS, PER_WORKLOAD);
  }

  /** Appends events 1, 2 and 3 of one workload, now. */
  private List<SnapshotEvent> appendThree(WorkloadRef w) {
    List<SnapshotEvent> three = List.of(event(w, 1, clock.instant()), event(w, 2, clock.instant()),
        event(w, 3, clock.instant()));
    append(store, three.toArray(SnapshotEvent[]::new));
    return three;
  }

  @Test
  @DisplayName("a failure inside a run: earlier events acknowledged, later ones wait behind the failed one, order kept")
  void failureInsideRunStopsIt() {
    List<SnapshotEvent> three = appendThree(workload("w0"));
    SnapshotEvent e1 = three.get(0);
    SnapshotEvent e2 = three.get(1);
    SnapshotEvent e3 = three.get(2);
    List<SnapshotEvent> calls = new ArrayList<>();
    EventHook failsE2Once = e -> {
      calls.add(e);
      if (e.equals(e2) && calls.stream().filter(e2::equals).count() == 1) {
        throw new IllegalStateException("first delivery of e2 fails");
      }
    };
    OutboxDispatcher d = OutboxDispatcher.create(store.outbox(), hooks("billing", failsE2Once), clock, scheduler,
        DIRECT, settings.withBackoff(Duration.ofSeconds(1), Duration.ofSeconds(1)));

    assertEquals(2, d.pollOnce(), "e1 delivered, e2 failed, e3 not tried behind it");
    assertEquals(0, d.pollOnce(), "e2 waits for its retry time and e3 waits with it");
    clock.advance(Duration.ofSeconds(1));
    assertEquals(2, d.pollOnce());
    assertEquals(List.of(e1, e2, e2, e3), calls);
    assertEquals(0, d.pollOnce(), "e1 was acknowledged with its run: not delivered again");
  }

  @Test
  @DisplayName("a run of slow hook calls stops once half the lease has passed, so it never outlives its claim")
  void slowRunStopsBeforeItsLeaseEnds() {
    List<SnapshotEvent> three = appendThree(workload("w0"));
    SnapshotEvent e1 = three.get(0);
    SnapshotEvent e2 = three.get(1);
    SnapshotEvent e3 = three.get(2);
    List<SnapshotEvent> calls = new ArrayList<>();
    EventHook slow = e -> {
      calls.add(e);
      clock.advance(Duration.ofSeconds(6)); // each call takes 6 s of a 10 s lease
    };
    OutboxDispatcher d = OutboxDispatcher.create(store.outbox(), hooks("billing", slow), clock, scheduler, DIRECT,
        settings.withClaimLease(Duration.ofSeconds(10)));

    assertEquals(1, d.pollOnce(), "a second call would end after the lease: the run stops after e1");
    assertEquals(1, d.pollOnce());
    assertEquals(1, d.pollOnce());
    assertEquals(0, d.pollOnce());
    assertEquals(List.of(e1, e2, e3), calls, "each event once, in order");
  }

  @Test
  @DisplayName("started: a full claim is followed by another poll at once, not after the poll interval")
  void fullClaimRepollsAtOnce() {
    int workloads = 2;
    int perWorkload = 20;
    RecordingEventHook hook = new RecordingEventHook();
    appendBacklog(workloads, perWorkload);
    ExecutorService delivery = Executors.newFixedThreadPool(2);
    // A poll interval of an hour: only the first poll is scheduled within the test, so the backlog
    // (ten batches of four) is drained only if each full poll is followed by another at once.
    OutboxDispatcher d = OutboxDispatcher.create(store.outbox(), hooks("billing", hook), clock, scheduler, delivery,
        settings.withBatchSize(4).withPollInterval(Duration.ofHours(1)));
    try {
      d.start();
      assertTrue(hook.awaitCount(workloads * perWorkload, Duration.ofSeconds(30)),
          "backlog not drained by immediate re-polls; delivered " + hook.events().size());
    } finally {
      d.stop();
      delivery.shutdownNow();
    }
    assertInOrderOnce(hook, workloads, perWorkload);
  }
}
