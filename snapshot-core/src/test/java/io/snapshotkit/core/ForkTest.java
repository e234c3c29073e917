package io.snapshotkit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.EventType;
import io.snapshotkit.Manifest;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotOrigin;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.Trigger;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.CaptureResult;
import io.snapshotkit.spi.DeleteOutcome;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.spi.HostDirectory;
import io.snapshotkit.spi.RestoreOutcome;
import io.snapshotkit.spi.RestoreRequest;
import io.snapshotkit.testkit.FailingManifestStore;
import io.snapshotkit.testkit.Fault;
import io.snapshotkit.testkit.FaultyHostAgent.Op;
import io.snapshotkit.testkit.InMemoryManifestStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("SnapshotEngine.fork")
class ForkTest {
  private static final WorkloadRef CHILD = WorkloadRef.of(Fixture.ACME, "ws-2");

  /** The child's rows, any status. */
  private static List<Snapshot> rowsOf(Fixture f, WorkloadRef w) {
    return f.store.list(SnapshotQuery.of(w)).items();
  }

  private static List<SnapshotEvent> eventsOf(Fixture f, WorkloadRef w) {
    return f.store.events().stream().filter(e -> e.workload().equals(w)).toList();
  }

  /** No child: no version, no origin, no data of any of its rows on the host. */
  private static void assertNoChild(Fixture f) {
    assertEquals(List.of(), f.engine.versions(CHILD), "the child has no version");
    for (Snapshot row : rowsOf(f, CHILD)) {
      assertTrue(row.status() == SnapshotStatus.FAILED || row.status() == SnapshotStatus.CAPTURING, row.toString());
      assertEquals(java.util.Optional.empty(), f.store.origin(row.id()));
    }
  }

  @Test
  @DisplayName("a fork is READY version 1 of the new workload holding the snapshot's state, with its origin, "
      + "snapshot.created and snapshot.forked, after Lifecycle.prepareFork ran on the child")
  void forkMakesVersionOneWithOriginAndEvents() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot source = f.capture();
      Map<String, Map<String, com.fasterxml.jackson.databind.JsonNode>> captured = f.h1().state(Fixture.W);
      f.h1().put(Fixture.W, "users", "carol", Fixture.doc("role", "ops"));

      Snapshot child = f.engine.fork(Fixture.ACME, source.id(), CHILD,
          ForkOptions.defaults().name("from golden").labels(Map.of("purpose", "test")));

      assertEquals(1, child.version());
      assertEquals(SnapshotStatus.READY, child.status());
      assertEquals(CHILD, child.workload());
      assertEquals(Trigger.FORK, child.trigger());
      assertEquals("from golden", child.name());
      assertEquals(Map.of("purpose", "test"), child.labels());
      assertEquals(java.util.Optional.of("h1"), child.host());
      assertEquals(java.util.Optional.of(new SnapshotOrigin(source.id(), Fixture.W)), f.store.origin(child.id()));
      assertEquals(java.util.Optional.of(new SnapshotOrigin(source.id(), Fixture.W)),
          f.engine.origin(Fixture.ACME, child.id()), "the engine reads the origin back");
      assertEquals(java.util.Optional.empty(), f.engine.origin(Fixture.ACME, source.id()), "a capture has no origin");
      assertEquals(ErrorCode.NOT_FOUND, assertThrows(SnapshotException.class,
          () -> f.engine.origin(Fixture.GLOBEX, child.id())).code(), "another tenant's snapshot");
      assertEquals(captured, f.h1().state(CHILD), "the child holds the snapshot's state, not the workload's later one");
      assertEquals(List.of(child), f.engine.versions(CHILD));
      List<EventType> types = eventsOf(f, CHILD).stream().map(SnapshotEvent::type).toList();
      assertEquals(List.of(EventType.CAPTURE_STARTED, EventType.CREATED, EventType.FORKED), types);
      SnapshotEvent forked = eventsOf(f, CHILD).get(2);
      assertEquals(Map.of("sourceSnapshot", source.id().value(), "sourceWorkload", "ws-1"), forked.metadata());
      assertEquals(1, forked.version());
      assertTrue(f.lifecycle.calls().contains("prepareFork " + CHILD + " from " + source.id()), f.lifecycle.calls().toString());
      f.lifecycle.assertNoViolations();
      // the child is an ordinary workload from here on, once the platform's directory places it
      f.directory.place(CHILD, "h1");
      Snapshot second = f.engine.capture(CaptureSpec.of(CHILD));
      assertEquals(2, second.version());
    }
  }

  @Test
  @DisplayName("forking another tenant's snapshot is NOT_FOUND, like a missing one, and stores nothing")
  void otherTenantsSnapshotIsNotFound() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot source = f.capture();
      WorkloadRef theirs = WorkloadRef.of(Fixture.GLOBEX, "ws-9");
      SnapshotException e = assertThrows(SnapshotException.class,
          () -> f.engine.fork(Fixture.GLOBEX, source.id(), theirs, ForkOptions.defaults()));
      assertEquals(ErrorCode.NOT_FOUND, e.code());
      SnapshotException missing = assertThrows(SnapshotException.class, () -> f.engine.fork(Fixture.ACME,
          SnapshotId.parse("01JZZZZZZZZZZZZZZZZZZZZZZZ"), CHILD, ForkOptions.defaults()));
      assertEquals(ErrorCode.NOT_FOUND, missing.code());
      assertEquals(List.of(), rowsOf(f, theirs));
      assertFalse(f.h1().hasWorkload(theirs));
    }
  }

  @Test
  @DisplayName("bad input is INVALID_ARGUMENT before anything is stored: a child in another tenant, the source's "
      + "own workload, a blank target or host; nulls are refused")
  void badInputIsInvalidArgument() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot source = f.capture();
      WorkloadRef otherTenant = WorkloadRef.of(Fixture.GLOBEX, "ws-2");
      assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(SnapshotException.class,
          () -> f.engine.fork(Fixture.ACME, source.id(), otherTenant, ForkOptions.defaults())).code());
      assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(SnapshotException.class,
          () -> f.engine.fork(Fixture.ACME, source.id(), Fixture.W, ForkOptions.defaults())).code());
      assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(SnapshotException.class,
          () -> ForkOptions.defaults().target(" ")).code());
      assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(SnapshotException.class,
          () -> ForkOptions.defaults().host("")).code());
      assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(SnapshotException.class,
          () -> ForkOptions.defaults().name("-x")).code());
      assertThrows(NullPointerException.class, () -> f.engine.fork(Fixture.ACME, source.id(), null, ForkOptions.defaults()));
      assertThrows(NullPointerException.class, () -> f.engine.fork(Fixture.ACME, source.id(), CHILD, null));
      assertEquals(List.of(), rowsOf(f, CHILD));
      assertEquals(List.of(), rowsOf(f, otherTenant));
    }
  }

  @Test
  @DisplayName("forking into a workload that already has versions, or had them, is CONFLICT and leaves no new version")
  void existingWorkloadIsConflict() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot source = f.capture();
      f.engine.fork(Fixture.ACME, source.id(), CHILD, ForkOptions.defaults());
      SnapshotException again = assertThrows(SnapshotException.class,
          () -> f.engine.fork(Fixture.ACME, source.id(), CHILD, ForkOptions.defaults()));
      assertEquals(ErrorCode.CONFLICT, again.code());
      assertTrue(again.getMessage().contains("already exists"), again.getMessage());

      // a workload whose snapshots were all deleted has used its version numbers: no version 1 is left
      WorkloadRef used = WorkloadRef.of(Fixture.ACME, "ws-3");
      f.seed(used, "h1");
      f.directory.place(used, "h1");
      Snapshot old = f.engine.capture(CaptureSpec.of(used));
      f.engine.delete(Fixture.ACME, old.id());
      f.h1().deleteWorkload(used);
      SnapshotException reused = assertThrows(SnapshotException.class,
          () -> f.engine.fork(Fixture.ACME, source.id(), used, ForkOptions.defaults()));
      assertEquals(ErrorCode.CONFLICT, reused.code());
      assertTrue(reused.getMessage().contains("versions are used up to 1"), reused.getMessage());
      Snapshot failed = rowsOf(f, used).get(0);
      assertEquals(SnapshotStatus.FAILED, failed.status());
      assertFalse(f.h1().hasSnapshot(failed.id()), "the refused fork's data was removed from the host");
    }
  }

  @Test
  @DisplayName("a source that is not READY is CONFLICT")
  void sourceNotReadyIsConflict() throws Exception {
    try (Fixture f = Fixture.create()) {
      f.h1().failNext(Op.CAPTURE, Fault.error("disk on fire"));
      assertThrows(SnapshotException.class, f::capture);
      Snapshot failed = rowsOf(f, Fixture.W).get(0);
      SnapshotException e = assertThrows(SnapshotException.class,
          () -> f.engine.fork(Fixture.ACME, failed.id(), CHILD, ForkOptions.defaults()));
      assertEquals(ErrorCode.CONFLICT, e.code());
      assertEquals(List.of(), rowsOf(f, CHILD));
    }
  }

  @Test
  @DisplayName("a host whose agent has no HostFork is refused INVALID_ARGUMENT, naming the host, before a row is stored")
  void agentWithoutHostForkIsRefused() throws Exception {
    try (Fixture f = Fixture.create()) {
      HostAgent plain = new PlainAgent(f.h1());
      InMemoryManifestStore store = new InMemoryManifestStore();
      try (SnapshotEngine engine = SnapshotEngine.builder().manifestStore(store).hosts(HostDirectory.single(plain))
          .lifecycle(f.lifecycle).clock(f.clock).executor(f.pool).build()) {
        Snapshot source = engine.capture(CaptureSpec.of(Fixture.W));
        SnapshotException e = assertThrows(SnapshotException.class,
            () -> engine.fork(Fixture.ACME, source.id(), CHILD, ForkOptions.defaults()));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains("host local cannot fork"), e.getMessage());
        assertEquals(List.of(), store.list(SnapshotQuery.of(CHILD)).items());
      }
    }
  }

  @Test
  @DisplayName("the host's fork failing leaves the row FAILED, no child anywhere; a retry makes the child whole")
  void hostForkFailureLeavesNoChild() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot source = f.capture();
      f.h1().failNext(Op.FORK, Fault.error("repository unreadable"));
      SnapshotException e = assertThrows(SnapshotException.class,
          () -> f.engine.fork(Fixture.ACME, source.id(), CHILD, ForkOptions.defaults()));
      assertEquals(ErrorCode.INTERNAL, e.code(), "an unexpected adapter exception");
      assertNoChild(f);
      String reason = rowsOf(f, CHILD).get(0).failure().orElseThrow();
      assertTrue(reason.contains("repository unreadable"), reason);
      assertFalse(f.h1().hasWorkload(CHILD));
      assertEquals(1, f.engine.fork(Fixture.ACME, source.id(), CHILD, ForkOptions.defaults()).version());
    }
  }

  @Test
  @DisplayName("prepareFork failing fails the fork: row FAILED, the child's data removed from the host")
  void prepareForkFailureRemovesTheChildsData() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot source = f.capture();
      f.lifecycle.failNextPrepareFork(new IllegalStateException("could not reset the machine id"));
      SnapshotException e = assertThrows(SnapshotException.class,
          () -> f.engine.fork(Fixture.ACME, source.id(), CHILD, ForkOptions.defaults()));
      assertTrue(e.getMessage().contains("prepareFork"), e.getMessage());
      assertNoChild(f);
      Snapshot failed = rowsOf(f, CHILD).get(0);
      assertEquals(SnapshotStatus.FAILED, failed.status());
      assertFalse(f.h1().hasSnapshot(failed.id()), "the host's copy of the failed fork is gone");
    }
  }

  @Test
  @DisplayName("each write of the READY transaction failing rolls the whole commit back: FAILED, no origin, host data removed")
  void commitFailureAtEachWriteLeavesNoChild() throws Exception {
    // the READY transaction writes: nextVersion, compareAndSet, putManifest, putOrigin, append, append
    for (int write = 1; write <= 6; write++) {
      FailingManifestStore[] failing = new FailingManifestStore[1];
      try (Fixture f = Fixture.create(o -> o.engineStore = s -> failing[0] = FailingManifestStore.wrap(s))) {
        Snapshot source = f.capture();
        int w = write;
        // the admitting transaction runs first; arm the failure only for the READY commit
        f.lifecycle.beforeNextPrepareFork(() -> failing[0].failWrite(w));
        SnapshotException e = assertThrows(SnapshotException.class,
            () -> f.engine.fork(Fixture.ACME, source.id(), CHILD, ForkOptions.defaults()), "write " + write);
        assertNoChild(f);
        Snapshot failed = rowsOf(f, CHILD).get(0);
        assertEquals(SnapshotStatus.FAILED, failed.status(), "write " + write + ": " + e.getMessage());
        assertFalse(f.h1().hasSnapshot(failed.id()), "write " + write);
      }
    }
  }

  /**
   * A crash (the engine's process dying) after each step: after the row was admitted (the host's
   * fork never returns), and after the host forked (the hook never returns). A new engine on the
   * same store and hosts reaps the stuck row FAILED, a delete removes its data from the host, and
   * the child never had a version; a fork retried on the new engine makes the child whole.
   */
  @Test
  @DisplayName("a crash after admission or after the host's fork leaves no child; the reaper fails the row and a retry completes")
  void crashAtEachStepLeavesNoChild() throws Exception {
    for (String step : List.of("admitted", "host forked")) {
      try (Fixture f = Fixture.create()) {
        Snapshot source = f.capture();
        CountDownLatch arrived = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        if (step.equals("admitted")) {
          f.h1().failNext(Op.FORK, Fault.hang());
        } else {
          f.lifecycle.beforeNextPrepareFork(() -> {
            arrived.countDown();
            try {
              never.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new IllegalStateException("the crashed engine's thread was stopped", e);
            }
          });
        }
        Future<Snapshot> crashed = f.pool.submit(() -> f.engine.fork(Fixture.ACME, source.id(), CHILD, ForkOptions.defaults()));
        assertTrue(step.equals("admitted") ? f.h1().awaitCalls(Op.FORK, 1, Duration.ofSeconds(10))
            : arrived.await(10, TimeUnit.SECONDS), step);
        // the process "dies" here: this engine never runs another line of the fork
        assertNoChild(f);
        assertEquals(SnapshotStatus.CAPTURING, rowsOf(f, CHILD).get(0).status(), step);

        try (SnapshotEngine restarted = SnapshotEngine.builder().manifestStore(f.store).hosts(f.directory)
            .lifecycle(io.snapshotkit.spi.Lifecycle.none()).clock(f.clock).executor(f.pool)
            .workloadLock(WorkloadLocks.inProcess()).build()) {
          f.clock.advance(Duration.ofHours(2));
          assertEquals(1, restarted.reapStuckCaptures(), step);
          Snapshot stuck = rowsOf(f, CHILD).get(0);
          assertEquals(SnapshotStatus.FAILED, stuck.status(), step);
          restarted.delete(Fixture.ACME, stuck.id());
          assertFalse(f.h1().hasSnapshot(stuck.id()), step + ": the host's data of the crashed fork is removed");
          assertEquals(List.of(), restarted.versions(CHILD), step);
          f.h1().deleteWorkload(CHILD);
          Snapshot child = restarted.fork(Fixture.ACME, source.id(), CHILD, ForkOptions.defaults());
          assertEquals(1, child.version(), step);
          assertEquals(f.h1().state(Fixture.W), f.h1().state(CHILD), step);
        } finally {
          never.countDown();
          crashed.cancel(true);
        }
      }
    }
  }

  /** A HostAgent that is only a HostAgent (no HostFork), delegating to {@code agent}. */
  private record PlainAgent(HostAgent agent) implements HostAgent {
    @Override
    public CaptureResult capture(CaptureRequest request) {
      return agent.capture(request);
    }

    @Override
    public Manifest describe(WorkloadRef workload) {
      return agent.describe(workload);
    }

    @Override
    public RestoreOutcome restore(RestoreRequest request) {
      return agent.restore(request);
    }

    @Override
    public DeleteOutcome delete(WorkloadRef workload, SnapshotId snapshot) {
      return agent.delete(workload, snapshot);
    }

    @Override
    public OptionalLong sizeOf(WorkloadRef workload, SnapshotId snapshot) {
      return agent.sizeOf(workload, snapshot);
    }
  }
}
