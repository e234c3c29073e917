package io.snapshotkit.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.EventType;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.Delivery;
import io.snapshotkit.spi.EventOutbox;
import io.snapshotkit.spi.StartPosition;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The outbox's ordering guarantees under random interleavings of appends, claims by two owners,
 * acknowledgements, retries, parks, silent crashes and time passing, checked against a model.
 */
class InMemoryOutboxPropertyTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final List<WorkloadRef> WORKLOADS =
      List.of(WorkloadRef.of("acme", "w0"), WorkloadRef.of("acme", "w1"), WorkloadRef.of("globex", "w0"));

  private record Held(String owner, long sequence, Instant expires) {}

  @Property(tries = 300)
  @Label("per workload, claims follow append order; no two owners hold one workload; everything is delivered")
  void outboxKeepsOrder(@ForAll @Size(max = 80) List<@IntRange(min = 0, max = 999) Integer> script) {
    InMemoryManifestStore store = new InMemoryManifestStore();
    EventOutbox outbox = store.outbox();
    outbox.register("hook", StartPosition.BEGINNING);
    Map<WorkloadRef, Deque<Long>> undone = new HashMap<>();
    Map<WorkloadRef, List<String>> appended = new HashMap<>();
    Map<WorkloadRef, Set<String>> firstDeliveries = new HashMap<>();
    Map<WorkloadRef, Held> held = new HashMap<>();
    Map<Long, Integer> attempts = new HashMap<>();
    Instant now = T0;
    int counter = 0;
    long lastSequence = 0;

    for (int step : script) {
      int arg = step / 5;
      switch (step % 5) {
        case 0 -> {
          WorkloadRef w = WORKLOADS.get(arg % WORKLOADS.size());
          String id = "e" + (++counter);
          store.inTransaction(tx -> {
            tx.append(new SnapshotEvent(id, EventType.CREATED, w, Optional.empty(), 0, T0, Map.of()));
            return null;
          });
          lastSequence++;
          undone.computeIfAbsent(w, k -> new ArrayDeque<>()).add(lastSequence);
          appended.computeIfAbsent(w, k -> new ArrayList<>()).add(id);
        }
        case 1, 2 -> {
          String owner = "owner" + (arg % 2);
          for (Delivery d : outbox.claim("hook", owner, 1 + arg % 3, now, LEASE)) {
            WorkloadRef w = d.event().workload();
            assertEquals(undone.get(w).peekFirst(), d.sequence(), "the workload's first undone event");
            Held h = held.get(w);
            assertTrue(h == null || h.owner().equals(owner) || !h.expires().isAfter(now),
                "another owner holds " + w + " until " + (h == null ? null : h.expires()));
            assertEquals(attempts.getOrDefault(d.sequence(), 0), d.attempts());
            held.put(w, new Held(owner, d.sequence(), now.plus(LEASE)));
            firstDeliveries.computeIfAbsent(w, k -> new LinkedHashSet<>()).add(d.event().id());
            switch ((arg + (int) d.sequence()) % 4) {
              case 0 -> {
                outbox.acknowledge("hook", d.sequence());
                undone.get(w).removeFirst();
                held.remove(w);
              }
              case 1 -> {
                int next = d.attempts() + 1;
                outbox.retryLater("hook", d.sequence(), next, now.plusSeconds(5), "failed");
                attempts.put(d.sequence(), next);
                held.remove(w);
              }
              case 2 -> {
                outbox.park("hook", d.sequence(), d.attempts() + 1, "gave up", now);
                undone.get(w).removeFirst();
                held.remove(w);
              }
              default -> {
                // the dispatcher crashed: no answer, the claim expires
              }
            }
          }
        }
        case 3 -> now = now.plusSeconds(1 + arg % 40);
        default -> {
          // nothing happens
        }
      }
    }

    for (int round = 0; round < 1000 && undone.values().stream().anyMatch(q -> !q.isEmpty()); round++) {
      now = now.plusSeconds(60);
      for (Delivery d : outbox.claim("hook", "drainer", 100, now, LEASE)) {
        WorkloadRef w = d.event().workload();
        assertEquals(undone.get(w).removeFirst(), d.sequence());
        firstDeliveries.computeIfAbsent(w, k -> new LinkedHashSet<>()).add(d.event().id());
        outbox.acknowledge("hook", d.sequence());
      }
    }
    assertTrue(undone.values().stream().allMatch(Deque::isEmpty), "everything was delivered or parked");
    appended.forEach((w, ids) -> assertEquals(ids, List.copyOf(firstDeliveries.get(w)),
        "first deliveries of " + w + " follow append order"));
    assertEquals(List.of(), outbox.claim("hook", "drainer", 100, now.plusSeconds(60), LEASE));
  }
}
