package io.snapshotkit.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import io.snapshotkit.Manifest;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.CaptureResult;
import io.snapshotkit.spi.DeleteOutcome;
import io.snapshotkit.spi.ForkRequest;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.spi.HostFork;
import io.snapshotkit.spi.RestoreOutcome;
import io.snapshotkit.spi.RestoreRequest;
import io.snapshotkit.testkit.FaultyHostAgent.Call;
import io.snapshotkit.testkit.FaultyHostAgent.Op;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * An in-memory host data plane with scripted faults and a record of every call: the in-memory
 * agent wrapped in a {@link FaultyHostAgent}. To script the same faults around another agent,
 * such as {@code FsHostAgent}, use {@link FaultyHostAgent#wrap} directly.
 *
 * <p>A workload's state is a set of <em>families</em> of resources, each resource a JSON document
 * under a natural key: {@code put(w, "users", "alice", doc)}. {@link #capture} copies the state
 * into a manifest whose family {@code f} holds {@code Resource(f + "/" + key, key, document)} and
 * whose size is the total UTF-8 length of the documents' JSON text; {@link #describe} returns the
 * current state the same way. Restore follows the {@link HostAgent} contract: ADDITIVE re-creates
 * missing keys and skips existing ones, REPLACE makes the workload exactly the snapshot (within
 * {@link RestoreRequest#paths()} key prefixes, when given) or changes nothing. A
 * {@link RestoreRequest#target()} names another workload of the same tenant to restore into; it is
 * created if it does not exist.
 *
 * <p>Faults are scripted per {@link Op}: {@link #failNext} applies to one call (in the order
 * scripted) and takes precedence over {@link #failAlways}. {@link #latency} and {@link #gate}
 * apply to every call of an op, before its fault.
 *
 * <p><b>Thread-safety:</b> thread-safe. Calls run concurrently; only the short reads and writes
 * of state are serialised, never the scripted delays, hangs or gates.
 */
public final class FakeHostAgent implements HostAgent, HostFork {

  private final InMemoryHostAgent data;
  private final FaultyHostAgent faults;

  /** An agent for host {@code hostId} whose manifests are stamped 2026-01-01T00:00:00Z. */
  public FakeHostAgent(String hostId) {
    this(hostId, MutableClock.epoch());
  }

  /**
   * An agent for host {@code hostId} whose manifests are stamped with {@code clock}'s time.
   *
   * @throws IllegalArgumentException if {@code hostId} is blank
   */
  public FakeHostAgent(String hostId, Clock clock) {
    Objects.requireNonNull(clock, "clock");
    this.data = new InMemoryHostAgent(hostId, clock);
    this.faults = FaultyHostAgent.wrap(hostId, data);
  }

  /** This agent's host id. */
  public String hostId() {
    return data.hostId();
  }

  // ---------------------------------------------------------------- workload state

  /** Makes the workload exist with empty state (harmless if it exists). */
  public void createWorkload(WorkloadRef workload) {
    data.createWorkload(workload);
  }

  /** Removes the workload and its state (its snapshots stay); later captures of it are NOT_FOUND. */
  public void deleteWorkload(WorkloadRef workload) {
    data.deleteWorkload(workload);
  }

  /** Whether the workload exists on this host. */
  public boolean hasWorkload(WorkloadRef workload) {
    return data.hasWorkload(workload);
  }

  /** Creates or replaces one resource, creating the workload if needed. The document is copied. */
  public void put(WorkloadRef workload, String family, String key, JsonNode document) {
    data.put(workload, family, key, document);
  }

  /**
   * Removes one resource; a family left empty disappears.
   *
   * @return whether there was such a resource
   */
  public boolean remove(WorkloadRef workload, String family, String key) {
    return data.remove(workload, family, key);
  }

  /** A copy of the workload's state (family → key → document), sorted; empty if the workload does not exist. */
  public Map<String, Map<String, JsonNode>> state(WorkloadRef workload) {
    return data.state(workload);
  }

  /** Whether this host holds data for the snapshot. */
  public boolean hasSnapshot(SnapshotId id) {
    return data.hasSnapshot(id);
  }

  /** The snapshots this host holds data for, sorted. */
  public Set<SnapshotId> storedSnapshots() {
    return data.storedSnapshots();
  }

  /** Declares a family this agent cannot restore: restores report it in unsupportedFamilies and leave it alone. */
  public void unsupportedFamily(String family) {
    data.unsupportedFamily(family);
  }

  // ---------------------------------------------------------------- scripting and call record

  /** Makes the next call of {@code op} (after any already scripted) suffer {@code fault}; see {@link FaultyHostAgent#failNext}. */
  public void failNext(Op op, Fault fault) {
    faults.failNext(op, fault);
  }

  /** Makes every call of {@code op} suffer {@code fault} until {@link #clearFaults()}; one-shot faults go first. */
  public void failAlways(Op op, Fault fault) {
    faults.failAlways(op, fault);
  }

  /** Removes every scripted fault, latency and gate, and releases current hangs. */
  public void clearFaults() {
    faults.clearFaults();
  }

  /** Adds {@code delay} to every call of {@code op} (zero removes it). */
  public void latency(Op op, Duration delay) {
    faults.latency(op, delay);
  }

  /** Holds every call of {@code op} at a gate; see {@link FaultyHostAgent#gate}. */
  public void gate(Op op, CountDownLatch arrivals, CountDownLatch release) {
    faults.gate(op, arrivals, release);
  }

  /** Lets hanging calls proceed; see {@link FaultyHostAgent#releaseHangs}. */
  public void releaseHangs() {
    faults.releaseHangs();
  }

  /** Every finished call, in the order they finished. */
  public List<Call> calls() {
    return faults.calls();
  }

  /** The finished calls of one op, in the order they finished. */
  public List<Call> calls(Op op) {
    return faults.calls(op);
  }

  /** The most calls of {@code op} that were in progress at the same moment. */
  public int maxConcurrentCalls(Op op) {
    return faults.maxConcurrentCalls(op);
  }

  /** Waits until at least {@code count} calls of {@code op} have started; see {@link FaultyHostAgent#awaitCalls}. */
  public boolean awaitCalls(Op op, int count, Duration timeout) {
    return faults.awaitCalls(op, count, timeout);
  }

  /** Forgets recorded calls and concurrency figures (not state, snapshots or faults). */
  public void clearCalls() {
    faults.clearCalls();
  }

  // ---------------------------------------------------------------- HostAgent

  @Override
  public CaptureResult capture(CaptureRequest request) {
    return faults.capture(request);
  }

  @Override
  public Manifest describe(WorkloadRef workload) {
    return faults.describe(workload);
  }

  @Override
  public void preflight(RestoreRequest request) {
    faults.preflight(request);
  }

  @Override
  public RestoreOutcome restore(RestoreRequest request) {
    return faults.restore(request);
  }

  @Override
  public DeleteOutcome delete(WorkloadRef workload, SnapshotId snapshot) {
    return faults.delete(workload, snapshot);
  }

  @Override
  public OptionalLong sizeOf(WorkloadRef workload, SnapshotId snapshot) {
    return faults.sizeOf(workload, snapshot);
  }

  /**
   * Forks: the child workload is created holding exactly the snapshot's state, and the snapshot is
   * stored again under the child's id. CONFLICT if the child workload exists; INVALID_ARGUMENT for
   * a target (this agent has no directories). Scripted through {@link Op#FORK}.
   */
  @Override
  public CaptureResult fork(ForkRequest request) {
    return faults.fork(request);
  }
}
