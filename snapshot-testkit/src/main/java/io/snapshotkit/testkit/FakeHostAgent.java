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
import io.snapshotkit.spi.HostAgent;
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
 * An in-memory host data plane with scripted faults and a record of every call.
 *
 * <p>A workload's state is a set of <em>families</em> of resources, each resource a JSON document
 * under a natural key: {@code put(w, "users", "alice", doc)}. {@link #capture} copies the state
 * into a manifest whose family {@code f} holds {@code Resource(f + "/" + key, key, document)} and
 * whose size is the total UTF-8 length of the documents' JSON text; {@link #describe} returns the
 * current state the same way. Restore follows the {@link HostAgent} contract: ADDITIVE re-creates
 * missing keys and skips existing ones, REPLACE makes the workload exactly the snapshot (within
 * {@link RestoreRequest#paths()} key prefixes, when given) or changes nothing.
 *
 * <p>Faults are scripted per {@link Op}: {@link #failNext} applies to one call (in the order
 * scripted) and takes precedence over {@link #failAlways}. {@link #latency} and {@link #gate}
 * apply to every call of an op, before its fault.
 *
 * <p><b>Thread-safety:</b> thread-safe. Calls run concurrently; only the short reads and writes
 * of state are serialised, never the scripted delays, hangs or gates.
 */
public final class FakeHostAgent implements HostAgent {

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
    PREFLIGHT
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

  private record Stored(WorkloadRef workload, Map<String, Map<String, JsonNode>> families, long sizeBytes) {}

  private record Gate(CountDownLatch arrivals, CountDownLatch release) {}

  private final String hostId;
  private final Clock clock;

  private final Object stateLock = new Object();
  private final Map<WorkloadRef, TreeMap<String, TreeMap<String, JsonNode>>> workloads = new HashMap<>();
  private final Map<SnapshotId, Stored> stored = new HashMap<>();
  private final Set<String> unsupported = ConcurrentHashMap.newKeySet();

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

  /** An agent for host {@code hostId} whose manifests are stamped 2026-01-01T00:00:00Z. */
  public FakeHostAgent(String hostId) {
    this(hostId, MutableClock.epoch());
  }

  /** An agent for host {@code hostId} whose manifests are stamped with {@code clock}'s time. */
  public FakeHostAgent(String hostId, Clock clock) {
    Objects.requireNonNull(hostId, "hostId");
    Objects.requireNonNull(clock, "clock");
    if (hostId.isBlank()) {
      throw new IllegalArgumentException("a host id must not be blank");
    }
    this.hostId = hostId;
    this.clock = clock;
  }

  /** This agent's host id. */
  public String hostId() {
    return hostId;
  }

  // ---------------------------------------------------------------- workload state

  /** Makes the workload exist with empty state (harmless if it exists). */
  public void createWorkload(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    synchronized (stateLock) {
      workloads.computeIfAbsent(workload, w -> new TreeMap<>());
    }
  }

  /** Removes the workload and its state (its snapshots stay); later captures of it are NOT_FOUND. */
  public void deleteWorkload(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    synchronized (stateLock) {
      workloads.remove(workload);
    }
  }

  /** Whether the workload exists on this host. */
  public boolean hasWorkload(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    synchronized (stateLock) {
      return workloads.containsKey(workload);
    }
  }

  /** Creates or replaces one resource, creating the workload if needed. The document is copied. */
  public void put(WorkloadRef workload, String family, String key, JsonNode document) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(family, "family");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(document, "document");
    if (family.isEmpty() || key.isEmpty()) {
      throw new IllegalArgumentException("family and key must not be empty");
    }
    synchronized (stateLock) {
      workloads.computeIfAbsent(workload, w -> new TreeMap<>())
          .computeIfAbsent(family, f -> new TreeMap<>())
          .put(key, document.deepCopy());
    }
  }

  /**
   * Removes one resource; a family left empty disappears.
   *
   * @return whether there was such a resource
   */
  public boolean remove(WorkloadRef workload, String family, String key) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(family, "family");
    Objects.requireNonNull(key, "key");
    synchronized (stateLock) {
      TreeMap<String, TreeMap<String, JsonNode>> state = workloads.get(workload);
      if (state == null || !state.containsKey(family)) {
        return false;
      }
      boolean removed = state.get(family).remove(key) != null;
      if (state.get(family).isEmpty()) {
        state.remove(family);
      }
      return removed;
    }
  }

  /** A copy of the workload's state (family → key → document), sorted; empty if the workload does not exist. */
  public Map<String, Map<String, JsonNode>> state(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    synchronized (stateLock) {
      TreeMap<String, TreeMap<String, JsonNode>> state = workloads.get(workload);
      return state == null ? Map.of() : copy(state);
    }
  }

  /** Whether this host holds data for the snapshot. */
  public boolean hasSnapshot(SnapshotId id) {
    Objects.requireNonNull(id, "id");
    synchronized (stateLock) {
      return stored.containsKey(id);
    }
  }

  /** The snapshots this host holds data for, sorted. */
  public Set<SnapshotId> storedSnapshots() {
    synchronized (stateLock) {
      return Collections.unmodifiableSet(new TreeSet<>(stored.keySet()));
    }
  }

  /** Declares a family this agent cannot restore: restores report it in unsupportedFamilies and leave it alone. */
  public void unsupportedFamily(String family) {
    Objects.requireNonNull(family, "family");
    unsupported.add(family);
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

  private static void check(Op op, Fault fault) {
    Objects.requireNonNull(op, "op");
    Objects.requireNonNull(fault, "fault");
    if (fault.kind() == Fault.Kind.PARTIAL_CAPTURE && op != Op.CAPTURE) {
      throw new IllegalArgumentException("Fault.partialCapture() applies to CAPTURE only, not " + op);
    }
    if (fault.kind() == Fault.Kind.FAIL_RESOURCE && op != Op.RESTORE) {
      throw new IllegalArgumentException("Fault.failResource() applies to RESTORE only, not " + op);
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
          "host " + hostId + " is offline (injected by FakeHostAgent); retry when it is back");
      case ERROR -> throw new IllegalStateException(fault.detail());
      case NOT_FOUND -> {
        if (op != Op.DELETE) {
          throw SnapshotException.notFound("not found on host " + hostId + " (injected by FakeHostAgent)");
        }
      }
      case CORRUPT -> throw new SnapshotException(ErrorCode.CORRUPT,
          "stored data on host " + hostId + " failed its check (injected by FakeHostAgent); capture a new snapshot");
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
      boolean partial = fault.map(f -> f.kind() == Fault.Kind.PARTIAL_CAPTURE).orElse(false);
      synchronized (stateLock) {
        Map<String, Map<String, JsonNode>> copied = copy(requireWorkload(request.workload()));
        Map<String, Map<String, JsonNode>> families = partial ? withoutOneResource(copied) : copied;
        long size = sizeOf(families);
        stored.put(request.snapshotId(), new Stored(request.workload(), families, size));
        return new CaptureResult(manifest(request.workload(), families, partial), size);
      }
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
      synchronized (stateLock) {
        return manifest(workload, copy(requireWorkload(workload)), false);
      }
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
      synchronized (stateLock) {
        requireStored(request.snapshotId());
        if (request.target().isEmpty()) {
          requireWorkload(request.workload());
        } else {
          WorkloadRef.of(request.workload().tenant(), request.target().get());
        }
      }
    } finally {
      end(Op.PREFLIGHT, request.workload(), Optional.of(request.snapshotId()), start);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>A {@link RestoreRequest#target()} names another workload of the same tenant to restore
   * into; it is created if it does not exist.
   */
  @Override
  public RestoreOutcome restore(RestoreRequest request) {
    Objects.requireNonNull(request, "request");
    long start = System.nanoTime();
    try {
      Optional<String> failing = begin(Op.RESTORE).flatMap(Fault::failingKey);
      synchronized (stateLock) {
        Stored snapshot = requireStored(request.snapshotId());
        WorkloadRef into;
        if (request.target().isPresent()) {
          into = WorkloadRef.of(request.workload().tenant(), request.target().get());
          workloads.computeIfAbsent(into, w -> new TreeMap<>());
        } else {
          into = request.workload();
          requireWorkload(into);
        }
        return request.mode() == RestoreMode.ADDITIVE
            ? additive(snapshot, into, request.paths(), failing)
            : replace(snapshot, into, request.paths(), failing);
      }
    } finally {
      end(Op.RESTORE, request.workload(), Optional.of(request.snapshotId()), start);
    }
  }

  private RestoreOutcome additive(Stored snapshot, WorkloadRef into, List<String> paths, Optional<String> failing) {
    TreeMap<String, TreeMap<String, JsonNode>> state = workloads.get(into);
    Map<String, FamilyRestore> outcome = new TreeMap<>();
    List<String> unsupportedFamilies = new ArrayList<>();
    snapshot.families().forEach((family, resources) -> {
      if (unsupported.contains(family)) {
        unsupportedFamilies.add(family);
        return;
      }
      int created = 0;
      int skipped = 0;
      List<RestoreFailure> failures = new ArrayList<>();
      for (Map.Entry<String, JsonNode> r : resources.entrySet()) {
        String key = r.getKey();
        if (!selected(key, paths)) {
          continue;
        }
        if (failing.isPresent() && failing.get().equals(key)) {
          failures.add(new RestoreFailure(family + "/" + key, "could not be created (injected by FakeHostAgent)",
              ErrorCode.INTERNAL));
          continue;
        }
        TreeMap<String, JsonNode> live = state.computeIfAbsent(family, f -> new TreeMap<>());
        if (live.containsKey(key)) {
          skipped++;
        } else {
          live.put(key, r.getValue().deepCopy());
          created++;
        }
      }
      if (state.containsKey(family) && state.get(family).isEmpty()) {
        state.remove(family);
      }
      outcome.put(family, FamilyRestore.of(created, skipped, failures));
    });
    return new RestoreOutcome(outcome, unsupportedFamilies, List.of());
  }

  private RestoreOutcome replace(Stored snapshot, WorkloadRef into, List<String> paths, Optional<String> failing) {
    if (failing.isPresent()) {
      boolean touched = snapshot.families().entrySet().stream()
          .filter(e -> !unsupported.contains(e.getKey()))
          .anyMatch(e -> e.getValue().containsKey(failing.get()) && selected(failing.get(), paths));
      if (touched) {
        throw new IllegalStateException("replace restore of '" + failing.get()
            + "' failed (injected by FakeHostAgent); the workload was left unchanged");
      }
    }
    TreeMap<String, TreeMap<String, JsonNode>> state = workloads.get(into);
    Set<String> families = new TreeSet<>(state.keySet());
    families.addAll(snapshot.families().keySet());
    Map<String, FamilyRestore> outcome = new TreeMap<>();
    List<String> unsupportedFamilies = new ArrayList<>();
    for (String family : families) {
      if (unsupported.contains(family)) {
        if (snapshot.families().containsKey(family)) {
          unsupportedFamilies.add(family);
        }
        continue;
      }
      TreeMap<String, JsonNode> live = state.computeIfAbsent(family, f -> new TreeMap<>());
      live.keySet().removeIf(key -> selected(key, paths));
      int written = 0;
      for (Map.Entry<String, JsonNode> r : snapshot.families().getOrDefault(family, Map.of()).entrySet()) {
        if (selected(r.getKey(), paths)) {
          live.put(r.getKey(), r.getValue().deepCopy());
          written++;
        }
      }
      if (live.isEmpty()) {
        state.remove(family);
      }
      if (snapshot.families().containsKey(family)) {
        outcome.put(family, new FamilyRestore(written, 0, List.of()));
      }
    }
    return new RestoreOutcome(outcome, unsupportedFamilies, List.of());
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
      synchronized (stateLock) {
        Stored s = stored.get(snapshot);
        if (s == null || !s.workload().equals(workload)) {
          return DeleteOutcome.NOT_FOUND;
        }
        stored.remove(snapshot);
        return DeleteOutcome.DELETED;
      }
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
      synchronized (stateLock) {
        Stored s = stored.get(snapshot);
        return s == null || !s.workload().equals(workload) ? OptionalLong.empty() : OptionalLong.of(s.sizeBytes());
      }
    } finally {
      end(Op.SIZE, workload, Optional.of(snapshot), start);
    }
  }

  // ---------------------------------------------------------------- helpers (callers hold stateLock)

  private TreeMap<String, TreeMap<String, JsonNode>> requireWorkload(WorkloadRef workload) {
    TreeMap<String, TreeMap<String, JsonNode>> state = workloads.get(workload);
    if (state == null) {
      throw SnapshotException.notFound("workload " + workload + " does not exist on host " + hostId
          + "; check the workload id and the host directory's placement").withWorkload(workload);
    }
    return state;
  }

  private Stored requireStored(SnapshotId id) {
    Stored s = stored.get(id);
    if (s == null) {
      throw SnapshotException.notFound("host " + hostId + " holds no data for snapshot " + id
          + "; it was never captured here or has been deleted").withSnapshot(id);
    }
    return s;
  }

  private static boolean selected(String key, List<String> paths) {
    return paths.isEmpty() || paths.stream().anyMatch(key::startsWith);
  }

  private static Map<String, Map<String, JsonNode>> copy(Map<String, ? extends Map<String, JsonNode>> state) {
    Map<String, Map<String, JsonNode>> out = new TreeMap<>();
    state.forEach((family, resources) -> {
      Map<String, JsonNode> docs = new TreeMap<>();
      resources.forEach((key, doc) -> docs.put(key, doc.deepCopy()));
      out.put(family, Collections.unmodifiableMap(docs));
    });
    return Collections.unmodifiableMap(out);
  }

  /** A copy without the first resource of the first non-empty family, as a capture that missed one. */
  private static Map<String, Map<String, JsonNode>> withoutOneResource(Map<String, Map<String, JsonNode>> families) {
    Map<String, Map<String, JsonNode>> out = new TreeMap<>();
    boolean dropped = false;
    for (Map.Entry<String, Map<String, JsonNode>> e : families.entrySet()) {
      TreeMap<String, JsonNode> resources = new TreeMap<>(e.getValue());
      if (!dropped && !resources.isEmpty()) {
        resources.pollFirstEntry();
        dropped = true;
      }
      if (!resources.isEmpty()) {
        out.put(e.getKey(), Collections.unmodifiableMap(resources));
      }
    }
    return Collections.unmodifiableMap(out);
  }

  private static long sizeOf(Map<String, Map<String, JsonNode>> families) {
    long bytes = 0;
    for (Map<String, JsonNode> resources : families.values()) {
      for (JsonNode doc : resources.values()) {
        bytes += doc.toString().getBytes(StandardCharsets.UTF_8).length;
      }
    }
    return bytes;
  }

  private Manifest manifest(WorkloadRef workload, Map<String, Map<String, JsonNode>> families, boolean partial) {
    Map<String, List<Resource>> out = new TreeMap<>();
    families.forEach((family, resources) -> {
      List<Resource> list = new ArrayList<>();
      resources.forEach((key, doc) -> list.add(new Resource(family + "/" + key, key, doc)));
      out.put(family, list);
    });
    return Manifest.of(clock.instant(), workload, partial, out);
  }
}
