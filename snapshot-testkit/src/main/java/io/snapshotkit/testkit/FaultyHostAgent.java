package io.snapshotkit.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.FamilyRestore;
import io.snapshotkit.Manifest;
import io.snapshotkit.Resource;
import io.snapshotkit.RestoreFailure;
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
import io.snapshotkit.spi.RestoreOutcome;
import io.snapshotkit.spi.RestoreRequest;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Wraps any {@link HostAgent} (the in-memory {@link FakeHostAgent}, a real {@code FsHostAgent}, a
 * remote agent) with scripted faults and a record of every call, so the same fault scripts run
 * against every agent.
 *
 * <p>Faults are scripted per {@link Op}: {@link #failNext} applies to one call (in the order
 * scripted) and takes precedence over {@link #failAlways}. {@link #latency} and {@link #gate}
 * apply to every call of an op, before its fault. A fault that ends the call (offline, error,
 * not found, corrupt) is thrown before the wrapped agent is called, so the agent changes nothing;
 * a delete scripted NOT_FOUND reports {@link DeleteOutcome#NOT_FOUND} without calling it. The
 * two faults that act inside an operation, {@link Fault#partialCapture()} and
 * {@link Fault#failResource(String)}, need the in-memory agent's data plane and are refused for
 * any other agent. The wrapper is a {@link HostAgent} only: optional capabilities of the wrapped
 * agent, such as {@code HostDiff}, are not visible through it.
 *
 * <p><b>Thread-safety:</b> thread-safe if the wrapped agent is. Calls run concurrently; the
 * scripted delays, hangs and gates never hold a lock.
 */
public final class FaultyHostAgent implements HostAgent, HostFork {


  /** The operations that are recorded and can be scripted to fail. */
  public enum Op {
    /** {@link HostAgent#capture}. */
    CAPTURE,
    /** {@link HostAgent#describe}. */
    DESCRIBE,
    /** {@link HostAgent#restore}. */
    RESTORE,
    /** {@link HostAgent#delete}. */
    DELETE,
    /** {@link HostAgent#sizeOf}. */
    SIZE,
    /** {@link HostAgent#preflight}. */
    PREFLIGHT,
    /** {@link HostFork#fork}. */
    FORK
  }

  /**
   * One finished call, for assertions on order, overlap and threads.
   *
   * <p><b>Thread-safety:</b> immutable.
   *
   * @param op which operation
   * @param workload the workload it concerned
   * @param snapshot the snapshot it concerned, if any
   * @param startNanos {@link System#nanoTime()} when the call began
   * @param endNanos {@link System#nanoTime()} when it returned or threw
   * @param thread the name of the calling thread
   */
  public record Call(Op op, WorkloadRef workload, Optional<SnapshotId> snapshot, long startNanos, long endNanos,
      String thread) {
    /** Validates. */
    public Call {
      Objects.requireNonNull(op, "op");
      Objects.requireNonNull(workload, "workload");
      Objects.requireNonNull(snapshot, "snapshot");
      Objects.requireNonNull(thread, "thread");
    }

    /** Whether this call and {@code other} were running at the same time. */
    public boolean overlaps(Call other) {
      return startNanos < other.endNanos && other.startNanos < endNanos;
    }
  }

  private record Gate(CountDownLatch arrivals, CountDownLatch release) {}

  private final String hostId;
  private final HostAgent agent;

  private final Map<Op, ConcurrentLinkedDeque<Fault>> nextFaults = new ConcurrentHashMap<>();
  private final Map<Op, Fault> alwaysFaults = new ConcurrentHashMap<>();
  private final Map<Op, Duration> latencies = new ConcurrentHashMap<>();
  private final Map<Op, Gate> gates = new ConcurrentHashMap<>();

  private final Object hangLock = new Object();
  private long hangGeneration;

  private final Object callLock = new Object();
  private final List<Call> calls = new ArrayList<>();
  private final Map<Op, Integer> started = new EnumMap<>(Op.class);
  private final Map<Op, Integer> inFlight = new EnumMap<>(Op.class);
  private final Map<Op, Integer> maxInFlight = new EnumMap<>(Op.class);

  private FaultyHostAgent(String hostId, HostAgent agent) {
    this.hostId = hostId;
    this.agent = agent;
  }

  /**
   * Wraps {@code agent}, the agent of host {@code hostId} (the id is named in the injected failures).
   *
   * @throws IllegalArgumentException if {@code hostId} is blank
   */
  public static FaultyHostAgent wrap(String hostId, HostAgent agent) {
    Objects.requireNonNull(hostId, "hostId");
    Objects.requireNonNull(agent, "agent");
    if (hostId.isBlank()) {
      throw new IllegalArgumentException("a host id must not be blank");
    }
    return new FaultyHostAgent(hostId, agent);
  }

  /** The host id named in injected failures. */
  public String hostId() {
    return hostId;
  }

  // ---------------------------------------------------------------- scripting

  /** Makes the next call of {@code op} (after any already scripted) suffer {@code fault}. */
  public void failNext(Op op, Fault fault) {
    check(op, fault);
    nextFaults.computeIfAbsent(op, o -> new ConcurrentLinkedDeque<>()).add(fault);
  }

  /** Makes every call of {@code op} suffer {@code fault} until {@link #clearFaults()}; one-shot faults go first. */
  public void failAlways(Op op, Fault fault) {
    check(op, fault);
    alwaysFaults.put(op, fault);
  }

  /** Removes every scripted fault, latency and gate, and releases current hangs. */
  public void clearFaults() {
    nextFaults.clear();
    alwaysFaults.clear();
    latencies.clear();
    gates.clear();
    releaseHangs();
  }

  /** Adds {@code delay} to every call of {@code op} (zero removes it). */
  public void latency(Op op, Duration delay) {
    Objects.requireNonNull(op, "op");
    Objects.requireNonNull(delay, "delay");
    if (delay.isNegative()) {
      throw new IllegalArgumentException("latency must not be negative: " + delay);
    }
    if (delay.isZero()) {
      latencies.remove(op);
    } else {
      latencies.put(op, delay);
    }
  }

  /**
   * Makes every call of {@code op} count down {@code arrivals} and then wait for {@code release}
   * before doing anything else. With {@code arrivals} sized to the expected number of calls and
   * {@code release} opened only after {@code arrivals} reached zero, a test proves the calls ran in
   * parallel without measuring time.
   */
  public void gate(Op op, CountDownLatch arrivals, CountDownLatch release) {
    Objects.requireNonNull(op, "op");
    gates.put(op, new Gate(Objects.requireNonNull(arrivals, "arrivals"), Objects.requireNonNull(release, "release")));
  }

  /**
   * Lets every call that has already started (see {@link #awaitCalls}) and hangs, or is about to
   * hang, on a {@link Fault#hang()} proceed normally. Calls that start later hang until the next release.
   */
  public void releaseHangs() {
    synchronized (hangLock) {
      hangGeneration++;
      hangLock.notifyAll();
    }
  }

  private void check(Op op, Fault fault) {
    Objects.requireNonNull(op, "op");
    Objects.requireNonNull(fault, "fault");
    if (fault.kind() == Fault.Kind.PARTIAL_CAPTURE && op != Op.CAPTURE) {
      throw new IllegalArgumentException("Fault.partialCapture() applies to CAPTURE only, not " + op);
    }
    if (fault.kind() == Fault.Kind.FAIL_RESOURCE && op != Op.RESTORE) {
      throw new IllegalArgumentException("Fault.failResource() applies to RESTORE only, not " + op);
    }
    if ((fault.kind() == Fault.Kind.PARTIAL_CAPTURE || fault.kind() == Fault.Kind.FAIL_RESOURCE)
        && !(agent instanceof InMemoryHostAgent)) {
      throw new IllegalArgumentException("Fault." + (op == Op.CAPTURE ? "partialCapture()" : "failResource()")
          + " acts inside the operation and needs FakeHostAgent's data plane; " + agent.getClass().getSimpleName()
          + " cannot be scripted with it");
    }
  }


  // ---------------------------------------------------------------- call record

  /** Every finished call, in the order they finished. */
  public List<Call> calls() {
    synchronized (callLock) {
      return List.copyOf(calls);
    }
  }

  /** The finished calls of one op, in the order they finished. */
  public List<Call> calls(Op op) {
    Objects.requireNonNull(op, "op");
    synchronized (callLock) {
      return calls.stream().filter(c -> c.op() == op).toList();
    }
  }

  /** The most calls of {@code op} that were in progress at the same moment. */
  public int maxConcurrentCalls(Op op) {
    Objects.requireNonNull(op, "op");
    synchronized (callLock) {
      return maxInFlight.getOrDefault(op, 0);
    }
  }

  /**
   * Waits until at least {@code count} calls of {@code op} have <em>started</em> (a hanging or
   * gated call counts as soon as it entered the agent).
   *
   * @return false if the timeout passed first (or the waiting thread was interrupted; its flag is set again)
   */
  public boolean awaitCalls(Op op, int count, Duration timeout) {
    Objects.requireNonNull(op, "op");
    Objects.requireNonNull(timeout, "timeout");
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (callLock) {
      while (started.getOrDefault(op, 0) < count) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(callLock, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return true;
    }
  }

  /** Forgets recorded calls and concurrency figures (not state, snapshots or faults). */
  public void clearCalls() {
    synchronized (callLock) {
      calls.clear();
      started.clear();
      maxInFlight.clear();
    }
  }

  /** Begins a call: records it as started and runs the gate, latency and fault; returns the fault to apply in the op. */
  private Optional<Fault> begin(Op op) {
    long generation;
    synchronized (hangLock) {
      generation = hangGeneration;
    }
    synchronized (callLock) {
      started.merge(op, 1, Integer::sum);
      int now = inFlight.merge(op, 1, Integer::sum);
      maxInFlight.merge(op, now, Math::max);
      callLock.notifyAll();
    }
    Gate gate = gates.get(op);
    if (gate != null) {
      gate.arrivals().countDown();
      try {
        gate.release().await();
      } catch (InterruptedException e) {
        throw interrupted(op, e);
      }
    }
    Duration delay = latencies.get(op);
    if (delay != null) {
      sleep(op, delay);
    }
    ConcurrentLinkedDeque<Fault> queue = nextFaults.get(op);
    Fault fault = queue == null ? null : queue.poll();
    if (fault == null) {
      fault = alwaysFaults.get(op);
    }
    if (fault == null) {
      return Optional.empty();
    }
    switch (fault.kind()) {
      case OFFLINE -> throw new SnapshotException(ErrorCode.HOST_UNAVAILABLE,
          "host " + hostId + " is offline (injected by FaultyHostAgent); retry when it is back");
      case ERROR -> throw new IllegalStateException(fault.detail());
      case NOT_FOUND -> {
        if (op != Op.DELETE) {
          throw SnapshotException.notFound("not found on host " + hostId + " (injected by FaultyHostAgent)");
        }
      }
      case CORRUPT -> throw new SnapshotException(ErrorCode.CORRUPT,
          "stored data on host " + hostId + " failed its check (injected by FaultyHostAgent); capture a new snapshot");
      case LATENCY -> sleep(op, fault.delay());
      case HANG -> hang(op, generation);
      case PARTIAL_CAPTURE, FAIL_RESOURCE -> {
        // applied by the operation itself
      }
    }
    return Optional.of(fault);
  }

  private void end(Op op, WorkloadRef workload, Optional<SnapshotId> snapshot, long startNanos) {
    long endNanos = System.nanoTime();
    synchronized (callLock) {
      inFlight.merge(op, -1, Integer::sum);
      calls.add(new Call(op, workload, snapshot, startNanos, endNanos, Thread.currentThread().getName()));
      callLock.notifyAll();
    }
  }

  private void sleep(Op op, Duration delay) {
    try {
      TimeUnit.NANOSECONDS.sleep(delay.toNanos());
    } catch (InterruptedException e) {
      throw interrupted(op, e);
    }
  }

  /** Waits until {@link #releaseHangs()} is called after this call began (so a release right after awaitCalls works). */
  private void hang(Op op, long generation) {
    synchronized (hangLock) {
      while (hangGeneration == generation) {
        try {
          hangLock.wait();
        } catch (InterruptedException e) {
          throw interrupted(op, e);
        }
      }
    }
  }

  private SnapshotException interrupted(Op op, InterruptedException e) {
    Thread.currentThread().interrupt();
    return new SnapshotException(ErrorCode.HOST_UNAVAILABLE,
        op + " on host " + hostId + " was interrupted before it finished; retry it", e);
  }

  // ---------------------------------------------------------------- HostAgent

  @Override
  public CaptureResult capture(CaptureRequest request) {
    Objects.requireNonNull(request, "request");
    long start = System.nanoTime();
    try {
      Optional<Fault> fault = begin(Op.CAPTURE);
      if (fault.map(f -> f.kind() == Fault.Kind.PARTIAL_CAPTURE).orElse(false)) {
        return ((InMemoryHostAgent) agent).capture(request, true);
      }
      return agent.capture(request);
    } finally {
      end(Op.CAPTURE, request.workload(), Optional.of(request.snapshotId()), start);
    }
  }

  @Override
  public Manifest describe(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    long start = System.nanoTime();
    try {
      begin(Op.DESCRIBE);
      return agent.describe(workload);
    } finally {
      end(Op.DESCRIBE, workload, Optional.empty(), start);
    }
  }

  @Override
  public void preflight(RestoreRequest request) {
    Objects.requireNonNull(request, "request");
    long start = System.nanoTime();
    try {
      begin(Op.PREFLIGHT);
      agent.preflight(request);
    } finally {
      end(Op.PREFLIGHT, request.workload(), Optional.of(request.snapshotId()), start);
    }
  }

  @Override
  public RestoreOutcome restore(RestoreRequest request) {
    Objects.requireNonNull(request, "request");
    long start = System.nanoTime();
    try {
      Optional<String> failing = begin(Op.RESTORE).flatMap(Fault::failingKey);
      if (failing.isPresent()) {
        return ((InMemoryHostAgent) agent).restore(request, failing);
      }
      return agent.restore(request);
    } finally {
      end(Op.RESTORE, request.workload(), Optional.of(request.snapshotId()), start);
    }
  }

  @Override
  public DeleteOutcome delete(WorkloadRef workload, SnapshotId snapshot) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(snapshot, "snapshot");
    long start = System.nanoTime();
    try {
      Optional<Fault> fault = begin(Op.DELETE);
      if (fault.isPresent() && fault.get().kind() == Fault.Kind.NOT_FOUND) {
        return DeleteOutcome.NOT_FOUND;
      }
      return agent.delete(workload, snapshot);
    } finally {
      end(Op.DELETE, workload, Optional.of(snapshot), start);
    }
  }

  @Override
  public OptionalLong sizeOf(WorkloadRef workload, SnapshotId snapshot) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(snapshot, "snapshot");
    long start = System.nanoTime();
    try {
      begin(Op.SIZE);
      return agent.sizeOf(workload, snapshot);
    } finally {
      end(Op.SIZE, workload, Optional.of(snapshot), start);
    }
  }

  /**
   * Forks through the wrapped agent, after this op's gate, latency and fault ({@link Op#FORK});
   * refused INVALID_ARGUMENT if the wrapped agent has no {@link HostFork}, as the engine refuses
   * such an agent.
   */
  @Override
  public CaptureResult fork(ForkRequest request) {
    Objects.requireNonNull(request, "request");
    long start = System.nanoTime();
    try {
      begin(Op.FORK);
      if (!(agent instanceof HostFork forker)) {
        throw SnapshotException.invalid("host " + hostId + " cannot fork: its agent does not implement HostFork");
      }
      return forker.fork(request);
    } finally {
      end(Op.FORK, request.child(), Optional.of(request.childSnapshot()), start);
    }
  }
}
