package io.snapshotkit.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.snapshotkit.EventType;
import io.snapshotkit.Plan;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.TenantId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.EventHook;
import io.snapshotkit.spi.ManifestStore;
import io.snapshotkit.spi.PlanProvider;
import io.snapshotkit.testkit.FakeHostAgent;
import io.snapshotkit.testkit.FakeHostDirectory;
import io.snapshotkit.testkit.FakeLifecycle;
import io.snapshotkit.testkit.InMemoryBlobStore;
import io.snapshotkit.testkit.InMemoryManifestStore;
import io.snapshotkit.testkit.MutableClock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * Wires a real engine to the testkit fakes: an in-memory store and blob store, a directory of fake
 * hosts ("h1".."hN") with workload {@link #W} placed on h1, a recording lifecycle, a mutable clock
 * and a small fixed thread pool.
 */
final class Fixture implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  static final TenantId ACME = TenantId.of("acme");
  static final TenantId GLOBEX = TenantId.of("globex");
  static final WorkloadRef W = WorkloadRef.of(ACME, "ws-1");

  /** Settings a test may change before the engine is built. */
  static final class Options {
    int hosts = 1;
    int threads = 4;
    PlanProvider plans = tenant -> Plan.UNLIMITED;
    int inlineLimit = EngineSettings.DEFAULT_INLINE_MANIFEST_LIMIT;
    Duration hostTimeout = Duration.ofSeconds(20);
    Duration lockTimeout = Duration.ofSeconds(20);
    Duration stuckAfter = Duration.ofHours(1);
    boolean blobStore = true;
    /** Hooks by name; when not empty they are dispatched manually ({@link SnapshotEngine#pollEvents()}). */
    Map<String, EventHook> hooks = new LinkedHashMap<>();
    /** Settings of the manual dispatcher, used when {@link #hooks} is not empty. */
    DispatcherSettings dispatch = DispatcherSettings.defaults().withoutJitter();
    /** Runs hook calls; direct by default so that {@code pollEvents()} is deterministic. */
    Executor deliveryExecutor = Runnable::run;
    /** What the engine is given in place of {@link #store} (a recording or failing wrapper); the store itself by default. */
    UnaryOperator<ManifestStore> engineStore = UnaryOperator.identity();
    /** What hears the engine's operations; none by default. */
    EngineObserver observer = EngineObserver.NONE;
  }

  final MutableClock clock = MutableClock.epoch();
  final InMemoryManifestStore store = new InMemoryManifestStore();
  final InMemoryBlobStore blobs = new InMemoryBlobStore();
  final FakeHostDirectory directory;
  final FakeLifecycle lifecycle = new FakeLifecycle();
  final ExecutorService pool;
  final SnapshotEngine engine;

  static Fixture create() {
    return create(o -> { });
  }

  static Fixture create(Consumer<Options> customize) {
    Options options = new Options();
    customize.accept(options);
    return new Fixture(options);
  }

  private Fixture(Options o) {
    directory = FakeHostDirectory.withHosts(o.hosts);
    AtomicInteger n = new AtomicInteger();
    pool = Executors.newFixedThreadPool(o.threads, r -> {
      Thread t = new Thread(r, "engine-test-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    SnapshotEngine.Builder builder = SnapshotEngine.builder()
        .manifestStore(o.engineStore.apply(store))
        .hosts(directory)
        .lifecycle(lifecycle)
        .plans(o.plans)
        .clock(clock)
        .executor(pool)
        .random(new SplittableRandom(42))
        .inlineManifestLimit(o.inlineLimit)
        .hostTimeout(o.hostTimeout)
        .lockTimeout(o.lockTimeout)
        .stuckCaptureAfter(o.stuckAfter)
        .observer(o.observer);
    if (o.blobStore) {
      builder.blobStore(blobs);
    }
    if (!o.hooks.isEmpty()) {
      o.hooks.forEach(builder::eventHook);
      builder.manualEventDispatch(o.deliveryExecutor, o.dispatch);
    }
    engine = builder.build();
    directory.place(W, "h1");
    seed(W, "h1");
  }

  /** Gives a workload some state on a host: two users and one setting. */
  void seed(WorkloadRef workload, String host) {
    FakeHostAgent agent = directory.agentFor(host);
    agent.put(workload, "users", "alice", doc("role", "admin"));
    agent.put(workload, "users", "bob", doc("role", "viewer"));
    agent.put(workload, "settings", "theme", doc("value", "dark"));
  }

  FakeHostAgent h1() {
    return directory.agentFor("h1");
  }

  static JsonNode doc(String field, String value) {
    return JSON.createObjectNode().put(field, value);
  }

  Snapshot capture() {
    return engine.capture(CaptureSpec.of(W));
  }

  /** Polls the engine's dispatcher until a poll makes no delivery; returns the deliveries made. */
  int drainEvents() {
    int total = 0;
    for (int n = engine.pollEvents(); n > 0; n = engine.pollEvents()) {
      total += n;
    }
    return total;
  }

  Snapshot row(SnapshotId id) {
    return store.find(id).orElseThrow(() -> new AssertionError("no row " + id));
  }

  List<EventType> eventTypes() {
    return store.events().stream().map(SnapshotEvent::type).toList();
  }

  List<SnapshotEvent> events(EventType type) {
    return store.events().stream().filter(e -> e.type() == type).toList();
  }

  static Map<String, String> labels(String k, String v) {
    return Map.of(k, v);
  }

  @Override
  public void close() {
    engine.close();
    directory.agents().forEach(FakeHostAgent::releaseHangs);
    pool.shutdownNow();
    try {
      pool.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
