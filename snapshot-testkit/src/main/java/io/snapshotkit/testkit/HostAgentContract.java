package io.snapshotkit.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.FamilyRestore;
import io.snapshotkit.Manifest;
import io.snapshotkit.ProgressEvent;
import io.snapshotkit.ProgressListener;
import io.snapshotkit.Resource;
import io.snapshotkit.RestoreMode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.CaptureResult;
import io.snapshotkit.spi.DeleteOutcome;
import io.snapshotkit.spi.ForkRequest;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.spi.HostFork;
import io.snapshotkit.spi.HostVerify;
import io.snapshotkit.spi.RestoreOutcome;
import io.snapshotkit.spi.RestoreRequest;
import io.snapshotkit.spi.VerifyOutcome;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link HostAgent} must show. An adapter proves itself by extending this
 * class:
 *
 * <pre>{@code
 * class FsHostAgentTest extends HostAgentContract {
 *   @TempDir Path dir;
 *   FsHostAgent agent;
 *   @BeforeEach void open() { agent = FsHostAgent.rootedAt(dir); }
 *   protected HostAgent agent() { return agent; }
 *   protected WorkloadRef newWorkload() { ...create a volume with a few files... }
 *   protected void mutate(WorkloadRef w) { ...add a file, change one, delete one... }
 * }
 * }</pre>
 *
 * <p>Manifests are compared by their families only: capture times differ between calls.
 *
 * <p><b>Thread-safety:</b> a JUnit test class; each test runs on one instance.
 */
public abstract class HostAgentContract {

  private static final Instant ID_BASE = Instant.parse("2026-01-01T00:00:00Z");
  private final AtomicInteger ids = new AtomicInteger();

  /** Creates the contract; subclasses supply the agent and workloads. */
  protected HostAgentContract() {}

  /** The agent under test (the same one for the whole test). */
  protected abstract HostAgent agent();

  /** Creates a new workload on the agent, with some initial state (at least one resource). */
  protected abstract WorkloadRef newWorkload();

  /**
   * Changes the workload visibly: adds a resource, changes one and removes one, so that
   * {@link HostAgent#describe} differs from before and an additive restore has something to re-create.
   */
  protected abstract void mutate(WorkloadRef workload);

  /** A fresh snapshot id, increasing with each call. */
  protected SnapshotId newSnapshotId() {
    int n = ids.incrementAndGet();
    return SnapshotId.generate(ID_BASE.plusMillis(n), new SplittableRandom(n));
  }

  /** A workload of the same tenant as {@code existing} that does not exist on the agent. */
  protected WorkloadRef unknownWorkload(WorkloadRef existing) {
    return WorkloadRef.of(existing.tenant(), "contract-missing-workload");
  }

  /**
   * Where a fork that materialises its child goes ({@link ForkRequest#target()}), a new one each
   * call; empty (the default) for an agent whose fork makes the child live without one.
   */
  protected Optional<String> forkTarget() {
    return Optional.empty();
  }

  /**
   * An agent as on another host, sharing {@link #agent()}'s snapshot repository with local state of
   * its own, that serves {@code workload}: the workload's placement moved there, so the agent tracks
   * the workload's volumes at fresh, empty locations on that host. Empty (the default) when this
   * agent's snapshots cannot leave its host; the restore-elsewhere cases are then skipped. The test
   * class closes what it opens here, for example in an {@code @AfterEach}.
   */
  protected Optional<HostAgent> agentOnAnotherHost(WorkloadRef workload) {
    return Optional.empty();
  }

  // ---------------------------------------------------------------- helpers

  private CaptureResult capture(WorkloadRef workload, SnapshotId id) {
    return agent().capture(new CaptureRequest(workload, id, Optional.empty(), Optional.empty(), false));
  }

  private RestoreOutcome restore(WorkloadRef workload, SnapshotId id, Manifest manifest, RestoreMode mode) {
    return agent().restore(new RestoreRequest(workload, id, manifest, mode, Optional.empty(), List.of()));
  }

  private Map<String, List<Resource>> families(WorkloadRef workload) {
    return agent().describe(workload).families();
  }

  private static int created(RestoreOutcome outcome) {
    return outcome.families().values().stream().mapToInt(FamilyRestore::created).sum();
  }

  private static int errors(RestoreOutcome outcome) {
    return outcome.families().values().stream().mapToInt(f -> f.errors().size()).sum();
  }

  // ---------------------------------------------------------------- capture and describe

  @Test
  @DisplayName("capture returns a complete manifest of the workload whose families equal describe()'s")
  void captureMatchesDescribe() {
    WorkloadRef w = newWorkload();
    Map<String, List<Resource>> before = families(w);
    CaptureResult result = capture(w, newSnapshotId());
    assertEquals(w, result.manifest().workload());
    assertEquals(false, result.partial(), "nothing failed, so the capture is complete");
    assertEquals(before, result.manifest().families());
    assertTrue(result.sizeBytes() >= 0);
    assertTrue(result.manifest().families().values().stream().mapToInt(List::size).sum() > 0,
        "newWorkload() has some initial state");
  }

  @Test
  @DisplayName("describe changes after mutate, and the earlier capture does not")
  void describeShowsMutation() {
    WorkloadRef w = newWorkload();
    CaptureResult captured = capture(w, newSnapshotId());
    mutate(w);
    assertNotEquals(captured.manifest().families(), families(w));
  }

  @Test
  @DisplayName("capture and describe of an unknown workload are NOT_FOUND")
  void unknownWorkloadNotFound() {
    WorkloadRef missing = unknownWorkload(newWorkload());
    SnapshotException capture = assertThrows(SnapshotException.class, () -> capture(missing, newSnapshotId()));
    assertEquals(ErrorCode.NOT_FOUND, capture.code());
    SnapshotException describe = assertThrows(SnapshotException.class, () -> agent().describe(missing));
    assertEquals(ErrorCode.NOT_FOUND, describe.code());
  }

  @Test
  @DisplayName("a capture retried with the same id replaces the earlier attempt")
  void captureRetryReplaces() {
    WorkloadRef w = newWorkload();
    SnapshotId id = newSnapshotId();
    capture(w, id);
    mutate(w);
    CaptureResult second = capture(w, id);
    Map<String, List<Resource>> mutated = families(w);
    assertEquals(mutated, second.manifest().families());
    assertEquals(DeleteOutcome.DELETED, agent().delete(w, id));
    assertEquals(DeleteOutcome.NOT_FOUND, agent().delete(w, id), "one id holds one snapshot");
  }

  // ---------------------------------------------------------------- sizes and delete

  @Test
  @DisplayName("sizeOf is present after capture and empty after delete")
  void sizeOfLifecycle() {
    WorkloadRef w = newWorkload();
    SnapshotId id = newSnapshotId();
    capture(w, id);
    OptionalLong size = agent().sizeOf(w, id);
    assertTrue(size.isPresent());
    assertTrue(size.getAsLong() >= 0);
    agent().delete(w, id);
    assertEquals(OptionalLong.empty(), agent().sizeOf(w, id));
  }

  @Test
  @DisplayName("an agent with HostVerify finds a fresh capture INTACT, after mutate still INTACT, and MISSING after delete")
  void verifyLifecycle() {
    org.junit.jupiter.api.Assumptions.assumeTrue(agent() instanceof HostVerify,
        "this agent has no HostVerify; the engine asks it only whether it holds a snapshot (sizeOf)");
    HostVerify verifier = (HostVerify) agent();
    WorkloadRef w = newWorkload();
    SnapshotId id = newSnapshotId();
    capture(w, id);
    VerifyOutcome fresh = verifier.verify(w, id, 1);
    assertEquals(VerifyOutcome.Status.INTACT, fresh.status(), fresh.toString());
    mutate(w);
    assertEquals(VerifyOutcome.Status.INTACT, verifier.verify(w, id, 1).status(), "the snapshot does not change with the workload");
    agent().delete(w, id);
    assertEquals(VerifyOutcome.Status.MISSING, verifier.verify(w, id, 1).status());
  }

  @Test
  @DisplayName("delete answers DELETED, then NOT_FOUND the second time")
  void deleteTwice() {
    WorkloadRef w = newWorkload();
    SnapshotId id = newSnapshotId();
    capture(w, id);
    assertEquals(DeleteOutcome.DELETED, agent().delete(w, id));
    assertEquals(DeleteOutcome.NOT_FOUND, agent().delete(w, id));
  }

  @Test
  @DisplayName("delete of a snapshot this host never captured is NOT_FOUND")
  void deleteNeverCaptured() {
    WorkloadRef w = newWorkload();
    assertEquals(DeleteOutcome.NOT_FOUND, agent().delete(w, newSnapshotId()));
    assertEquals(OptionalLong.empty(), agent().sizeOf(w, newSnapshotId()));
  }

  @Test
  @DisplayName("deleting one snapshot leaves the workload's other snapshots restorable")
  void deleteLeavesOthers() {
    WorkloadRef w = newWorkload();
    SnapshotId keep = newSnapshotId();
    CaptureResult kept = capture(w, keep);
    mutate(w);
    SnapshotId drop = newSnapshotId();
    capture(w, drop);
    assertEquals(DeleteOutcome.DELETED, agent().delete(w, drop));
    restore(w, keep, kept.manifest(), RestoreMode.REPLACE);
    assertEquals(kept.manifest().families(), families(w));
    assertTrue(agent().sizeOf(w, keep).isPresent());
  }

  // ---------------------------------------------------------------- restore

  @Test
  @DisplayName("REPLACE restore after mutate brings the workload back to exactly the snapshot")
  void replaceRestoresExactly() {
    WorkloadRef w = newWorkload();
    SnapshotId id = newSnapshotId();
    CaptureResult captured = capture(w, id);
    mutate(w);
    restore(w, id, captured.manifest(), RestoreMode.REPLACE);
    assertEquals(captured.manifest().families(), families(w));
    restore(w, id, captured.manifest(), RestoreMode.REPLACE);
    assertEquals(captured.manifest().families(), families(w), "replace run twice leaves the same state");
  }

  @Test
  @DisplayName("capture and replace restore with a progress listener do what they do without one; any events "
      + "have counters that never decrease and at most one last event, and a listener that throws fails neither")
  void progressListenerChangesNothing() {
    WorkloadRef w = newWorkload();
    SnapshotId id = newSnapshotId();
    List<ProgressEvent> events = new ArrayList<>();
    CaptureResult captured = agent().capture(new CaptureRequest(w, id, Optional.empty(), Optional.empty(), false),
        events::add);
    assertEquals(families(w), captured.manifest().families());
    assertProgressWellFormed(events);
    mutate(w);
    ProgressListener broken = e -> {
      throw new IllegalStateException("a listener's own bug");
    };
    agent().restore(new RestoreRequest(w, id, captured.manifest(), RestoreMode.REPLACE, Optional.empty(), List.of()),
        broken);
    assertEquals(captured.manifest().families(), families(w));
    SnapshotId second = newSnapshotId();
    agent().capture(new CaptureRequest(w, second, Optional.empty(), Optional.empty(), false), broken);
    assertTrue(agent().sizeOf(w, second).isPresent(), "captured despite the listener");
  }

  private static void assertProgressWellFormed(List<ProgressEvent> events) {
    for (int i = 1; i < events.size(); i++) {
      assertTrue(events.get(i).filesDone() >= events.get(i - 1).filesDone()
          && events.get(i).bytesDone() >= events.get(i - 1).bytesDone(), "done counters never decrease: " + events);
    }
    long last = events.stream().filter(ProgressEvent::finished).count();
    assertTrue(last <= 1, "at most one last event: " + events);
    if (last == 1) {
      assertTrue(events.get(events.size() - 1).finished(), "the last event comes last: " + events);
    }
  }

  @Test
  @DisplayName("ADDITIVE restore re-creates what mutate removed, and run twice creates nothing the second time")
  void additiveIsIdempotent() {
    WorkloadRef w = newWorkload();
    SnapshotId id = newSnapshotId();
    CaptureResult captured = capture(w, id);
    mutate(w);
    RestoreOutcome first = restore(w, id, captured.manifest(), RestoreMode.ADDITIVE);
    assertEquals(0, errors(first));
    assertTrue(created(first) > 0, "mutate removed something, so the first additive restore re-creates it");
    Map<String, List<Resource>> now = families(w);
    captured.manifest().families().forEach((family, resources) -> {
      if (first.unsupportedFamilies().contains(family)) {
        return;
      }
      for (Resource r : resources) {
        assertTrue(now.getOrDefault(family, List.of()).stream().anyMatch(x -> x.key().equals(r.key())),
            "after an additive restore the workload has " + family + "/" + r.key());
      }
    });
    RestoreOutcome second = restore(w, id, captured.manifest(), RestoreMode.ADDITIVE);
    assertEquals(0, created(second));
    assertEquals(0, errors(second));
    assertEquals(now, families(w), "the second additive restore changed nothing");
  }

  @Test
  @DisplayName("restore of a snapshot this host does not hold is NOT_FOUND and changes nothing")
  void restoreUnknownSnapshot() {
    WorkloadRef w = newWorkload();
    Manifest current = agent().describe(w);
    for (RestoreMode mode : RestoreMode.values()) {
      SnapshotException e = assertThrows(SnapshotException.class,
          () -> restore(w, newSnapshotId(), current, mode));
      assertEquals(ErrorCode.NOT_FOUND, e.code(), mode.name());
    }
    assertEquals(current.families(), families(w));
  }

  @Test
  @DisplayName("preflight touches nothing")
  void preflightTouchesNothing() {
    WorkloadRef w = newWorkload();
    SnapshotId id = newSnapshotId();
    CaptureResult captured = capture(w, id);
    mutate(w);
    Map<String, List<Resource>> before = families(w);
    for (RestoreMode mode : RestoreMode.values()) {
      agent().preflight(new RestoreRequest(w, id, captured.manifest(), mode, Optional.empty(), List.of()));
    }
    assertEquals(before, families(w));
    assertTrue(agent().sizeOf(w, id).isPresent(), "preflight leaves the snapshot in place");
  }

  // ---------------------------------------------------------------- fork (agents with HostFork)

  private HostFork forker() {
    org.junit.jupiter.api.Assumptions.assumeTrue(agent() instanceof HostFork,
        "this agent has no HostFork; the engine refuses to fork onto it");
    return (HostFork) agent();
  }

  private WorkloadRef child(WorkloadRef source) {
    return WorkloadRef.of(source.tenant(), "contract-fork-" + ids.incrementAndGet());
  }

  @Test
  @DisplayName("a fork holds exactly the snapshot's data, not the workload's later state, under the child's id and workload")
  void forkHoldsTheSnapshotsData() {
    HostFork forker = forker();
    WorkloadRef w = newWorkload();
    SnapshotId id = newSnapshotId();
    CaptureResult source = capture(w, id);
    mutate(w);
    WorkloadRef child = child(w);
    SnapshotId childId = newSnapshotId();
    CaptureResult forked = forker.fork(new ForkRequest(w, id, child, childId, Optional.empty()));
    assertEquals(child, forked.manifest().workload());
    assertEquals(source.manifest().families(), forked.manifest().families());
    assertTrue(agent().sizeOf(child, childId).isPresent(), "the host holds the child snapshot");
    assertEquals(DeleteOutcome.DELETED, agent().delete(child, childId));
    assertTrue(agent().sizeOf(w, id).isPresent(), "deleting the child leaves the source");
  }

  @Test
  @DisplayName("a materialised fork's child workload is live with exactly the snapshot's data")
  void forkedChildIsLiveWithTheSnapshotsData() {
    HostFork forker = forker();
    WorkloadRef w = newWorkload();
    SnapshotId id = newSnapshotId();
    CaptureResult source = capture(w, id);
    mutate(w);
    WorkloadRef child = child(w);
    forker.fork(new ForkRequest(w, id, child, newSnapshotId(), forkTarget()));
    assertEquals(source.manifest().families(), families(child));
    assertNotEquals(families(w), families(child), "the source workload moved on; the child did not follow");
  }

  @Test
  @DisplayName("the child outlives its source snapshot: deleting the source leaves the child whole")
  void forkOutlivesItsSource() {
    HostFork forker = forker();
    WorkloadRef w = newWorkload();
    SnapshotId id = newSnapshotId();
    capture(w, id);
    WorkloadRef child = child(w);
    SnapshotId childId = newSnapshotId();
    forker.fork(new ForkRequest(w, id, child, childId, Optional.empty()));
    assertEquals(DeleteOutcome.DELETED, agent().delete(w, id));
    assertTrue(agent().sizeOf(child, childId).isPresent());
    if (agent() instanceof HostVerify verifier) {
      assertEquals(VerifyOutcome.Status.INTACT, verifier.verify(child, childId, 1).status());
    }
  }

  @Test
  @DisplayName("forking a snapshot the host does not hold is NOT_FOUND")
  void forkOfUnknownSnapshotIsNotFound() {
    HostFork forker = forker();
    WorkloadRef w = newWorkload();
    SnapshotException e = assertThrows(SnapshotException.class,
        () -> forker.fork(new ForkRequest(w, newSnapshotId(), child(w), newSnapshotId(), Optional.empty())));
    assertEquals(ErrorCode.NOT_FOUND, e.code(), e.getMessage());
  }

  @Test
  @DisplayName("forking into a workload that exists on the host is CONFLICT and leaves it as it was")
  void forkIntoExistingWorkloadIsConflict() {
    HostFork forker = forker();
    WorkloadRef w = newWorkload();
    SnapshotId id = newSnapshotId();
    capture(w, id);
    WorkloadRef existing = newWorkload();
    Map<String, List<Resource>> before = families(existing);
    SnapshotId childId = newSnapshotId();
    SnapshotException e = assertThrows(SnapshotException.class,
        () -> forker.fork(new ForkRequest(w, id, existing, childId, Optional.empty())));
    assertEquals(ErrorCode.CONFLICT, e.code(), e.getMessage());
    assertEquals(before, families(existing));
    assertEquals(OptionalLong.empty(), agent().sizeOf(existing, childId), "nothing was stored for the refused fork");
  }

  // ---------------------------------------------------------------- restore on another host

  private HostAgent elsewhere(WorkloadRef workload) {
    Optional<HostAgent> other = agentOnAnotherHost(workload);
    org.junit.jupiter.api.Assumptions.assumeTrue(other.isPresent(),
        "this agent's snapshots do not leave its host (agentOnAnotherHost is empty)");
    return other.get();
  }

  @Test
  @DisplayName("a workload moved to another host restores there, from the shared repository, exactly the snapshot")
  void restoreOnAnotherHostHoldsTheSnapshotsData() {
    WorkloadRef w = newWorkload();
    SnapshotId id = newSnapshotId();
    CaptureResult captured = capture(w, id);
    mutate(w);
    HostAgent other = elsewhere(w);
    assertTrue(other.sizeOf(w, id).isPresent(), "the other host finds the snapshot in the shared repository");
    RestoreOutcome outcome = other.restore(
        new RestoreRequest(w, id, captured.manifest(), RestoreMode.REPLACE, Optional.empty(), List.of()));
    assertEquals(0, errors(outcome));
    assertEquals(captured.manifest().families(), other.describe(w).families());
  }

  @Test
  @DisplayName("after a restore on another host, a capture there continues the version line and a delete there "
      + "is seen by the first host")
  void anotherHostContinuesTheVersionLine() {
    WorkloadRef w = newWorkload();
    SnapshotId first = newSnapshotId();
    CaptureResult captured = capture(w, first);
    HostAgent other = elsewhere(w);
    other.restore(new RestoreRequest(w, first, captured.manifest(), RestoreMode.REPLACE, Optional.empty(), List.of()));
    SnapshotId second = newSnapshotId();
    CaptureResult next = other.capture(new CaptureRequest(w, second, Optional.of(first), Optional.empty(), false));
    assertEquals(captured.manifest().families(), next.manifest().families(),
        "nothing changed on the other host since its restore");
    assertTrue(agent().sizeOf(w, second).isPresent(), "the first host sees the other host's snapshot");
    assertEquals(DeleteOutcome.DELETED, other.delete(w, first));
    assertEquals(OptionalLong.empty(), agent().sizeOf(w, first), "a delete on one host is seen on the other");
    assertEquals(DeleteOutcome.NOT_FOUND, agent().delete(w, first));
    assertTrue(agent().sizeOf(w, second).isPresent(), "deleting the first snapshot leaves the second");
  }
}
