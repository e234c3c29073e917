package io.snapshotkit.core;

import io.snapshotkit.spi.BlobStore;
import io.snapshotkit.spi.EventHook;
import io.snapshotkit.spi.HostDirectory;
import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.spi.ManifestStore;
import io.snapshotkit.spi.PlanProvider;
import io.snapshotkit.spi.QuiescePolicy;
import io.snapshotkit.spi.WorkloadLock;
import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.random.RandomGenerator;

/**
 * The frozen configuration of a {@link SnapshotEngine}, produced by {@link SnapshotEngine.Builder#build()}
 * and read through {@link SnapshotEngine#settings()}. A read-only view: it has no public
 * constructor, so a new setting (a new accessor) is not a breaking change.
 *
 * <p><b>Thread-safety:</b> immutable (the collaborators it names are themselves thread-safe by
 * their SPI contracts).
 */
public final class EngineSettings {

  /** The default {@code inlineManifestLimit}: 256 KiB. */
  public static final int DEFAULT_INLINE_MANIFEST_LIMIT = 256 * 1024;
  /** The default {@code hostTimeout}. */
  public static final Duration DEFAULT_HOST_TIMEOUT = Duration.ofSeconds(30);
  /** The default {@code lockTimeout}. */
  public static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofMinutes(1);
  /** The default {@code stuckCaptureAfter}. */
  public static final Duration DEFAULT_STUCK_CAPTURE_AFTER = Duration.ofHours(1);

  private final ManifestStore manifestStore;
  private final Optional<BlobStore> blobStore;
  private final HostDirectory hosts;
  private final Lifecycle lifecycle;
  private final WorkloadLock workloadLock;
  private final PlanProvider plans;
  private final Clock clock;
  private final Executor executor;
  private final RandomGenerator random;
  private final int inlineManifestLimit;
  private final Duration hostTimeout;
  private final Duration lockTimeout;
  private final Duration stuckCaptureAfter;
  private final QuiescePolicy quiescePolicy;
  private final Map<String, EventHook> hooks;
  private final EngineObserver observer;

  /** Validates and copies; the builder fills in the defaults. */
  EngineSettings(
      ManifestStore manifestStore,
      Optional<BlobStore> blobStore,
      HostDirectory hosts,
      Lifecycle lifecycle,
      WorkloadLock workloadLock,
      PlanProvider plans,
      Clock clock,
      Executor executor,
      RandomGenerator random,
      int inlineManifestLimit,
      Duration hostTimeout,
      Duration lockTimeout,
      Duration stuckCaptureAfter,
      QuiescePolicy quiescePolicy,
      Map<String, EventHook> hooks,
      EngineObserver observer) {
    this.observer = Objects.requireNonNull(observer, "observer");
    this.manifestStore = Objects.requireNonNull(manifestStore, "manifestStore");
    this.blobStore = Objects.requireNonNull(blobStore, "blobStore");
    this.hosts = Objects.requireNonNull(hosts, "hosts");
    this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle");
    this.workloadLock = Objects.requireNonNull(workloadLock, "workloadLock");
    this.plans = Objects.requireNonNull(plans, "plans");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.executor = Objects.requireNonNull(executor, "executor");
    this.random = Objects.requireNonNull(random, "random");
    this.quiescePolicy = Objects.requireNonNull(quiescePolicy, "quiescePolicy");
    this.hostTimeout = requirePositive("hostTimeout", hostTimeout);
    this.lockTimeout = requirePositive("lockTimeout", lockTimeout);
    this.stuckCaptureAfter = requirePositive("stuckCaptureAfter", stuckCaptureAfter);
    if (inlineManifestLimit < 0) {
      throw new IllegalArgumentException("inlineManifestLimit must not be negative: " + inlineManifestLimit);
    }
    this.inlineManifestLimit = inlineManifestLimit;
    Objects.requireNonNull(hooks, "hooks");
    LinkedHashMap<String, EventHook> copy = new LinkedHashMap<>();
    hooks.forEach((name, hook) -> copy.put(Objects.requireNonNull(name, "hook name"), Objects.requireNonNull(hook, "hook")));
    this.hooks = Collections.unmodifiableMap(copy);
  }

  /** Durable metadata and the event outbox. */
  public ManifestStore manifestStore() {
    return manifestStore;
  }

  /** Where manifests above {@link #inlineManifestLimit()} go; empty keeps every manifest inline. */
  public Optional<BlobStore> blobStore() {
    return blobStore;
  }

  /** The host directory. */
  public HostDirectory hosts() {
    return hosts;
  }

  /** Quiesce and resume of running workloads. */
  public Lifecycle lifecycle() {
    return lifecycle;
  }

  /** The per-workload lock held across quiesce → work → resume. */
  public WorkloadLock workloadLock() {
    return workloadLock;
  }

  /** Plan limits per tenant. */
  public PlanProvider plans() {
    return plans;
  }

  /** The engine's only source of time. */
  public Clock clock() {
    return clock;
  }

  /** Runs asynchronous captures, delete fan-out and size resolution. */
  public Executor executor() {
    return executor;
  }

  /** The source of randomness for snapshot and event ids. */
  public RandomGenerator random() {
    return random;
  }

  /** Manifests whose JSON is larger than this many bytes go to the blob store. */
  public int inlineManifestLimit() {
    return inlineManifestLimit;
  }

  /** How long one host may take to answer a delete or a size query. */
  public Duration hostTimeout() {
    return hostTimeout;
  }

  /** How long an operation waits for a workload's lock before failing with CONFLICT. */
  public Duration lockTimeout() {
    return lockTimeout;
  }

  /** How old a CAPTURING snapshot must be before the reaper fails it. */
  public Duration stuckCaptureAfter() {
    return stuckCaptureAfter;
  }

  /** The quiesce policy of captures and additive restores that do not name one. */
  public QuiescePolicy quiescePolicy() {
    return quiescePolicy;
  }

  /** What hears the engine's operations, for metrics; {@link EngineObserver#NONE} by default. */
  public EngineObserver observer() {
    return observer;
  }

  /** The registered event hooks by unique name, in registration order (unmodifiable). */
  public Map<String, EventHook> hooks() {
    return hooks;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof EngineSettings other)) {
      return false;
    }
    return inlineManifestLimit == other.inlineManifestLimit
        && manifestStore.equals(other.manifestStore)
        && blobStore.equals(other.blobStore)
        && hosts.equals(other.hosts)
        && lifecycle.equals(other.lifecycle)
        && workloadLock.equals(other.workloadLock)
        && plans.equals(other.plans)
        && clock.equals(other.clock)
        && executor.equals(other.executor)
        && random.equals(other.random)
        && hostTimeout.equals(other.hostTimeout)
        && lockTimeout.equals(other.lockTimeout)
        && stuckCaptureAfter.equals(other.stuckCaptureAfter)
        && quiescePolicy.equals(other.quiescePolicy)
        && hooks.equals(other.hooks);
  }

  @Override
  public int hashCode() {
    return Objects.hash(manifestStore, blobStore, hosts, lifecycle, workloadLock, plans, clock, executor, random,
        inlineManifestLimit, hostTimeout, lockTimeout, stuckCaptureAfter, quiescePolicy, hooks);
  }

  @Override
  public String toString() {
    return "EngineSettings[" + "manifestStore=" + manifestStore + ", "
        + "blobStore=" + blobStore + ", "
        + "hosts=" + hosts + ", "
        + "lifecycle=" + lifecycle + ", "
        + "workloadLock=" + workloadLock + ", "
        + "plans=" + plans + ", "
        + "clock=" + clock + ", "
        + "executor=" + executor + ", "
        + "random=" + random + ", "
        + "inlineManifestLimit=" + inlineManifestLimit + ", "
        + "hostTimeout=" + hostTimeout + ", "
        + "lockTimeout=" + lockTimeout + ", "
        + "stuckCaptureAfter=" + stuckCaptureAfter + ", "
        + "quiescePolicy=" + quiescePolicy + ", "
        + "hooks=" + hooks + "]";
  }

  static Duration requirePositive(String what, Duration value) {
    Objects.requireNonNull(value, what);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(what + " must be positive: " + value);
    }
    return value;
  }
}
