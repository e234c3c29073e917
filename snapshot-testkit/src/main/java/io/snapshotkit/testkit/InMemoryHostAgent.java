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
 * The in-memory host data plane behind {@link FakeHostAgent}: a workload's state is a set of
 * families of resources, each a JSON document under a natural key. It has no faults and records
 * nothing; {@link FaultyHostAgent} adds both, and applies the two faults that act inside an
 * operation (a partial capture, a resource that fails to restore) through the package-private
 * overloads of {@link #capture(CaptureRequest, boolean)} and {@link #restore(RestoreRequest, Optional)}.
 *
 * <p><b>Thread-safety:</b> thread-safe; only the short reads and writes of state are serialised.
 */
final class InMemoryHostAgent implements HostAgent, HostFork {

  private record Stored(WorkloadRef workload, Map<String, Map<String, JsonNode>> families, long sizeBytes) {}

  private final String hostId;
  private final Clock clock;

  private final Object stateLock = new Object();
  private final Map<WorkloadRef, TreeMap<String, TreeMap<String, JsonNode>>> workloads = new HashMap<>();
  private final Map<SnapshotId, Stored> stored = new HashMap<>();
  private final Set<String> unsupported = ConcurrentHashMap.newKeySet();

  InMemoryHostAgent(String hostId, Clock clock) {
    this.hostId = hostId;
    this.clock = clock;
  }

  String hostId() {
    return hostId;
  }

  // ---------------------------------------------------------------- workload state

  /** Makes the workload exist with empty state (harmless if it exists). */
  void createWorkload(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    synchronized (stateLock) {
      workloads.computeIfAbsent(workload, w -> new TreeMap<>());
    }
  }

  /** Removes the workload and its state (its snapshots stay); later captures of it are NOT_FOUND. */
  void deleteWorkload(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    synchronized (stateLock) {
      workloads.remove(workload);
    }
  }

  /** Whether the workload exists on this host. */
  boolean hasWorkload(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    synchronized (stateLock) {
      return workloads.containsKey(workload);
    }
  }

  /** Creates or replaces one resource, creating the workload if needed. The document is copied. */
  void put(WorkloadRef workload, String family, String key, JsonNode document) {
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
  boolean remove(WorkloadRef workload, String family, String key) {
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
  Map<String, Map<String, JsonNode>> state(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    synchronized (stateLock) {
      TreeMap<String, TreeMap<String, JsonNode>> state = workloads.get(workload);
      return state == null ? Map.of() : copy(state);
    }
  }

  /** Whether this host holds data for the snapshot. */
  boolean hasSnapshot(SnapshotId id) {
    Objects.requireNonNull(id, "id");
    synchronized (stateLock) {
      return stored.containsKey(id);
    }
  }

  /** The snapshots this host holds data for, sorted. */
  Set<SnapshotId> storedSnapshots() {
    synchronized (stateLock) {
      return Collections.unmodifiableSet(new TreeSet<>(stored.keySet()));
    }
  }

  /** Declares a family this agent cannot restore: restores report it in unsupportedFamilies and leave it alone. */
  void unsupportedFamily(String family) {
    Objects.requireNonNull(family, "family");
    unsupported.add(family);
  }

  // ---------------------------------------------------------------- HostAgent

  @Override
  public CaptureResult capture(CaptureRequest request) {
    return capture(request, false);
  }

  /** A capture; if {@code partial}, one resource is left out of the stored data and the manifest says so. */
  CaptureResult capture(CaptureRequest request, boolean partial) {
    Objects.requireNonNull(request, "request");
    synchronized (stateLock) {
      Map<String, Map<String, JsonNode>> copied = copy(requireWorkload(request.workload()));
      Map<String, Map<String, JsonNode>> families = partial ? withoutOneResource(copied) : copied;
      long size = sizeOf(families);
      stored.put(request.snapshotId(), new Stored(request.workload(), families, size));
      return new CaptureResult(manifest(request.workload(), families, partial), size);
    }
  }

  @Override
  public Manifest describe(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    synchronized (stateLock) {
      return manifest(workload, copy(requireWorkload(workload)), false);
    }
  }

  @Override
  public void preflight(RestoreRequest request) {
    Objects.requireNonNull(request, "request");
    synchronized (stateLock) {
      requireStored(request.snapshotId());
      if (request.target().isEmpty()) {
        requireWorkload(request.workload());
      } else {
        WorkloadRef.of(request.workload().tenant(), request.target().get());
      }
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
    return restore(request, Optional.empty());
  }

  /** A restore in which the resource under key {@code failing}, if present, cannot be written. */
  RestoreOutcome restore(RestoreRequest request, Optional<String> failing) {
    Objects.requireNonNull(request, "request");
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

  /**
   * Creates the child workload holding exactly the source snapshot's state and stores that state
   * again as the child's snapshot, in one step under the state lock (so there is never half a
   * child).
   */
  @Override
  public CaptureResult fork(ForkRequest request) {
    Objects.requireNonNull(request, "request");
    if (request.target().isPresent()) {
      throw SnapshotException.invalid("host " + hostId + " keeps workloads in memory and has no fork targets; "
          + "fork without one");
    }
    synchronized (stateLock) {
      Stored source = requireStored(request.sourceSnapshot());
      if (!source.workload().equals(request.source())) {
        throw SnapshotException.notFound("host " + hostId + " holds no snapshot " + request.sourceSnapshot() + " of "
            + request.source()).withSnapshot(request.sourceSnapshot());
      }
      if (workloads.containsKey(request.child())) {
        throw new SnapshotException(ErrorCode.CONFLICT, "workload " + request.child() + " already exists on host "
            + hostId + "; fork into a new workload id").withWorkload(request.child());
      }
      TreeMap<String, TreeMap<String, JsonNode>> live = new TreeMap<>();
      copy(source.families()).forEach((family, docs) -> live.put(family, new TreeMap<>(docs)));
      workloads.put(request.child(), live);
      Map<String, Map<String, JsonNode>> families = copy(source.families());
      stored.put(request.childSnapshot(), new Stored(request.child(), families, source.sizeBytes()));
      return new CaptureResult(manifest(request.child(), families, false), source.sizeBytes());
    }
  }

  @Override
  public DeleteOutcome delete(WorkloadRef workload, SnapshotId snapshot) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(snapshot, "snapshot");
    synchronized (stateLock) {
      Stored s = stored.get(snapshot);
      if (s == null || !s.workload().equals(workload)) {
        return DeleteOutcome.NOT_FOUND;
      }
      stored.remove(snapshot);
      return DeleteOutcome.DELETED;
    }
  }

  @Override
  public OptionalLong sizeOf(WorkloadRef workload, SnapshotId snapshot) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(snapshot, "snapshot");
    synchronized (stateLock) {
      Stored s = stored.get(snapshot);
      return s == null || !s.workload().equals(workload) ? OptionalLong.empty() : OptionalLong.of(s.sizeBytes());
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
