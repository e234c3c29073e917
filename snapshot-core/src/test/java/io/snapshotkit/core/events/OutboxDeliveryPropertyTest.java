package io.snapshotkit.core.events;

import static io.snapshotkit.core.events.EventFixtures.DIRECT;
import static io.snapshotkit.core.events.EventFixtures.append;
import static io.snapshotkit.core.events.EventFixtures.event;
import static io.snapshotkit.core.events.EventFixtures.workload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.core.DispatcherSettings;
import io.snapshotkit.core.OutboxDispatcher;
import io.snapshotkit.spi.EventHook;
import io.snapshotkit.spi.ParkedEvent;
import io.snapshotkit.testkit.InMemoryManifestStore;
import io.snapshotkit.testkit.MutableClock;
import io.snapshotkit.testkit.RecordingEventHook;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterProperty;

/**
 * Random interleavings of appends across workloads, polls, clock steps, hook failures and crashes
 * between delivery and acknowledgement (the dispatcher is abandoned and a new one, with a new
 * owner id, takes over on the same store).
 */
class OutboxDeliveryPropertyTest {
  private static final int HOOKS = 3;
  private static final int WORKLOADS = 3;
  private static final Duration LEASE = Duration.ofSeconds(10);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(4);

  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

  @AfterProperty
  void shutdown() {
    scheduler.shutdownNow();
  }

  /** One step of a script. */
  sealed interface Step permits Append, Poll, Advance, Fail, Crash {}

  record Append(int workload) implements Step {}

  record Poll() implements Step {}

  record Advance(int seconds) implements Step {}

  record Fail(int hook, int times) implements Step {}

  record Crash() implements Step {}

  @Provide
  Arbitrary<List<Step>> scripts() {
    Arbitrary<Step> append = Arbitraries.integers().between(0, WORKLOADS - 1).map(Append::new);
    Arbitrary<Step> poll = Arbitraries.just(new Poll());
    Arbitrary<Step> advance = Arbitraries.integers().between(0, 6).map(Advance::new);
    Arbitrary<Step> fail = Arbitraries.integers().between(0, HOOKS - 1)
        .flatMap(h -> Arbitraries.integers().between(1, 6).map(n -> new Fail(h, n)));
    Arbitrary<Step> crash = Arbitraries.just(new Crash());
    return Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(5, append),
            net.jqwik.api.Tuple.of(4, poll),
            net.jqwik.api.Tuple.of(2, advance),
            net.jqwik.api.Tuple.of(2, fail),
            net.jqwik.api.Tuple.of(1, crash))
        .list().ofMinSize(1).ofMaxSize(40);
  }

  @Property(tries = 150)
  @Label("per hook and workload, deliveries follow append order; every event ends up delivered or parked")
  void orderedAndNothingLost(@ForAll("scripts") List<Step> script) {
    InMemoryManifestStore store = new InMemoryManifestStore();
    ForwardingOutbox outbox = new ForwardingOutbox(store.outbox());
    MutableClock clock = MutableClock.epoch();
    DispatcherSettings settings = DispatcherSettings.defaults()
        .withoutJitter()
        .withMaxAttempts(4)
        .withBackoff(Duration.ofSeconds(1), MAX_BACKOFF)
        .withClaimLease(LEASE)
        .withBatchSize(2);

    List<RecordingEventHook> recorders = new ArrayList<>();
    List<List<String>> attemptLogs = new ArrayList<>();
    Map<String, EventHook> hooks = new LinkedHashMap<>();
    for (int h = 0; h < HOOKS; h++) {
      RecordingEventHook recorder = new RecordingEventHook();
      List<String> attempts = new ArrayList<>();
      recorders.add(recorder);
      attemptLogs.add(attempts);
      hooks.put("hook-" + h, e -> {
        attempts.add(e.id());
        recorder.onEvent(e);
      });
    }

    int owners = 0;
    OutboxDispatcher dispatcher =
        OutboxDispatcher.create(outbox, hooks, clock, scheduler, DIRECT, settings.withOwnerId("owner-" + owners));
    Map<String, List<String>> appendedByWorkload = new HashMap<>();
    Map<String, String> workloadOf = new HashMap<>();
    int appended = 0;

    for (Step step : script) {
      if (step instanceof Append a) {
        SnapshotEvent e = event(workload("w" + a.workload()), ++appended, clock.instant());
        append(store, e);
        appendedByWorkload.computeIfAbsent(e.workload().id(), k -> new ArrayList<>()).add(e.id());
        workloadOf.put(e.id(), e.workload().id());
      } else if (step instanceof Poll) {
        dispatcher.pollOnce();
      } else if (step instanceof Advance adv) {
        clock.advance(Duration.ofSeconds(adv.seconds()));
      } else if (step instanceof Fail f) {
        recorders.get(f.hook()).failTimes(f.times());
      } else if (step instanceof Crash) {
        outbox.loseAcks(1);
        dispatcher.pollOnce();
        outbox.loseAcks(0);
        owners++;
        dispatcher = OutboxDispatcher.create(outbox, hooks, clock, scheduler, DIRECT,
            settings.withOwnerId("owner-" + owners));
      }
    }

    // Drain: let every backoff and abandoned lease expire until nothing is claimable.
    int idle = 0;
    for (int round = 0; round < 500 && idle < 2; round++) {
      clock.advance(LEASE.plus(MAX_BACKOFF).plusSeconds(1));
      idle = dispatcher.pollOnce() == 0 ? idle + 1 : 0;
    }

    for (int h = 0; h < HOOKS; h++) {
      String name = "hook-" + h;
      List<String> attempts = attemptLogs.get(h);
      // Order: within a workload, once an event was attempted, no earlier event is attempted again.
      Map<String, Integer> lastIndex = new HashMap<>();
      for (String id : attempts) {
        String w = workloadOf.get(id);
        int index = appendedByWorkload.get(w).indexOf(id);
        Integer last = lastIndex.get(w);
        assertTrue(last == null || index >= last,
            name + " got " + id + " after a later event of " + w + "; attempts: " + attempts);
        lastIndex.put(w, index);
      }
      // First deliveries per workload are exactly the append order.
      Map<String, List<String>> firstByWorkload = attempts.stream().distinct()
          .collect(Collectors.groupingBy(workloadOf::get, Collectors.toList()));
      for (Map.Entry<String, List<String>> w : appendedByWorkload.entrySet()) {
        assertEquals(w.getValue(), firstByWorkload.getOrDefault(w.getKey(), List.of()), name + " / " + w.getKey());
      }
      // Completeness: every event was delivered successfully or parked. (Both is legitimate: a
      // delivery whose acknowledgement was lost is redelivered, and that redelivery may fail.)
      Set<String> delivered = new HashSet<>();
      recorders.get(h).distinctEvents().forEach(e -> delivered.add(e.id()));
      Set<String> parked = new HashSet<>();
      for (ParkedEvent p : dispatcher.parked(name)) {
        parked.add(p.event().id());
        assertEquals(settings.maxAttempts(), p.attempts());
      }
      Set<String> all = new HashSet<>(workloadOf.keySet());
      Set<String> union = new HashSet<>(delivered);
      union.addAll(parked);
      assertEquals(all, union, name + ": lost events");
    }
  }
}
