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
 * The frozen configuration of a {@link SnapshotEngine}, produced by {@link SnapshotEngine.Builder#build()}.
 *
 * <p><b>Thread-safety:</b> immutable (the collaborators it names are themselves thread-safe by
 * their SPI contracts).
 *
 * @param manifestStore durable metadata and the event outbox
 * @param blobStore where manifests above {@code inlineManifestLimit} go; empty keeps every manifest inline
 * @param hosts the host directory
 * @param lifecycle quiesce and resume of running workloads
 * @param workloadLock the per-workload lock held across quiesce → work → resume
 * @param plans plan limits per tenant
 * @param clock the engine's only source of time
 * @param executor runs asynchronous captures, delete fan-out and size resolution
 * @param random the source of randomness for snapshot and event ids
 * @param inlineManifestLimit manifests whose JSON is larger than this many bytes go to the blob store
 * @param hostTimeout how long one host may take to answer a delete or a size query
 * @param lockTimeout how long an operation waits for a workload's lock before failing with CONFLICT
 * @param stuckCaptureAfter how old a CAPTURING snapshot must be before the reaper fails it
 * @param quiescePolicy the quiesce policy of captures and additive restores that do not name one
 * @param hooks the registered event hooks by unique name, in registration order
 */
public record EngineSettings(
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
    Map<String, EventHook> hooks) {

  /** The default {@code inlineManifestLimit}: 256 KiB. */
  public static final int DEFAULT_INLINE_MANIFEST_LIMIT = 256 * 1024;
  /** The default {@code hostTimeout}. */
  public static final Duration DEFAULT_HOST_TIMEOUT = Duration.ofSeconds(30);
  /** The default {@code lockTimeout}. */
  public static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofMinutes(1);
  /** The default {@code stuckCaptureAfter}. */
  public static final Duration DEFAULT_STUCK_CAPTURE_AFTER = Duration.ofHours(1);

  /** Validates and copies. */
  public EngineSettings {
    Objects.requireNonNull(manifestStore, "manifestStore");
    Objects.requireNonNull(blobStore, "blobStore");
    Objects.requireNonNull(hosts, "hosts");
    Objects.requireNonNull(lifecycle, "lifecycle");
    Objects.requireNonNull(workloadLock, "workloadLock");
    Objects.requireNonNull(plans, "plans");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(executor, "executor");
    Objects.requireNonNull(random, "random");
    Objects.requireNonNull(quiescePolicy, "quiescePolicy");
    requirePositive("hostTimeout", hostTimeout);
    requirePositive("lockTimeout", lockTimeout);
    requirePositive("stuckCaptureAfter", stuckCaptureAfter);
    if (inlineManifestLimit < 0) {
      throw new IllegalArgumentException("inlineManifestLimit must not be negative: " + inlineManifestLimit);
    }
    Objects.requireNonNull(hooks, "hooks");
    LinkedHashMap<String, EventHook> copy = new LinkedHashMap<>();
    hooks.forEach((name, hook) -> copy.put(Objects.requireNonNull(name, "hook name"), Objects.requireNonNull(hook, "hook")));
    hooks = Collections.unmodifiableMap(copy);
  }

  static Duration requirePositive(String what, Duration value) {
    Objects.requireNonNull(value, what);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(what + " must be positive: " + value);
    }
    return value;
  }
}
