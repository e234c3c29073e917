package io.snapshotkit.core;

import static io.snapshotkit.core.Fixture.ACME;
import static io.snapshotkit.core.Fixture.GLOBEX;
import static io.snapshotkit.core.Fixture.W;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.EventType;
import io.snapshotkit.Plan;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.EventHook;
import io.snapshotkit.spi.HostStatus;
import io.snapshotkit.spi.ParkedEvent;
import io.snapshotkit.spi.StartPosition;
import io.snapshotkit.testkit.Fault;
import io.snapshotkit.testkit.FaultyHostAgent.Op;
import io.snapshotkit.testkit.RecordingEventHook;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Events end to end through the engine: the outbox appended in each state change's transaction,
 * delivered by the dispatcher the engine owns, with parking, replay and restart.
 */
@DisplayName("Engine events")
class EngineEventsTest {
  private static final WorkloadRef G = WorkloadRef.of(GLOBEX, "ws-g");

  @Test
  @DisplayName("every state change delivers its event with stable id, type, tenant, workload, snapshot, version, time and metadata")
  void everyStateChangeIsDelivered() throws Exception {
    RecordingEventHook hook = new RecordingEventHook();
    try (Fixture f = Fixture.create(o -> {
      o.hosts = 2;
      o.hooks.put("audit", hook);
      o.plans = t -> t.equals(GLOBEX) ? Plan.of(1, Duration.ofDays(1)) : Plan.UNLIMITED;
    })) {
      f.directory.place(G, "h2");
      f.seed(G, "h2");

      Snapshot v1 = f.capture();                                           // CAPTURE_STARTED, CREATED
      f.clock.advance(Duration.ofMinutes(1));
      f.h1().failNext(Op.CAPTURE, Fault.error("disk full"));
      assertThrows(SnapshotException.class, f::capture);                   // CAPTURE_STARTED, FAILED
      f.engine.restore(ACME, v1.id(), RestoreSpec.additive());             // RESTORED
      Snapshot v2 = f.capture();                                           // CAPTURE_STARTED, CREATED
      f.engine.rollback(W, 1, false);                                      // ROLLED_BACK
      f.directory.setStatus("h2", HostStatus.OFFLINE);
      assertThrows(SnapshotException.class, () -> f.engine.delete(ACME, v2.id()));  // DELETE_FAILED
      f.directory.setStatus("h2", HostStatus.ONLINE);
      f.engine.delete(ACME, v2.id());                                      // DELETED
      Snapshot forked = f.engine.fork(ACME, v1.id(), WorkloadRef.of(ACME, "ws-fork"),
          ForkOptions.defaults());                                         // CAPTURE_STARTED, CREATED, FORKED
      Snapshot g1 = f.engine.capture(CaptureSpec.of(G));                   // CAPTURE_STARTED, CREATED
      assertThrows(SnapshotException.class, () -> f.engine.capture(CaptureSpec.of(G)));  // QUOTA_REJECTED
      f.clock.advance(Duration.ofDays(2));
      assertEquals(List.of(g1.id()), f.engine.sweepExpired().deleted());   // EXPIRED

      assertTrue(f.drainEvents() > 0);

      List<SnapshotEvent> stored = f.store.events();
      assertEquals(EnumSet.allOf(EventType.class), EnumSet.copyOf(stored.stream().map(SnapshotEvent::type).toList()),
          "the scenario covers every event type");
      assertEquals(stored.size(), hook.events().size(), "each event is delivered exactly once to a healthy hook");
      assertEquals(Set.copyOf(stored), Set.copyOf(hook.events()), "the delivered events are the stored ones, field by field");
      assertEquals(stored.size(), stored.stream().map(SnapshotEvent::id).distinct().count(), "ids are unique");
      for (WorkloadRef w : List.of(W, G)) {
        assertEquals(stored.stream().filter(e -> e.workload().equals(w)).toList(),
            hook.events().stream().filter(e -> e.workload().equals(w)).toList(), "in append order per workload " + w);
      }

      SnapshotEvent created = only(hook, EventType.CREATED, v1.id().toString());
      assertEquals(ACME, created.tenant());
      assertEquals(W, created.workload());
      assertEquals(1, created.version());
      assertEquals(v1.createdAt(), created.at());
      assertEquals("manual", created.metadata().get("trigger"));
      assertEquals("false", created.metadata().get("partial"));

      SnapshotEvent failed = hook.events().stream().filter(e -> e.type() == EventType.FAILED).findFirst().orElseThrow();
      assertEquals(0, failed.version(), "a FAILED snapshot never got a version");
      assertTrue(failed.metadata().get("reason").contains("capture on host h1"), failed.metadata().toString());

      SnapshotEvent rolledBack = hook.events().stream().filter(e -> e.type() == EventType.ROLLED_BACK).findFirst()
          .orElseThrow();
      assertEquals(Optional.of(v1.id()), rolledBack.snapshotId());
      assertEquals(1, rolledBack.version());

      SnapshotEvent deleteFailed = only(hook, EventType.DELETE_FAILED, v2.id().toString());
      assertTrue(deleteFailed.metadata().values().stream().anyMatch(v -> v.contains("h2")),
          "the failed host is named: " + deleteFailed.metadata());
      assertEquals(2, only(hook, EventType.DELETED, v2.id().toString()).version());

      SnapshotEvent rejected = hook.events().stream().filter(e -> e.type() == EventType.QUOTA_REJECTED).findFirst()
          .orElseThrow();
      assertEquals(GLOBEX, rejected.tenant());
      assertEquals(Optional.empty(), rejected.snapshotId());
      assertEquals("1", rejected.metadata().get("used"));
      assertEquals("1", rejected.metadata().get("max"));

      SnapshotEvent fork = only(hook, EventType.FORKED, forked.id().toString());
      assertEquals(1, fork.version());
      assertEquals(Map.of("sourceSnapshot", v1.id().value(), "sourceWorkload", W.id()), fork.metadata());

      SnapshotEvent expired = only(hook, EventType.EXPIRED, g1.id().toString());
      assertEquals(G, expired.workload());
      assertEquals(f.clock.instant(), expired.at());

      assertEquals(0, f.engine.pollEvents(), "nothing is delivered twice");
    }
  }

  @Test
  @DisplayName("an event whose store transaction fails is never delivered: the change and its event commit together")
  void failedTransactionDeliversNothing() throws Exception {
    RecordingEventHook hook = new RecordingEventHook();
    try (Fixture f = Fixture.create(o -> o.hooks.put("audit", hook))) {
      // The transaction that would mark the snapshot READY (and append snapshot.created) fails at commit.
      CountDownLatch arrived = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      f.h1().gate(Op.CAPTURE, arrived, release);
      PendingCapture pending = f.engine.startCapture(CaptureSpec.of(W));
      assertTrue(arrived.await(10, TimeUnit.SECONDS));
      f.store.failNextTransaction(new IllegalStateException("database connection lost at commit"));
      release.countDown();
      assertThrows(Exception.class, () -> pending.result().get(10, TimeUnit.SECONDS));

      f.drainEvents();
      assertEquals(List.of(EventType.CAPTURE_STARTED, EventType.FAILED), hook.types(),
          "the rolled-back READY transition was never announced; the FAILED one that did commit was");
      assertEquals(SnapshotStatus.FAILED, f.row(pending.snapshot().id()).status());

      // A capture whose first transaction fails leaves neither a row nor an event.
      f.store.failNextTransaction(new IllegalStateException("database connection lost at commit"));
      assertThrows(SnapshotException.class, f::capture);
      assertEquals(1, f.store.snapshotCount());
      assertEquals(0, f.engine.pollEvents());
      assertEquals(2, hook.events().size());
    }
  }

  @Test
  @DisplayName("a failing hook holds back neither another hook nor the operation; its events wait for it alone")
  void failingHookDoesNotHoldBackOthers() throws Exception {
    RecordingEventHook billing = new RecordingEventHook();
    RecordingEventHook audit = new RecordingEventHook();
    billing.failAlways(true);
    try (Fixture f = Fixture.create(o -> {
      o.hooks.put("billing", billing);
      o.hooks.put("audit", audit);
    })) {
      Snapshot s = f.capture();
      assertEquals(SnapshotStatus.READY, s.status(), "the caller never sees the hook's failure");
      f.drainEvents();
      assertEquals(List.of(EventType.CAPTURE_STARTED, EventType.CREATED), audit.types());
      assertEquals(List.of(), billing.events());
      assertEquals(1, billing.attempts(), "billing's first event is backing off; its second waits behind it");

      billing.failAlways(false);
      f.clock.advance(Duration.ofSeconds(1));
      f.drainEvents();
      assertEquals(List.of(EventType.CAPTURE_STARTED, EventType.CREATED), billing.types());
      assertEquals(2, audit.events().size(), "audit got nothing twice");
    }
  }

  @Test
  @DisplayName("a hook that fails twice receives the event three times; the other hook once; the caller sees nothing")
  void failsTwiceDeliveredThrice() throws Exception {
    RecordingEventHook flaky = new RecordingEventHook();
    RecordingEventHook steady = new RecordingEventHook();
    flaky.failTimes(2);
    try (Fixture f = Fixture.create(o -> {
      o.hooks.put("flaky", flaky);
      o.hooks.put("steady", steady);
      o.dispatch = DispatcherSettings.defaults().withoutJitter().withBackoff(Duration.ofSeconds(1), Duration.ofSeconds(8));
    })) {
      f.capture();
      f.drainEvents();
      f.clock.advance(Duration.ofSeconds(1));
      f.drainEvents();
      f.clock.advance(Duration.ofSeconds(2));
      f.drainEvents();
      assertEquals(4, flaky.attempts(), "started: failed, failed, delivered; then created");
      assertEquals(List.of(EventType.CAPTURE_STARTED, EventType.CREATED), flaky.types());
      assertEquals(2, steady.attempts());
    }
  }

  @Test
  @DisplayName("after maxAttempts an event is parked and listed by the engine; replayEvent delivers it again")
  void parkAndReplayThroughTheEngine() throws Exception {
    RecordingEventHook billing = new RecordingEventHook();
    try (Fixture f = Fixture.create(o -> {
      o.hooks.put("billing", billing);
      o.dispatch = DispatcherSettings.defaults().withoutJitter().withMaxAttempts(2)
          .withBackoff(Duration.ofSeconds(1), Duration.ofSeconds(1));
    })) {
      billing.failTimes(2);
      Snapshot s = f.capture();
      f.drainEvents();
      f.clock.advance(Duration.ofSeconds(1));
      f.drainEvents();

      List<ParkedEvent> parked = f.engine.parkedEvents("billing");
      assertEquals(1, parked.size());
      ParkedEvent p = parked.get(0);
      assertEquals(EventType.CAPTURE_STARTED, p.event().type());
      assertEquals(Optional.of(s.id()), p.event().snapshotId());
      assertEquals(2, p.attempts());
      assertTrue(p.lastError().contains("failTimes"), p.lastError());
      assertEquals(List.of(EventType.CREATED), billing.types(), "the next event of the workload flowed on");

      assertTrue(f.engine.replayEvent("billing", p.sequence()));
      assertFalse(f.engine.replayEvent("billing", p.sequence()), "it is no longer parked");
      f.drainEvents();
      assertEquals(List.of(EventType.CREATED, EventType.CAPTURE_STARTED), billing.types());
      assertEquals(p.event(), billing.events().get(1), "the same event, with the same id, is delivered");
      assertEquals(List.of(), f.engine.parkedEvents("billing"));

      SnapshotException unknown = assertThrows(SnapshotException.class, () -> f.engine.parkedEvents("nope"));
      assertEquals(ErrorCode.NOT_FOUND, unknown.code());
      assertEquals(ErrorCode.NOT_FOUND,
          assertThrows(SnapshotException.class, () -> f.engine.replayEvent("nope", 1)).code());
    }
  }

  @Test
  @DisplayName("a new engine on the same store resumes from the hooks' cursors: acknowledged events are not delivered again")
  void restartResumesFromCursors() throws Exception {
    RecordingEventHook first = new RecordingEventHook();
    try (Fixture f = Fixture.create(o -> o.hooks.put("audit", first))) {
      Snapshot s1 = f.capture();
      f.drainEvents();
      f.engine.close();

      RecordingEventHook second = new RecordingEventHook();
      try (SnapshotEngine restarted = restart(f, "audit", second)) {
        assertEquals(0, restarted.pollEvents(), "everything before the restart was acknowledged");
        Snapshot s2 = restarted.capture(CaptureSpec.of(W));
        while (restarted.pollEvents() > 0) {
          // drain
        }
        assertEquals(List.of(EventType.CAPTURE_STARTED, EventType.CREATED), second.types());
        assertTrue(second.events().stream().allMatch(e -> e.snapshotId().equals(Optional.of(s2.id()))));
        assertTrue(first.events().stream().allMatch(e -> e.snapshotId().equals(Optional.of(s1.id()))));
      }
    }
  }

  @Test
  @DisplayName("an engine that dies between delivery and acknowledgement: the next engine delivers the event again, nothing is lost")
  void crashBetweenDeliveryAndAck() throws Exception {
    List<String> seen = Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean crashNext = new AtomicBoolean(true);
    EventHook dying = e -> {
      seen.add(e.type() + " " + e.id());
      if (crashNext.getAndSet(false)) {
        // The hook ran; the process "dies" before the acknowledgement is written.
        throw new OutOfMemoryError("simulated process death after delivery, before acknowledgement");
      }
    };
    try (Fixture f = Fixture.create(o -> o.hooks.put("audit", dying))) {
      f.capture();
      assertEquals(1, f.engine.pollEvents());
      f.engine.close();
      assertEquals(1, seen.size(), "started was delivered but never acknowledged; created waits behind it");

      try (SnapshotEngine restarted = restart(f, "audit", dying)) {
        assertEquals(0, restarted.pollEvents(), "the dead engine's claim holds until its lease expires");
        f.clock.advance(DispatcherSettings.defaults().claimLease().plusSeconds(1));
        while (restarted.pollEvents() > 0) {
          // drain
        }
      }
      List<String> ids = f.store.events().stream().map(e -> e.type() + " " + e.id()).toList();
      assertEquals(List.of(ids.get(0), ids.get(0), ids.get(1)), seen,
          "the unacknowledged event came again with the same id, then the rest, in order");
    }
  }

  @Test
  @DisplayName("an engine closed while a delivery is in flight: the next engine delivers that event again after the lease, then the rest")
  void closeDuringDeliveryThenRestart() throws Exception {
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    ExecutorService delivery = Executors.newFixedThreadPool(2);
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch unblock = new CountDownLatch(1);
    List<String> firstEngine = Collections.synchronizedList(new ArrayList<>());
    EventHook blocking = e -> {
      firstEngine.add(e.id());
      entered.countDown();
      unblock.await();
    };
    try (Fixture f = Fixture.create()) {
      f.engine.close();
      SnapshotEngine a = base(f)
          .eventHook("audit", blocking)
          .eventDispatch(scheduler, delivery, DispatcherSettings.defaults()
              .withPollInterval(Duration.ofMillis(10)).withStopTimeout(Duration.ofMillis(50)))
          .build();
      a.capture(CaptureSpec.of(W));
      assertTrue(entered.await(20, TimeUnit.SECONDS), "the first event reached the hook");
      a.close(); // gives up waiting for the blocked delivery; its claim stays until the lease ends

      RecordingEventHook second = new RecordingEventHook();
      try (SnapshotEngine b = restart(f, "audit", second)) {
        assertEquals(0, b.pollEvents(), "the in-flight claim still holds");
        f.clock.advance(DispatcherSettings.defaults().claimLease().plusSeconds(1));
        while (b.pollEvents() > 0) {
          // drain
        }
        List<SnapshotEvent> stored = f.store.events();
        assertEquals(List.of(stored.get(0).id()), firstEngine);
        assertEquals(stored.stream().map(SnapshotEvent::id).toList(),
            second.events().stream().map(SnapshotEvent::id).toList(),
            "the interrupted event again, with the same id, then the rest: nothing lost");
      } finally {
        unblock.countDown();
      }
    } finally {
      unblock.countDown();
      scheduler.shutdownNow();
      delivery.shutdownNow();
    }
  }

  @Test
  @DisplayName("a hook registered with StartPosition.NOW skips retained events; BEGINNING (the default) receives them")
  void startPositions() throws Exception {
    try (Fixture f = Fixture.create()) {
      f.capture();
      f.engine.close();
      RecordingEventHook fromNow = new RecordingEventHook();
      RecordingEventHook fromStart = new RecordingEventHook();
      try (SnapshotEngine e = base(f)
          .eventHook("late", fromNow, StartPosition.NOW)
          .eventHook("replayer", fromStart)
          .manualEventDispatch(Runnable::run, DispatcherSettings.defaults())
          .build()) {
        e.capture(CaptureSpec.of(W));
        while (e.pollEvents() > 0) {
          // drain
        }
        assertEquals(2, fromNow.events().size());
        assertEquals(4, fromStart.events().size());
        assertEquals(fromStart.events().subList(2, 4), fromNow.events());
      }
    }
  }

  @Test
  @DisplayName("with eventDispatch the engine delivers in the background on the given scheduler and stops it on close")
  void backgroundDispatch() throws Exception {
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    ExecutorService delivery = Executors.newFixedThreadPool(2);
    try (Fixture f = Fixture.create()) {
      f.engine.close();
      RecordingEventHook hook = new RecordingEventHook();
      SnapshotEngine e = base(f)
          .eventHook("audit", hook)
          .eventDispatch(scheduler, delivery, DispatcherSettings.defaults().withPollInterval(Duration.ofMillis(10)))
          .build();
      try {
        e.capture(CaptureSpec.of(W));
        assertTrue(hook.awaitCount(2, Duration.ofSeconds(20)), "delivered without anyone polling");
      } finally {
        e.close();
      }
      assertEquals(List.of(EventType.CAPTURE_STARTED, EventType.CREATED), hook.types());
      assertEquals(ErrorCode.CONFLICT, assertThrows(SnapshotException.class, e::pollEvents).code());
    } finally {
      scheduler.shutdownNow();
      delivery.shutdownNow();
    }
  }

  @Test
  @DisplayName("without hooks nothing is dispatched: pollEvents is 0 and parked events of any name are NOT_FOUND")
  void noHooks() throws Exception {
    try (Fixture f = Fixture.create()) {
      f.capture();
      assertEquals(0, f.engine.pollEvents());
      assertEquals(0, f.engine.pruneEvents());
      assertEquals(ErrorCode.NOT_FOUND,
          assertThrows(SnapshotException.class, () -> f.engine.parkedEvents("audit")).code());
      assertEquals(2, f.store.events().size(), "events are still appended to the outbox");
    }
  }

  @Test
  @DisplayName("the builder reports hooks without a dispatcher, a dispatcher without hooks and conflicting start positions")
  void builderChecksEventWiring() throws Exception {
    try (Fixture f = Fixture.create()) {
      IllegalStateException noDispatch = assertThrows(IllegalStateException.class,
          () -> SnapshotEngine.builder().eventHook("audit", e -> { }).build());
      assertTrue(noDispatch.getMessage().contains("manifestStore"), noDispatch.getMessage());
      assertTrue(noDispatch.getMessage().contains("eventDispatch or manualEventDispatch (event hooks [audit]"),
          noDispatch.getMessage());

      IllegalStateException noHooks = assertThrows(IllegalStateException.class,
          () -> base(f).manualEventDispatch(Runnable::run, DispatcherSettings.defaults()).build());
      assertTrue(noHooks.getMessage().contains("no eventHook is registered"), noHooks.getMessage());

      IllegalStateException conflict = assertThrows(IllegalStateException.class, () -> base(f)
          .eventHook("audit", e -> { }, StartPosition.NOW)
          .manualEventDispatch(Runnable::run, DispatcherSettings.defaults()
              .withStartPosition("audit", StartPosition.BEGINNING)
              .withStartPosition("ghost", StartPosition.NOW))
          .build());
      assertTrue(conflict.getMessage().contains("'audit' starts at NOW in eventHook but at BEGINNING"),
          conflict.getMessage());
      assertTrue(conflict.getMessage().contains("hook 'ghost', which is not registered"), conflict.getMessage());

      SnapshotEngine.Builder twice = base(f).manualEventDispatch(Runnable::run, DispatcherSettings.defaults());
      IllegalStateException again = assertThrows(IllegalStateException.class,
          () -> twice.manualEventDispatch(Runnable::run, DispatcherSettings.defaults()));
      assertTrue(again.getMessage().startsWith("eventDispatch was already set to manual dispatch (owner dispatcher-"),
          again.getMessage());
    }
  }

  /** The fixture's collaborators in a new builder, without hooks. */
  private static SnapshotEngine.Builder base(Fixture f) {
    return SnapshotEngine.builder()
        .manifestStore(f.store)
        .blobStore(f.blobs)
        .hosts(f.directory)
        .lifecycle(f.lifecycle)
        .clock(f.clock)
        .executor(f.pool);
  }

  /** A second engine on the fixture's store: the "restarted process", with a new dispatcher owner id. */
  private static SnapshotEngine restart(Fixture f, String hookName, EventHook hook) {
    return base(f).eventHook(hookName, hook)
        .manualEventDispatch(Runnable::run, DispatcherSettings.defaults().withoutJitter())
        .build();
  }

  private static SnapshotEvent only(RecordingEventHook hook, EventType type, String snapshotId) {
    List<SnapshotEvent> matching = hook.events().stream()
        .filter(e -> e.type() == type && e.snapshotId().map(Object::toString).equals(Optional.of(snapshotId)))
        .collect(Collectors.toList());
    assertEquals(1, matching.size(), type + " of " + snapshotId + " in " + hook.types());
    return matching.get(0);
  }
}
