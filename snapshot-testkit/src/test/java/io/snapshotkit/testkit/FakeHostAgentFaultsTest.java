package io.snapshotkit.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.FamilyRestore;
import io.snapshotkit.RestoreMode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.CaptureResult;
import io.snapshotkit.spi.DeleteOutcome;
import io.snapshotkit.spi.RestoreOutcome;
import io.snapshotkit.spi.RestoreRequest;
import io.snapshotkit.testkit.FaultyHostAgent.Op;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class FakeHostAgentFaultsTest {
  private static final WorkloadRef W = WorkloadRef.of("acme", "w1");
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final FakeHostAgent agent = new FakeHostAgent("h7");
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private int ids;

  @AfterEach
  void stop() {
    agent.releaseHangs();
    pool.shutdownNow();
  }

  private SnapshotId newId() {
    ids++;
    return SnapshotId.generate(Instant.parse("2026-01-01T00:00:00Z").plusSeconds(ids), new SplittableRandom(ids));
  }

  private static JsonNode doc(String value) {
    return JsonNodeFactory.instance.objectNode().put("v", value);
  }

  private CaptureResult capture(SnapshotId id) {
    return agent.capture(new CaptureRequest(W, id, Optional.empty(), Optional.empty(), false));
  }

  private RestoreOutcome restore(SnapshotId id, RestoreMode mode, List<String> paths) {
    return agent.restore(new RestoreRequest(W, id, agent.describe(W), mode, Optional.empty(), paths));
  }

  private void seed() {
    agent.put(W, "users", "alice", doc("a"));
    agent.put(W, "users", "bob", doc("b"));
    agent.put(W, "files", "/etc/app.conf", doc("x"));
  }

  @Test
  @DisplayName("capture stores a copy: later changes do not alter the snapshot, and size is the documents' JSON bytes")
  void captureIsACopy() {
    seed();
    SnapshotId id = newId();
    CaptureResult result = capture(id);
    assertEquals(3 * "{\"v\":\"a\"}".length(), result.sizeBytes());
    assertEquals(OptionalLong.of(result.sizeBytes()), agent.sizeOf(W, id));
    assertEquals("users/alice", result.manifest().family("users").get(0).id());
    agent.put(W, "users", "alice", doc("changed"));
    restore(id, RestoreMode.REPLACE, List.of());
    assertEquals(doc("a"), agent.state(W).get("users").get("alice"));
    assertTrue(agent.hasSnapshot(id));
    assertEquals(List.of(id), List.copyOf(agent.storedSnapshots()));
  }

  @Test
  @DisplayName("offline throws HOST_UNAVAILABLE naming the host, once for failNext")
  void offlineOnce() {
    seed();
    agent.failNext(Op.CAPTURE, Fault.offline());
    SnapshotId id = newId();
    SnapshotException e = assertThrows(SnapshotException.class, () -> capture(id));
    assertEquals(ErrorCode.HOST_UNAVAILABLE, e.code());
    assertTrue(e.getMessage().contains("h7"));
    assertFalse(agent.hasSnapshot(id), "a failed capture stores nothing");
    capture(id);
    assertTrue(agent.hasSnapshot(id));
  }

  @Test
  @DisplayName("failNext faults apply in order, before failAlways, and clearFaults removes them")
  void faultOrder() {
    seed();
    agent.failAlways(Op.DESCRIBE, Fault.corrupt());
    agent.failNext(Op.DESCRIBE, Fault.notFound());
    agent.failNext(Op.DESCRIBE, Fault.error("bug"));
    assertEquals(ErrorCode.NOT_FOUND, assertThrows(SnapshotException.class, () -> agent.describe(W)).code());
    assertEquals("bug", assertThrows(IllegalStateException.class, () -> agent.describe(W)).getMessage());
    assertEquals(ErrorCode.CORRUPT, assertThrows(SnapshotException.class, () -> agent.describe(W)).code());
    assertEquals(ErrorCode.CORRUPT, assertThrows(SnapshotException.class, () -> agent.describe(W)).code());
    agent.clearFaults();
    assertEquals(2, agent.describe(W).family("users").size());
  }

  @Test
  @DisplayName("error throws a plain runtime exception, not a SnapshotException")
  void errorIsPlain() {
    seed();
    agent.failNext(Op.SIZE, Fault.error("disk controller bug"));
    RuntimeException e = assertThrows(RuntimeException.class, () -> agent.sizeOf(W, newId()));
    assertFalse(e instanceof SnapshotException);
  }

  @Test
  @DisplayName("notFound makes DELETE answer NOT_FOUND and keep the data")
  void notFoundDelete() {
    seed();
    SnapshotId id = newId();
    capture(id);
    agent.failNext(Op.DELETE, Fault.notFound());
    assertEquals(DeleteOutcome.NOT_FOUND, agent.delete(W, id));
    assertTrue(agent.hasSnapshot(id));
    assertEquals(DeleteOutcome.DELETED, agent.delete(W, id));
  }

  @Test
  @DisplayName("partialCapture marks the manifest partial with one resource missing")
  void partialCapture() {
    seed();
    agent.failNext(Op.CAPTURE, Fault.partialCapture());
    CaptureResult r = capture(newId());
    assertTrue(r.partial());
    assertEquals(2, r.manifest().families().values().stream().mapToInt(List::size).sum());
    assertThrows(IllegalArgumentException.class, () -> agent.failNext(Op.DELETE, Fault.partialCapture()));
    assertThrows(IllegalArgumentException.class, () -> agent.failNext(Op.CAPTURE, Fault.failResource("k")));
  }

  @Test
  @DisplayName("additive restore records a failing resource, restores the rest, and reports unsupported families")
  void additiveWithFailures() {
    seed();
    SnapshotId id = newId();
    capture(id);
    agent.remove(W, "users", "alice");
    agent.remove(W, "users", "bob");
    agent.remove(W, "files", "/etc/app.conf");
    agent.unsupportedFamily("files");
    agent.failNext(Op.RESTORE, Fault.failResource("alice"));
    RestoreOutcome outcome = restore(id, RestoreMode.ADDITIVE, List.of());
    FamilyRestore users = outcome.families().get("users");
    assertEquals(1, users.created());
    assertEquals(1, users.errors().size());
    assertTrue(users.errors().get(0).contains("alice"));
    assertEquals(List.of("files"), outcome.unsupportedFamilies());
    assertEquals(Map.of("users", Map.of("bob", doc("b"))), agent.state(W));
    RestoreOutcome again = restore(id, RestoreMode.ADDITIVE, List.of());
    assertEquals(new FamilyRestore(1, 1, List.of()), again.families().get("users"));
  }

  @Test
  @DisplayName("replace restore honours key prefixes and is all-or-nothing when a resource fails")
  void replaceWithPathsAndFailure() {
    seed();
    SnapshotId id = newId();
    capture(id);
    agent.put(W, "users", "alice", doc("changed"));
    agent.put(W, "users", "zed", doc("new"));
    agent.put(W, "files", "/etc/app.conf", doc("changed"));
    Map<String, Map<String, JsonNode>> before = agent.state(W);
    agent.failNext(Op.RESTORE, Fault.failResource("bob"));
    assertThrows(IllegalStateException.class, () -> restore(id, RestoreMode.REPLACE, List.of()));
    assertEquals(before, agent.state(W), "a failed replace changes nothing");
    restore(id, RestoreMode.REPLACE, List.of("/etc/"));
    assertEquals(doc("x"), agent.state(W).get("files").get("/etc/app.conf"));
    assertEquals(doc("changed"), agent.state(W).get("users").get("alice"), "outside the paths nothing changes");
    assertTrue(agent.state(W).get("users").containsKey("zed"));
  }

  @Test
  @DisplayName("hang blocks until releaseHangs, then proceeds normally")
  void hangUntilReleased() throws Exception {
    seed();
    agent.failNext(Op.CAPTURE, Fault.hang());
    SnapshotId id = newId();
    Future<CaptureResult> f = pool.submit(() -> capture(id));
    assertTrue(agent.awaitCalls(Op.CAPTURE, 1, WAIT));
    assertFalse(f.isDone());
    assertEquals(List.of(), agent.calls(), "a hanging call has not finished");
    agent.releaseHangs();
    assertFalse(f.get(10, TimeUnit.SECONDS).partial());
    assertTrue(agent.hasSnapshot(id));
    assertEquals(1, agent.calls(Op.CAPTURE).size());
  }

  @Test
  @DisplayName("an interrupted hang throws HOST_UNAVAILABLE and keeps the interrupt flag")
  void hangInterrupted() throws Exception {
    seed();
    agent.failAlways(Op.DELETE, Fault.hang());
    CountDownLatch done = new CountDownLatch(1);
    List<Object> seen = new ArrayList<>();
    Thread t = new Thread(() -> {
      try {
        agent.delete(W, newId());
      } catch (SnapshotException e) {
        seen.add(e.code());
        seen.add(Thread.currentThread().isInterrupted());
      }
      done.countDown();
    });
    t.start();
    assertTrue(agent.awaitCalls(Op.DELETE, 1, WAIT));
    t.interrupt();
    assertTrue(done.await(10, TimeUnit.SECONDS));
    assertEquals(List.of(ErrorCode.HOST_UNAVAILABLE, true), seen);
  }

  @Test
  @DisplayName("a gate proves calls run in parallel: all arrive before any is released")
  void gateProvesParallelism() throws Exception {
    int n = 6;
    CountDownLatch arrivals = new CountDownLatch(n);
    CountDownLatch release = new CountDownLatch(1);
    agent.gate(Op.DELETE, arrivals, release);
    List<Future<DeleteOutcome>> futures = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      SnapshotId id = newId();
      futures.add(pool.submit(() -> agent.delete(W, id)));
    }
    assertTrue(arrivals.await(10, TimeUnit.SECONDS));
    release.countDown();
    for (Future<DeleteOutcome> f : futures) {
      assertEquals(DeleteOutcome.NOT_FOUND, f.get(10, TimeUnit.SECONDS));
    }
    assertEquals(n, agent.maxConcurrentCalls(Op.DELETE));
    List<FaultyHostAgent.Call> calls = agent.calls(Op.DELETE);
    assertEquals(n, calls.size());
    assertTrue(calls.get(0).overlaps(calls.get(n - 1)));
  }

  @Test
  @DisplayName("sequential calls never overlap, and every call is recorded with its workload and snapshot")
  void recordsCalls() {
    seed();
    SnapshotId id = newId();
    capture(id);
    agent.sizeOf(W, id);
    agent.delete(W, id);
    assertEquals(1, agent.maxConcurrentCalls(Op.CAPTURE));
    List<FaultyHostAgent.Call> calls = agent.calls();
    assertEquals(List.of(Op.CAPTURE, Op.SIZE, Op.DELETE), calls.stream().map(FaultyHostAgent.Call::op).toList());
    assertTrue(calls.stream().allMatch(c -> c.workload().equals(W) && c.snapshot().equals(Optional.of(id))));
    assertFalse(calls.get(0).overlaps(calls.get(1)));
    assertFalse(agent.awaitCalls(Op.RESTORE, 1, Duration.ofMillis(1)));
  }

  @Test
  @DisplayName("an unknown workload is NOT_FOUND until created, and created workloads start empty")
  void createWorkload() {
    assertEquals(ErrorCode.NOT_FOUND, assertThrows(SnapshotException.class, () -> agent.describe(W)).code());
    agent.createWorkload(W);
    assertEquals(Map.of(), agent.describe(W).families());
    assertEquals(Map.of(), agent.state(W));
  }
}
