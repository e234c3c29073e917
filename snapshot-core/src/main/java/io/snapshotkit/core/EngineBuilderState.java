package io.snapshotkit.core;

import io.snapshotkit.Plan;
import io.snapshotkit.spi.BlobStore;
import io.snapshotkit.spi.EventHook;
import io.snapshotkit.spi.HostDirectory;
import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.spi.ManifestStore;
import io.snapshotkit.spi.PlanProvider;
import io.snapshotkit.spi.QuiescePolicy;
import io.snapshotkit.spi.StartPosition;
import io.snapshotkit.spi.WorkloadLock;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.random.RandomGenerator;

/**
 * What a {@link SnapshotEngine.Builder} has been given so far, each setting set once, and the
 * assembly of the engine from it: every missing or inconsistent setting reported at once, the
 * settings frozen with their defaults, and the event dispatcher created (and started for
 * background dispatch). The builder's public methods delegate here.
 *
 * <p><b>Thread-safety:</b> not thread-safe, like the builder.
 */
final class EngineBuilderState {
  private ManifestStore manifestStore;
  private BlobStore blobStore;
  private HostDirectory hosts;
  private Lifecycle lifecycle;
  private WorkloadLock workloadLock;
  private PlanProvider plans;
  private EngineObserver observer;
  private Clock clock;
  private Executor executor;
  private RandomGenerator random;
  private Integer inlineManifestLimit;
  private Duration hostTimeout;
  private Duration lockTimeout;
  private Duration stuckCaptureAfter;
  private QuiescePolicy quiescePolicy;
  private final LinkedHashMap<String, EventHook> hooks = new LinkedHashMap<>();
  private final TreeMap<String, StartPosition> hookStarts = new TreeMap<>();
  private EventDispatch eventDispatch;
  private boolean built;

  void manifestStore(ManifestStore value) {
    manifestStore = once("manifestStore", manifestStore, value);
  }

  void blobStore(BlobStore value) {
    blobStore = once("blobStore", blobStore, value);
  }

  void hosts(HostDirectory value) {
    hosts = once("hosts", hosts, value);
  }

  void lifecycle(Lifecycle value) {
    lifecycle = once("lifecycle", lifecycle, value);
  }

  void workloadLock(WorkloadLock value) {
    workloadLock = once("workloadLock", workloadLock, value);
  }

  void observer(EngineObserver value) {
    observer = once("observer", observer, value);
  }

  void plans(PlanProvider value) {
    plans = once("plans", plans, value);
  }

  void clock(Clock value) {
    clock = once("clock", clock, value);
  }

  void executor(Executor value) {
    executor = once("executor", executor, value);
  }

  void random(RandomGenerator value) {
    random = once("random", random, value);
  }

  void inlineManifestLimit(int bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("inlineManifestLimit must not be negative: " + bytes);
    }
    inlineManifestLimit = once("inlineManifestLimit", inlineManifestLimit, bytes);
  }

  void hostTimeout(Duration value) {
    hostTimeout = once("hostTimeout", hostTimeout, EngineSettings.requirePositive("hostTimeout", value));
  }

  void lockTimeout(Duration value) {
    lockTimeout = once("lockTimeout", lockTimeout, EngineSettings.requirePositive("lockTimeout", value));
  }

  void stuckCaptureAfter(Duration value) {
    stuckCaptureAfter = once("stuckCaptureAfter", stuckCaptureAfter,
        EngineSettings.requirePositive("stuckCaptureAfter", value));
  }

  void quiescePolicy(QuiescePolicy value) {
    quiescePolicy = once("quiescePolicy", quiescePolicy, value);
  }

  void eventHook(String name, EventHook hook) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(hook, "hook");
    checkNotBuilt();
    if (name.isBlank()) {
      throw new IllegalArgumentException("an event hook's name must not be blank");
    }
    EventHook old = hooks.get(name);
    if (old != null) {
      throw new IllegalStateException("event hook '" + name + "' was already registered (" + old + ")");
    }
    hooks.put(name, hook);
  }

  void eventHook(String name, EventHook hook, StartPosition start) {
    Objects.requireNonNull(start, "start");
    eventHook(name, hook);
    hookStarts.put(name, start);
  }

  void eventDispatch(Optional<ScheduledExecutorService> scheduler, Executor deliveryExecutor,
      DispatcherSettings dispatcherSettings) {
    Objects.requireNonNull(deliveryExecutor, "deliveryExecutor");
    Objects.requireNonNull(dispatcherSettings, "dispatcherSettings");
    eventDispatch = once("eventDispatch", eventDispatch,
        new EventDispatch(scheduler, deliveryExecutor, dispatcherSettings));
  }

  /** See {@link SnapshotEngine.Builder#build()}. */
  SnapshotEngine build() {
    checkNotBuilt();
    List<String> missing = new ArrayList<>();
    if (manifestStore == null) {
      missing.add("manifestStore (where snapshot metadata lives)");
    }
    if (hosts == null) {
      missing.add("hosts (the host directory)");
    }
    if (lifecycle == null) {
      missing.add("lifecycle (Lifecycle.none() for purely logical workloads)");
    }
    if (clock == null) {
      missing.add("clock");
    }
    if (executor == null) {
      missing.add("executor");
    }
    List<String> invalid = new ArrayList<>();
    DispatcherSettings dispatchSettings = null;
    if (!hooks.isEmpty() && eventDispatch == null) {
      missing.add("eventDispatch or manualEventDispatch (event hooks " + hooks.keySet()
          + " are registered, and without a dispatcher nothing would deliver their events)");
    }
    if (hooks.isEmpty() && eventDispatch != null) {
      invalid.add("event dispatch is configured but no eventHook is registered; register a hook or drop the "
          + "event dispatch");
    }
    if (eventDispatch != null) {
      dispatchSettings = eventDispatch.settings();
      for (String named : dispatchSettings.startPositions().keySet()) {
        if (!hooks.containsKey(named)) {
          invalid.add("the dispatcher settings give a start position for hook '" + named
              + "', which is not registered; registered hooks: " + hooks.keySet());
        }
      }
      for (Map.Entry<String, StartPosition> e : hookStarts.entrySet()) {
        StartPosition inSettings = dispatchSettings.startPositions().get(e.getKey());
        if (inSettings == null) {
          dispatchSettings = dispatchSettings.withStartPosition(e.getKey(), e.getValue());
        } else if (inSettings != e.getValue()) {
          invalid.add("hook '" + e.getKey() + "' starts at " + e.getValue() + " in eventHook but at " + inSettings
              + " in the dispatcher settings; give one start position");
        }
      }
    }
    if (!missing.isEmpty() || !invalid.isEmpty()) {
      List<String> problems = new ArrayList<>();
      if (!missing.isEmpty()) {
        problems.add("set: " + String.join(", ", missing));
      }
      problems.addAll(invalid);
      throw new IllegalStateException("cannot build a SnapshotEngine; " + String.join("; ", problems));
    }
    EngineSettings frozen = new EngineSettings(
        manifestStore,
        Optional.ofNullable(blobStore),
        hosts,
        lifecycle,
        workloadLock != null ? workloadLock : WorkloadLocks.inProcess(),
        plans != null ? plans : tenant -> Plan.UNLIMITED,
        clock,
        executor,
        random != null ? random : new LazySecureRandom(),
        inlineManifestLimit != null ? inlineManifestLimit : EngineSettings.DEFAULT_INLINE_MANIFEST_LIMIT,
        hostTimeout != null ? hostTimeout : EngineSettings.DEFAULT_HOST_TIMEOUT,
        lockTimeout != null ? lockTimeout : EngineSettings.DEFAULT_LOCK_TIMEOUT,
        stuckCaptureAfter != null ? stuckCaptureAfter : EngineSettings.DEFAULT_STUCK_CAPTURE_AFTER,
        quiescePolicy != null ? quiescePolicy : QuiescePolicy.PAUSE,
        hooks,
        observer != null ? observer : EngineObserver.NONE);
    Optional<OutboxDispatcher> dispatcher = Optional.empty();
    if (eventDispatch != null) {
      OutboxDispatcher created = eventDispatch.scheduler().isPresent()
          ? OutboxDispatcher.create(manifestStore.outbox(), frozen.hooks(), clock,
              eventDispatch.scheduler().get(), eventDispatch.deliveryExecutor(), dispatchSettings)
          : OutboxDispatcher.createPolledByCaller(manifestStore.outbox(), frozen.hooks(), clock,
              eventDispatch.deliveryExecutor(), dispatchSettings);
      created.observedBy(new Observations(frozen.observer()));
      if (eventDispatch.scheduler().isPresent()) {
        created.start();
      }
      dispatcher = Optional.of(created);
    }
    built = true;
    return new SnapshotEngine(frozen, dispatcher);
  }

  /** How the registered hooks' events are dispatched: in the background with a scheduler, or manually. */
  private record EventDispatch(
      Optional<ScheduledExecutorService> scheduler, Executor deliveryExecutor, DispatcherSettings settings) {
    @Override
    public String toString() {
      return (scheduler.isPresent() ? "background dispatch" : "manual dispatch") + " (owner "
          + settings.ownerId() + ")";
    }
  }

  private <T> T once(String name, T old, T value) {
    Objects.requireNonNull(value, name);
    checkNotBuilt();
    if (old != null) {
      throw new IllegalStateException(name + " was already set to " + old);
    }
    return value;
  }

  private void checkNotBuilt() {
    if (built) {
      throw new IllegalStateException("this builder already built an engine; use a new builder");
    }
  }
}
