package io.snapshotkit.core;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.snapshotkit.DiffResult;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.EventType;
import io.snapshotkit.Manifest;
import io.snapshotkit.ManifestRef;
import io.snapshotkit.Page;
import io.snapshotkit.Plan;
import io.snapshotkit.RestoreMode;
import io.snapshotkit.RestoreReport;
import io.snapshotkit.RetentionPolicy;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.TenantId;
import io.snapshotkit.Trigger;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.Admission;
import io.snapshotkit.spi.BlobStore;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.CaptureResult;
import io.snapshotkit.spi.DeleteOutcome;
import io.snapshotkit.spi.EventHook;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.spi.HostDiff;
import io.snapshotkit.spi.HostDirectory;
import io.snapshotkit.spi.HostInfo;
import io.snapshotkit.spi.HostStatus;
import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.spi.ManifestStore;
import io.snapshotkit.spi.PlanProvider;
import io.snapshotkit.spi.QuiescePolicy;
import io.snapshotkit.spi.Quiesced;
import io.snapshotkit.spi.RestoreOutcome;
import io.snapshotkit.spi.RestoreRequest;
import io.snapshotkit.spi.ParkedEvent;
import io.snapshotkit.spi.StartPosition;
import io.snapshotkit.spi.StoreWork;
import io.snapshotkit.spi.WorkloadLease;
import io.snapshotkit.spi.WorkloadLock;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The snapshot engine: capture, numbered versions, list, diff, restore, rollback, strict delete,
 * retention and usage, for every workload of every tenant, over the SPIs it is built with.
 *
 * <pre>{@code
 * SnapshotEngine engine = SnapshotEngine.builder()
 *     .manifestStore(store)
 *     .hosts(HostDirectory.single(agent))
 *     .lifecycle(Lifecycle.none())
 *     .clock(Clock.systemUTC())
 *     .executor(executor)
 *     .build();
 * Snapshot s = engine.capture(CaptureSpec.of(WorkloadRef.of("acme", "ws-1")).name("before upgrade"));
 * }</pre>
 *
 * <p><b>Life of a snapshot</b> (each transition is a compare-and-set stored with its event):
 * <pre>
 *   CAPTURING ──▶ READY             capture committed, version assigned
 *   CAPTURING ──▶ FAILED            capture failed, or reaped as stuck
 *   READY     ──▶ DELETING          a strict delete starts (every host in the directory is ONLINE)
 *   DELETING  ──▶ (row removed)     every host confirmed
 *   DELETING  ──▶ READY             no host confirmed and none timed out: the data is intact
 *   DELETING  ──▶ DELETING          some host confirmed (or may have, having timed out) and another
 *                                   did not: unfinished, finished by the next delete, expiry sweep
 *                                   or retention run
 *   FAILED    ──▶ (row removed)     a strict delete (its host may hold partial data)
 * </pre>
 * A delete while the directory reports a host that is not ONLINE is refused before any host is
 * asked, and the row stays as it was. So a READY snapshot always has its data: once any host may
 * have dropped it, the snapshot is DELETING for good, listed as such, and restore, rollback and
 * diff refuse it with {@code CONFLICT} naming the hosts to wait for (kept in
 * {@link Snapshot#failure()}). A late or duplicate capture report never moves a snapshot back.
 *
 * <p><b>Tenancy:</b> every operation is scoped by tenant. A snapshot of another tenant is
 * reported as {@link ErrorCode#NOT_FOUND}, exactly like a snapshot that does not exist.
 *
 * <p><b>Events:</b> every state change appends its event to the store's outbox in the same
 * transaction as the change, so a change is never stored without its event nor an event without
 * its change. When hooks are registered ({@link Builder#eventHook}), the engine owns an
 * {@link OutboxDispatcher} that delivers the outbox to each hook at least once, with its own
 * durable cursor, in order per workload; see {@link Builder#eventDispatch} for background
 * delivery and {@link Builder#manualEventDispatch} for delivery driven by {@link #pollEvents()}.
 * A failing hook never affects the operation that appended the event: after its retries it is
 * parked ({@link #parkedEvents}) until replayed ({@link #replayEvent}).
 *
 * <p><b>Failures:</b> every failure is a {@link SnapshotException} with an {@link ErrorCode}; an
 * unexpected exception from an adapter becomes {@link ErrorCode#INTERNAL} with the cause kept.
 *
 * <p><b>Threads and time:</b> the engine starts no threads: asynchronous captures, the delete
 * fan-out and size queries run on the configured executor, and all time comes from the configured
 * clock.
 *
 * <p><b>Thread-safety:</b> thread-safe. Operations on one workload that capture or restore are
 * serialised by the {@link WorkloadLock}; everything else runs concurrently.
 */
public final class SnapshotEngine implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SnapshotEngine.class);

  /** Blob keys of external manifests are {@code manifests/<snapshot id>.json}. */
  static final String MANIFEST_BLOB_PREFIX = "manifests/";
  /** Label on a pre-restore snapshot naming the snapshot being restored. */
  static final String LABEL_RESTORE_OF = "snapshotkit.restore_of";
  /** How many rows one sweep or reaper run handles. */
  static final int SWEEP_BATCH = 1000;

  private final EngineSettings settings;
  private final ManifestStore store;
  private final Optional<BlobStore> blobs;
  private final HostDirectory hosts;
  private final Lifecycle lifecycle;
  private final WorkloadLock workloadLock;
  private final PlanProvider plans;
  private final Clock clock;
  private final Executor executor;
  /** Snapshot and event ids, increasing even within one millisecond, so listings are in creation order. */
  private final MonotonicIds ids;
  private final Cache<SnapshotId, Long> sizes = Caffeine.newBuilder().maximumSize(100_000).build();
  private final UsageGauge usage = new UsageGauge();
  private final AtomicBoolean closed = new AtomicBoolean();
  /** Snapshots this engine is deleting right now; a DELETING row not in here was interrupted. */
  private final Set<SnapshotId> deletesInFlight = ConcurrentHashMap.newKeySet();
  /** Delivers the outbox to the registered hooks; empty when no hook is registered. */
  private final Optional<OutboxDispatcher> dispatcher;

  private SnapshotEngine(EngineSettings settings, Optional<OutboxDispatcher> dispatcher) {
    this.settings = settings;
    this.dispatcher = dispatcher;
    this.store = settings.manifestStore();
    this.blobs = settings.blobStore();
    this.hosts = settings.hosts();
    this.lifecycle = settings.lifecycle();
    this.workloadLock = settings.workloadLock();
    this.plans = settings.plans();
    this.clock = settings.clock();
    this.executor = settings.executor();
    this.ids = new MonotonicIds(settings.random());
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** The settings this engine was built with. */
  public EngineSettings settings() {
    return settings;
  }

  // ───────────────────────────── capture ─────────────────────────────

  /**
   * Captures a workload and returns the READY snapshot with its version.
   *
   * <p>The CAPTURING row (and its {@code snapshot.capture.started} event) is stored first, under
   * the plan's limit. Then, holding the workload's lock, the workload is quiesced, captured on its
   * host against its parent (the workload's latest READY snapshot, read under the lock, so the
   * CAPTURING row has none yet) and always resumed, even if the capture fails or this thread is
   * interrupted. The manifest
   * is stored inline, or in the blob store when it is larger than the inline limit; the version is
   * assigned and the snapshot marked READY in one transaction with its {@code snapshot.created} event.
   *
   * @throws SnapshotException {@code INVALID_ARGUMENT} for a bad spec; {@code QUOTA_EXCEEDED} when
   *     the plan disables snapshots or its limit is reached; {@code NOT_FOUND} when no host runs the
   *     workload; {@code CONFLICT} when the workload's lock is not free in time; the host's error
   *     otherwise. After the row was stored, any failure leaves the snapshot FAILED.
   */
  public Snapshot capture(CaptureSpec spec) {
    Objects.requireNonNull(spec, "spec");
    ensureOpen();
    Snapshot row = admit(spec);
    return runCapture(row, spec);
  }

  /**
   * Starts a capture on the executor and returns at once with the CAPTURING row. The future
   * completes with the READY snapshot, or exceptionally with the {@link SnapshotException}
   * {@link #capture} would have thrown (the snapshot is then FAILED).
   *
   * @throws SnapshotException for failures before the row is stored (bad spec, quota), or
   *     {@code INTERNAL} if the executor refuses the task (the row is then FAILED)
   */
  public PendingCapture startCapture(CaptureSpec spec) {
    Objects.requireNonNull(spec, "spec");
    ensureOpen();
    Snapshot row = admit(spec);
    CompletableFuture<Snapshot> result = new CompletableFuture<>();
    try {
      executor.execute(() -> {
        try {
          result.complete(runCapture(row, spec));
        } catch (RuntimeException | Error e) {
          result.completeExceptionally(e);
        }
      });
    } catch (RejectedExecutionException e) {
      markFailed(row.id(), "the engine's executor refused the capture");
      throw new SnapshotException(ErrorCode.INTERNAL,
          "the engine's executor refused to run the capture; give the engine an executor with capacity and retry", e)
          .withWorkload(row.workload()).withSnapshot(row.id());
    }
    return new PendingCapture(row, result);
  }

  /** Checks the plan and stores the CAPTURING row with its event; returns the row. */
  private Snapshot admit(CaptureSpec spec) {
    WorkloadRef workload = spec.workload();
    Plan plan;
    try {
      plan = Objects.requireNonNull(plans.planFor(workload.tenant()), "the plan provider returned null");
    } catch (RuntimeException e) {
      throw context(SnapshotException.wrap("looking up the plan of tenant " + workload.tenant(), e), workload, null);
    }
    // A disabled plan (maxSnapshots 0) is refused by the store's admission like a reached limit,
    // so both refusals append their snapshot.quota_rejected event.
    Instant now = clock.instant();
    // The parent is chosen when the capture runs, under the workload's lock (captureUnderLease).
    Snapshot row = Snapshot.capturing(newSnapshotId(now), workload, spec.name(), spec.trigger(),
        Optional.empty(), now, plan.retention().map(now::plus), spec.labels());
    if (spec.protect()) {
      row = row.withProtected(true);
    }
    Snapshot inserted = row;
    Admission admission = transaction("storing the new snapshot of " + workload, tx -> {
      Admission a = tx.insertCapturing(inserted, plan.maxSnapshots());
      if (a.admitted()) {
        tx.append(event(EventType.CAPTURE_STARTED, inserted, Map.of("trigger", inserted.trigger().value())));
      }
      return a;
    });
    if (!admission.admitted()) {
      String usedOfMax = admission.used() + "/" + plan.maxSnapshots();
      try {
        transaction("recording the refused capture of " + workload, tx -> {
          tx.append(new SnapshotEvent(newEventId(), EventType.QUOTA_REJECTED, workload, Optional.empty(), 0,
              clock.instant(), Map.of("used", Long.toString(admission.used()),
                  "max", Integer.toString(plan.maxSnapshots()), "trigger", spec.trigger().value())));
          return null;
        });
      } catch (SnapshotException e) {
        log.warn("could not record the quota rejection of a capture of {}: {}", workload, e.getMessage());
      }
      throw new SnapshotException(ErrorCode.QUOTA_EXCEEDED, plan.enabled()
          ? "snapshot limit reached (" + usedOfMax + "); delete an old snapshot or raise the plan limit"
          : "snapshots are not enabled on this plan; choose a plan that includes snapshots").withWorkload(workload);
    }
    return inserted;
  }

  /** Locks, quiesces, captures, resumes and commits; on any failure marks the row FAILED and rethrows. */
  private Snapshot runCapture(Snapshot row, CaptureSpec spec) {
    try (WorkloadLease lease = lock(row.workload())) {
      return captureUnderLease(row, lease,
          spec.quiesce().orElse(settings.quiescePolicy()), spec.fullRescan(), Optional.empty());
    } catch (RuntimeException | Error e) {
      throw failCapture(row, e);
    } finally {
      // Even a failed commit may have committed (a lost acknowledgement): forget, never guess.
      usage.invalidate(row.tenant());
    }
  }

  /**
   * Captures {@code row} while the caller holds the workload's lease. With {@code quiesced} empty
   * the workload is quiesced and resumed here; otherwise the caller already quiesced it (a
   * pre-restore snapshot) and resumes it itself.
   *
   * <p>The parent is the workload's latest READY snapshot, read once, here: under the lease no
   * other capture of the workload can commit, so it is the snapshot the new one follows. It is
   * what the host captures against and what the READY row records.
   */
  private Snapshot captureUnderLease(Snapshot row, WorkloadLease lease, QuiescePolicy policy, boolean fullRescan,
      Optional<Quiesced> quiesced) {
    WorkloadRef workload = row.workload();
    String host = hostOf(workload);
    HostAgent agent = agent(host);
    Optional<SnapshotId> parent = latestReady(workload);
    CaptureResult result;
    if (quiesced.isPresent()) {
      result = captureOnHost(agent, host, row, parent, quiesced.get().runningReference(), fullRescan);
    } else {
      Quiet<CaptureResult> quiet = whileQuiesced(lease, policy,
          q -> captureOnHost(agent, host, row, parent, q.runningReference(), fullRescan));
      result = quiet.value();
      if (quiet.resumeFailure().isPresent()) {
        discardOnHost(agent, host, row);
        throw context(SnapshotException.wrap("resuming workload " + workload + " after its capture",
            quiet.resumeFailure().get()), workload, row.id());
      }
    }
    try {
      return commitReady(row, host, parent, result);
    } catch (RuntimeException e) {
      discardOnHost(agent, host, row);
      throw e;
    }
  }

  private CaptureResult captureOnHost(HostAgent agent, String host, Snapshot row, Optional<SnapshotId> parent,
      Optional<String> runningReference, boolean fullRescan) {
    CaptureResult result;
    try {
      result = agent.capture(new CaptureRequest(row.workload(), row.id(), parent, runningReference, fullRescan));
    } catch (RuntimeException e) {
      throw context(SnapshotException.wrap("capture on host " + host, e), row.workload(), row.id());
    }
    if (result == null || !result.manifest().workload().equals(row.workload())) {
      throw new SnapshotException(ErrorCode.INTERNAL,
          "host " + host + " returned " + (result == null ? "no capture result" : "a manifest of another workload")
              + "; report it to the host agent's maintainers").withWorkload(row.workload()).withSnapshot(row.id());
    }
    return result;
  }

  /** Stores the manifest and marks the snapshot READY with its version, in one transaction. */
  private Snapshot commitReady(Snapshot row, String host, Optional<SnapshotId> parent, CaptureResult result) {
    Manifest manifest = result.manifest();
    byte[] json = manifest.toJson();
    Map<String, Integer> counts = manifest.counts();
    ManifestRef ref = ManifestRef.inline(counts, json.length);
    if (blobs.isPresent() && json.length > settings.inlineManifestLimit()) {
      String key = MANIFEST_BLOB_PREFIX + row.id() + ".json";
      try {
        blobs.get().put(key, json);
        ref = ManifestRef.external(key, counts, json.length);
      } catch (RuntimeException e) {
        log.warn("storing the manifest of snapshot {} ({} bytes) in the blob store failed; keeping it inline: {}",
            row.id(), json.length, e.toString());
      }
    }
    ManifestRef stored = ref;
    try {
      return transaction("marking snapshot " + row.id() + " READY", tx -> {
        Snapshot current = tx.find(row.id()).orElseThrow(() -> lateReport(row, "it was removed"));
        if (current.status() != SnapshotStatus.CAPTURING) {
          throw lateReport(row, "it is " + current.status());
        }
        int version = tx.nextVersion(row.workload());
        Snapshot ready = new Snapshot(current.id(), current.workload(), version, current.name(), current.trigger(),
            SnapshotStatus.READY, parent, current.createdAt(), current.expiresAt(),
            OptionalLong.of(result.sizeBytes()), manifest.partial(), current.isProtected(), current.labels(),
            Optional.of(host), Optional.of(stored), Optional.empty());
        if (!tx.compareAndSet(SnapshotStatus.CAPTURING, ready)) {
          throw lateReport(row, "its status changed");
        }
        if (!stored.external()) {
          tx.putManifest(row.id(), json);
        }
        tx.append(event(EventType.CREATED, ready, Map.of(
            "trigger", ready.trigger().value(), "partial", Boolean.toString(ready.partial()))));
        return ready;
      });
    } catch (RuntimeException e) {
      stored.blobKey().ifPresent(this::deleteBlobQuietly);
      throw e;
    }
  }

  private static SnapshotException lateReport(Snapshot row, String why) {
    return new SnapshotException(ErrorCode.CONFLICT,
        "the capture of snapshot " + row.id() + " finished but " + why
            + " (a reaper or another report got there first); its data was discarded; capture again")
        .withWorkload(row.workload()).withSnapshot(row.id());
  }

  /** Marks a failed capture FAILED (if it is still CAPTURING) and returns what to throw. */
  private RuntimeException failCapture(Snapshot row, Throwable failure) {
    SnapshotException reported = context(SnapshotException.wrap("capture of " + row.workload(), failure),
        row.workload(), row.id());
    try {
      markFailed(row.id(), failureReason(reported));
    } catch (RuntimeException e) {
      log.error("could not mark snapshot {} FAILED after its capture failed; the reaper will", row.id(), e);
      failure.addSuppressed(e);
    }
    if (failure instanceof Error error) {
      throw error;
    }
    return reported;
  }

  /**
   * The reason a FAILED row and its event carry: the failure's message and, when it wraps an
   * adapter's exception whose own message it does not repeat ({@link SnapshotException#wrap} names
   * only the exception's class), that message too, so an event consumer sees what the host said.
   */
  private static String failureReason(SnapshotException reported) {
    String reason = oneLine(reported.getMessage());
    Throwable cause = reported.getCause();
    for (int depth = 0; cause != null && depth < 5; depth++, cause = cause.getCause()) {
      String said = oneLine(cause.getMessage());
      if (!said.isEmpty()) {
        return reason.contains(said) ? reason : oneLine(reason + "; cause: " + said);
      }
    }
    return reason;
  }

  /** CAS CAPTURING → FAILED with a FAILED event; false if the row is no longer CAPTURING. */
  private boolean markFailed(SnapshotId id, String reason) {
    return transaction("marking snapshot " + id + " FAILED", tx -> {
      Optional<Snapshot> current = tx.find(id);
      if (current.isEmpty() || current.get().status() != SnapshotStatus.CAPTURING) {
        return false;
      }
      Snapshot failed = current.get().failed(reason);
      if (!tx.compareAndSet(SnapshotStatus.CAPTURING, failed)) {
        return false;
      }
      tx.append(event(EventType.FAILED, failed, Map.of("reason", reason, "trigger", failed.trigger().value())));
      return true;
    });
  }

  /** Best effort: removes what a capture wrote on a host when its result cannot be kept. */
  private void discardOnHost(HostAgent agent, String host, Snapshot row) {
    try {
      agent.delete(row.workload(), row.id());
    } catch (RuntimeException e) {
      log.warn("could not remove the discarded capture {} from host {}; remove it by hand: {}",
          row.id(), host, e.toString());
    }
  }

  // ───────────────────────────── reads ─────────────────────────────

  /**
   * A snapshot of the tenant, with its size resolved from its host if it was unknown.
   *
   * @throws SnapshotException {@code NOT_FOUND} if it does not exist or belongs to another tenant
   */
  public Snapshot get(TenantId tenant, SnapshotId id) {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(id, "id");
    ensureOpen();
    return withSizes(List.of(owned(tenant, id))).get(0);
  }

  /**
   * A page of the query's snapshots, newest first. Unknown sizes are resolved from the capturing
   * hosts in parallel (each bounded by the host timeout), persisted and cached; a host that cannot
   * answer leaves the size unknown rather than failing the listing.
   */
  public Page<Snapshot> list(SnapshotQuery query) {
    Objects.requireNonNull(query, "query");
    ensureOpen();
    Page<Snapshot> page = read("listing snapshots of tenant " + query.tenant(), () -> store.list(query));
    return new Page<>(withSizes(page.items()), page.nextCursor());
  }

  /** The workload's snapshots that have a version (READY or being deleted), ascending by version. */
  public List<Snapshot> versions(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    ensureOpen();
    return read("listing versions of " + workload, () -> store.versions(workload));
  }

  /**
   * The workload's snapshot with this version.
   *
   * @throws SnapshotException {@code NOT_FOUND} if the workload has no versions (or belongs to
   *     another tenant) or this version was deleted; {@code INVALID_ARGUMENT} with the valid range
   *     if the version is out of range
   */
  public Snapshot version(WorkloadRef workload, int version) {
    Objects.requireNonNull(workload, "workload");
    ensureOpen();
    List<Snapshot> all = versions(workload);
    if (all.isEmpty()) {
      throw new SnapshotException(ErrorCode.NOT_FOUND,
          "workload " + workload + " has no versions; capture one first").withWorkload(workload);
    }
    int highest = all.get(all.size() - 1).version();
    if (version < 1 || version > highest) {
      throw new SnapshotException(ErrorCode.INVALID_ARGUMENT,
          "version " + version + " is out of range; workload " + workload + " has versions 1 to " + highest)
          .withWorkload(workload);
    }
    return all.stream().filter(s -> s.version() == version).findFirst()
        .orElseThrow(() -> new SnapshotException(ErrorCode.NOT_FOUND,
            "version " + version + " of workload " + workload + " was deleted; pick another version")
            .withWorkload(workload));
  }

  /**
   * The tenant's total stored snapshot bytes (known sizes of READY and DELETING snapshots), as the
   * store sums them. The sum is cached per tenant and dropped by every capture, delete and size
   * resolution of this engine, so it is re-read from the store on the next call after a change
   * rather than on every write. Another engine's writes on a shared store are seen once this
   * engine next changes the tenant, or on a new engine; no quota depends on this figure (the
   * snapshot limit is enforced by the store when a capture is admitted).
   */
  public long usageBytes(TenantId tenant) {
    Objects.requireNonNull(tenant, "tenant");
    ensureOpen();
    return usage.get(tenant, t -> read("summing the usage of tenant " + t, () -> store.usageBytes(t)));
  }

  // ───────────────────────────── diff ─────────────────────────────

  /**
   * Differences from snapshot {@code from} (older side) to snapshot {@code to}, per family, by
   * natural key, in a deterministic order. Uses the host's own diff when its agent implements
   * {@link HostDiff}. A stored manifest that cannot be reached (a missing blob, an unreadable
   * store, a host that no longer holds the data) gives a result marked degraded that says what is
   * missing, never a silently empty one; a side that is damaged (a manifest that is not valid,
   * data the host finds damaged) fails {@code CORRUPT}.
   *
   * @throws SnapshotException {@code NOT_FOUND} for an unknown or other tenant's snapshot;
   *     {@code INVALID_ARGUMENT} for snapshots of different workloads; {@code CONFLICT} for a
   *     snapshot that is not READY; {@code CORRUPT} if a side's manifest or data is damaged
   */
  public DiffResult diff(TenantId tenant, SnapshotId from, SnapshotId to) {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    ensureOpen();
    Snapshot older = owned(tenant, from);
    Snapshot newer = owned(tenant, to);
    if (!older.workload().equals(newer.workload())) {
      throw SnapshotException.invalid("cannot diff snapshots of different workloads (" + older.workload().id()
          + " and " + newer.workload().id() + "); pick two snapshots of one workload").withWorkload(older.workload());
    }
    requireReady(older, "diff");
    requireReady(newer, "diff");
    Optional<String> host = read("resolving the host of " + older.workload(), () -> hosts.hostOf(older.workload()));
    if (host.isPresent() && agent(host.get()) instanceof HostDiff hostDiff) {
      return hostDiff(hostDiff, host.get(), older, Optional.of(newer.id()));
    }
    return ManifestDiff.diff(from, Optional.of(to), intactOrCorrupt(older), intactOrCorrupt(newer));
  }

  /**
   * Differences from snapshot {@code from} to the workload's current state, as its host describes it.
   *
   * @throws SnapshotException as {@link #diff}, plus {@code NOT_FOUND} when no host runs the workload
   */
  public DiffResult diffCurrent(TenantId tenant, SnapshotId from) {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(from, "from");
    ensureOpen();
    Snapshot older = owned(tenant, from);
    requireReady(older, "diff");
    String host = hostOf(older.workload());
    HostAgent agent = agent(host);
    if (agent instanceof HostDiff hostDiff) {
      return hostDiff(hostDiff, host, older, Optional.empty());
    }
    Manifest current;
    try {
      current = agent.describe(older.workload());
    } catch (RuntimeException e) {
      throw context(SnapshotException.wrap("describing workload " + older.workload() + " on host " + host, e),
          older.workload(), null);
    }
    return ManifestDiff.diff(from, Optional.empty(), intactOrCorrupt(older), ManifestRead.of(current));
  }

  private DiffResult hostDiff(HostDiff hostDiff, String host, Snapshot older, Optional<SnapshotId> to) {
    try {
      return hostDiff.diff(older.workload(), older.id(), to);
    } catch (SnapshotException e) {
      // Degraded is for a side the host cannot reach (its data is not there); a side that fails
      // its integrity check is CORRUPT, never shown as a diff with nothing in it.
      if (e.code() == ErrorCode.NOT_FOUND) {
        return new DiffResult(older.id(), to, Map.of(), true,
            List.of("host " + host + " could not read a side of the diff: " + oneLine(e.getMessage())));
      }
      throw context(e, older.workload(), older.id());
    } catch (RuntimeException e) {
      throw context(SnapshotException.wrap("diff on host " + host, e), older.workload(), older.id());
    }
  }

  // ───────────────────────────── restore and rollback ─────────────────────────────

  /**
   * Restores a READY snapshot into its workload (or {@link RestoreSpec#target()}).
   *
   * <p>{@link RestoreMode#ADDITIVE}: under the workload's lock, quiesce (default policy), re-create
   * what the snapshot has and the workload lacks, resume. Existing resources are skipped and one
   * failing resource does not stop the others; running it twice creates nothing the second time.
   *
   * <p>{@link RestoreMode#REPLACE}: the host's pre-flight runs first and touches nothing; then under
   * the lock the engine re-checks that the host still runs the workload, stops it
   * ({@link QuiescePolicy#STOP}), takes a pre-restore snapshot with trigger
   * {@link Trigger#PRE_RESTORE} if asked and the restore writes into the workload, not into
   * {@link RestoreSpec#target()} (best effort: a failure is a warning in the report), replaces
   * the data and resumes. If the replace fails the workload is resumed on its original data and the
   * failure thrown; if only the resume fails, the restored data is kept and the report says
   * {@link RestoreReport#redeployFailed()}.
   *
   * <p>Emits {@code snapshot.restored}.
   *
   * @throws SnapshotException {@code NOT_FOUND} for an unknown or other tenant's snapshot;
   *     {@code CONFLICT} if it is not READY or the lock is busy; {@code CORRUPT} if its manifest
   *     cannot be read; the host's error otherwise
   */
  public RestoreReport restore(TenantId tenant, SnapshotId id, RestoreSpec spec) {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(spec, "spec");
    ensureOpen();
    Snapshot snapshot = owned(tenant, id);
    requireReady(snapshot, "restore");
    if (spec.mode() == RestoreMode.ADDITIVE) {
      return additiveRestore(snapshot, spec);
    }
    return replaceRestore(snapshot, spec, Trigger.PRE_RESTORE, EventType.RESTORED);
  }

  /**
   * Rolls the workload back to {@code version} with a replace restore, taking a pre-restore
   * snapshot (trigger {@link Trigger#ROLLBACK}) first. See {@link #rollback(WorkloadRef, int, boolean)}.
   */
  public RestoreReport rollback(WorkloadRef workload, int version) {
    return rollback(workload, version, true);
  }

  /**
   * Rolls the workload back to {@code version}: range-checked, then a replace restore as described
   * in {@link #restore}, with the optional pre-restore snapshot taken with trigger
   * {@link Trigger#ROLLBACK}. Emits {@code snapshot.rolled_back}.
   *
   * @param preRestoreSnapshot whether to capture the workload before overwriting it (best effort)
   * @throws SnapshotException {@code INVALID_ARGUMENT} with the valid range if the version is out of
   *     range; {@code NOT_FOUND} if the workload has no versions or the version was deleted; as
   *     {@link #restore} otherwise
   */
  public RestoreReport rollback(WorkloadRef workload, int version, boolean preRestoreSnapshot) {
    Objects.requireNonNull(workload, "workload");
    ensureOpen();
    Snapshot snapshot = version(workload, version);
    requireReady(snapshot, "roll back to");
    return replaceRestore(snapshot, RestoreSpec.replace().preRestoreSnapshot(preRestoreSnapshot),
        Trigger.ROLLBACK, EventType.ROLLED_BACK);
  }

  private RestoreReport additiveRestore(Snapshot snapshot, RestoreSpec spec) {
    WorkloadRef workload = snapshot.workload();
    RestoreRequest request = new RestoreRequest(workload, snapshot.id(), manifestOrCorrupt(snapshot),
        RestoreMode.ADDITIVE, spec.target(), spec.paths());
    Quiet<RestoreOutcome> quiet;
    try (WorkloadLease lease = lock(workload)) {
      String host = hostOf(workload);
      HostAgent agent = agent(host);
      quiet = whileQuiesced(lease, settings.quiescePolicy(), q -> restoreOnHost(agent, host, request));
    }
    return finishRestore(snapshot, RestoreMode.ADDITIVE, quiet, Optional.empty(), new ArrayList<>(),
        EventType.RESTORED);
  }

  private RestoreReport replaceRestore(Snapshot snapshot, RestoreSpec spec, Trigger preTrigger, EventType done) {
    WorkloadRef workload = snapshot.workload();
    RestoreRequest request = new RestoreRequest(workload, snapshot.id(), manifestOrCorrupt(snapshot),
        RestoreMode.REPLACE, spec.target(), spec.paths());
    String host = hostOf(workload);
    HostAgent agent = agent(host);
    try {
      agent.preflight(request);
    } catch (RuntimeException e) {
      throw context(SnapshotException.wrap("restore pre-flight on host " + host, e), workload, snapshot.id());
    }
    List<String> warnings = new ArrayList<>();
    java.util.concurrent.atomic.AtomicReference<Optional<SnapshotId>> preRestore =
        new java.util.concurrent.atomic.AtomicReference<>(Optional.empty());
    Quiet<RestoreOutcome> quiet;
    try (WorkloadLease lease = lock(workload)) {
      Optional<String> hostNow = read("resolving the host of " + workload, () -> hosts.hostOf(workload));
      if (hostNow.isEmpty()) {
        throw new SnapshotException(ErrorCode.NOT_FOUND, "workload " + workload
            + " disappeared before the restore could start; nothing was changed").withWorkload(workload);
      }
      if (!hostNow.get().equals(host)) {
        throw new SnapshotException(ErrorCode.CONFLICT, "workload " + workload + " moved from host " + host
            + " to " + hostNow.get() + " during the restore pre-flight; nothing was changed; retry")
            .withWorkload(workload);
      }
      quiet = whileQuiesced(lease, QuiescePolicy.STOP, q -> {
        // a restore into another target touches no live volume, so there is nothing to keep safe
        if (spec.preRestoreSnapshot() && spec.target().isEmpty()) {
          preRestore.set(preRestoreSnapshot(snapshot, lease, q, preTrigger, warnings));
        }
        return restoreOnHost(agent, host, request);
      });
    }
    return finishRestore(snapshot, RestoreMode.REPLACE, quiet, preRestore.get(), warnings, done);
  }

  /** Best effort: captures the already quiesced workload under the held lease, without re-locking. */
  private Optional<SnapshotId> preRestoreSnapshot(Snapshot restoring, WorkloadLease lease, Quiesced quiesced,
      Trigger trigger, List<String> warnings) {
    WorkloadRef workload = restoring.workload();
    Snapshot row;
    try {
      row = admit(CaptureSpec.of(workload).trigger(trigger).labels(Map.of(LABEL_RESTORE_OF, restoring.id().value())));
    } catch (RuntimeException e) {
      log.warn("the pre-restore snapshot of {} was not taken (continuing with the restore): {}", workload, e.getMessage());
      warnings.add("no pre-restore snapshot was taken: " + oneLine(e.getMessage()));
      return Optional.empty();
    }
    try {
      return Optional.of(captureUnderLease(row, lease, quiesced.policy(), false, Optional.of(quiesced)).id());
    } catch (RuntimeException e) {
      RuntimeException reported = failCapture(row, e);
      log.warn("the pre-restore snapshot {} of {} failed (continuing with the restore): {}",
          row.id(), workload, reported.getMessage());
      warnings.add("the pre-restore snapshot " + row.id() + " failed: " + oneLine(reported.getMessage()));
      return Optional.empty();
    } finally {
      usage.invalidate(workload.tenant());
    }
  }

  private RestoreOutcome restoreOnHost(HostAgent agent, String host, RestoreRequest request) {
    RestoreOutcome outcome;
    try {
      outcome = agent.restore(request);
    } catch (RuntimeException e) {
      throw context(SnapshotException.wrap(request.mode().name().toLowerCase(Locale.ROOT) + " restore on host " + host, e),
          request.workload(), request.snapshotId());
    }
    if (outcome == null) {
      throw new SnapshotException(ErrorCode.INTERNAL, "host " + host
          + " returned no restore outcome; report it to the host agent's maintainers")
          .withWorkload(request.workload()).withSnapshot(request.snapshotId());
    }
    return outcome;
  }

  private RestoreReport finishRestore(Snapshot snapshot, RestoreMode mode, Quiet<RestoreOutcome> quiet,
      Optional<SnapshotId> preRestore, List<String> warnings, EventType done) {
    RestoreOutcome outcome = quiet.value();
    List<String> lines = new ArrayList<>(warnings);
    lines.addAll(outcome.warnings());
    if (snapshot.partial()) {
      lines.add("snapshot " + snapshot.id() + " is partial: its capture could not read everything, so the restore may be incomplete");
    }
    boolean redeployFailed = quiet.resumeFailure().isPresent();
    if (redeployFailed) {
      RuntimeException e = quiet.resumeFailure().get();
      log.warn("workload {} was restored from {} but could not be brought back up", snapshot.workload(), snapshot.id(), e);
      lines.add("the data was restored but resuming the workload failed (" + oneLine(String.valueOf(e.getMessage()))
          + "); redeploy it");
    }
    RestoreReport report = new RestoreReport(snapshot.id(), mode, outcome.families(), outcome.unsupportedFamilies(),
        snapshot.partial(), preRestore, redeployFailed, lines);
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("mode", mode.name());
    meta.put("created", Integer.toString(report.created()));
    meta.put("skipped", Integer.toString(report.skipped()));
    meta.put("redeploy_failed", Boolean.toString(redeployFailed));
    preRestore.ifPresent(p -> meta.put("pre_restore_snapshot", p.value()));
    try {
      transaction("recording the restore of " + snapshot.id(), tx -> {
        tx.append(event(done, snapshot, meta));
        return null;
      });
    } catch (SnapshotException e) {
      log.error("snapshot {} was restored but its {} event could not be recorded", snapshot.id(), done.wireName(), e);
      return new RestoreReport(report.snapshot(), mode, report.families(), report.unsupportedFamilies(),
          report.partialSnapshot(), preRestore, redeployFailed,
          append(lines, "the restore succeeded but its event could not be recorded: " + oneLine(e.getMessage())));
    }
    return report;
  }

  private static List<String> append(List<String> lines, String line) {
    List<String> copy = new ArrayList<>(lines);
    copy.add(line);
    return copy;
  }

  // ───────────────────────────── delete ─────────────────────────────

  /**
   * Deletes a snapshot strictly: its data is removed from every host in the directory before its
   * record is. If the directory reports a host that is not ONLINE, the delete fails at once with
   * {@code CONFLICT} naming it (event {@code snapshot.delete_failed}): no host is asked and the
   * snapshot is left as it was. Otherwise the snapshot is marked DELETING and every host is asked
   * in parallel (on the executor), each bounded by the host timeout; a host that never held the
   * data counts as confirmed. Only when every host confirmed is the record removed (event
   * {@code snapshot.deleted}), its manifest blob deleted and the tenant's usage gauge invalidated.
   *
   * <p>A host that cannot be reached, fails or times out fails the delete (event
   * {@code snapshot.delete_failed}). If no host confirmed and none timed out, the data is intact
   * and the snapshot goes back to READY. Otherwise some data may be gone, so the snapshot stays
   * DELETING (restore refused, saying which hosts to wait for) until the next delete, expiry sweep
   * or retention run finishes it.
   *
   * <p>A FAILED snapshot is deleted the same way (its host may hold partial data), without the
   * DELETING mark.
   *
   * <p>A DELETING snapshot that this engine is not deleting was left by an interrupted delete (a
   * crash, or another instance that stopped): deleting it again resumes that delete, which is
   * safe because hosts treat a repeated delete as done. Its data may already be gone from some
   * hosts, so if the resumed delete fails again the snapshot stays DELETING, never READY, until a
   * later delete, expiry sweep (if it has expired) or retention run completes it.
   *
   * @throws SnapshotException {@code NOT_FOUND} for an unknown or other tenant's snapshot;
   *     {@code FORBIDDEN} if it is protected; {@code CONFLICT} if its capture is still running, a
   *     delete is already in flight, or a host failed ({@link SnapshotException#failedHosts()} names
   *     every failed host, in directory order)
   */
  public void delete(TenantId tenant, SnapshotId id) {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(id, "id");
    ensureOpen();
    strictDelete(owned(tenant, id), EventType.DELETED);
  }

  private void strictDelete(Snapshot snapshot, EventType doneEvent) {
    SnapshotId id = snapshot.id();
    if (!deletesInFlight.add(id)) {
      throw new SnapshotException(ErrorCode.CONFLICT, "snapshot " + id
          + " cannot be deleted now: a delete is in flight; wait for it to finish")
          .withWorkload(snapshot.workload()).withSnapshot(id);
    }
    try {
      strictDeleteOnce(snapshot, doneEvent);
    } finally {
      deletesInFlight.remove(id);
      // Also after a failure: the removal may have committed before its acknowledgement was lost.
      usage.invalidate(snapshot.tenant());
    }
  }

  private void strictDeleteOnce(Snapshot snapshot, EventType doneEvent) {
    WorkloadRef workload = snapshot.workload();
    SnapshotId id = snapshot.id();
    List<HostInfo> all = read("listing hosts", hosts::hosts);
    List<HostFailure> notOnline = all.stream().filter(h -> h.status() != HostStatus.ONLINE)
        .map(h -> new HostFailure(h.id(), "host is " + h.status().name().toLowerCase(Locale.ROOT), false)).toList();
    SnapshotStatus from = transaction("marking snapshot " + id + " DELETING", tx -> {
      Snapshot current = tx.find(id).orElseThrow(() -> notFound(id, workload));
      checkDeletable(current);
      if (!notOnline.isEmpty()) {
        // Refused before any host is asked: nothing is deleted, the row is left as it is.
        tx.append(event(EventType.DELETE_FAILED, current, Map.of("hosts", hostList(notOnline, ","))));
        return current.status();
      }
      if (current.status() == SnapshotStatus.READY
          && !tx.compareAndSet(SnapshotStatus.READY, current.withStatus(SnapshotStatus.DELETING))) {
        throw new SnapshotException(ErrorCode.CONFLICT, "snapshot " + id
            + " changed while the delete started; retry").withWorkload(workload).withSnapshot(id);
      }
      return current.status();
    });
    if (!notOnline.isEmpty()) {
      throw new SnapshotException(ErrorCode.CONFLICT, "cannot delete snapshot " + id + ": " + described(notOnline)
          + "; the directory does not report " + (notOnline.size() == 1 ? "it" : "them") + " ONLINE, so no host was "
          + "asked and nothing was deleted (the snapshot is still " + from + "); retry the delete once "
          + hostList(notOnline, ", ") + (notOnline.size() == 1 ? " is" : " are") + " back online")
          .withWorkload(workload).withSnapshot(id).withFailedHosts(notOnline.stream().map(HostFailure::host).toList());
    }
    boolean resumed = from == SnapshotStatus.DELETING;
    if (resumed) {
      log.info("resuming the unfinished delete of snapshot {}", id);
    }
    SnapshotStatus marked = from == SnapshotStatus.FAILED ? SnapshotStatus.FAILED : SnapshotStatus.DELETING;
    Broadcast broadcast = broadcastDelete(workload, id, all);
    List<HostFailure> failures = broadcast.failures();
    if (!failures.isEmpty()) {
      List<String> failedHosts = failures.stream().map(HostFailure::host).toList();
      // READY again only while the data is certainly intact: no host confirmed, none may have
      // deleted without answering, and no earlier delete of it had started.
      boolean dataMayBeGone = resumed || broadcast.anyConfirmed() || failures.stream().anyMatch(HostFailure::mayHaveDeleted);
      String unfinished = described(failures) + " did not confirm the delete; run delete again once "
          + hostList(failures, ", ") + (failures.size() == 1 ? " is" : " are") + " back to finish it";
      SnapshotStatus left = transaction("recording the refused delete of snapshot " + id, tx -> {
        Optional<Snapshot> current = tx.find(id);
        SnapshotStatus now = current.map(Snapshot::status).orElse(marked);
        if (current.isPresent() && now == SnapshotStatus.DELETING) {
          Snapshot row = current.get();
          Snapshot kept = dataMayBeGone ? withFailure(row, unfinished) : row.withStatus(SnapshotStatus.READY);
          if (tx.compareAndSet(SnapshotStatus.DELETING, kept)) {
            now = kept.status();
          }
        }
        tx.append(event(EventType.DELETE_FAILED, current.orElse(snapshot), Map.of("hosts", String.join(",", failedHosts))));
        return now;
      });
      String outcome = switch (left) {
        case READY -> "no host deleted anything, so the snapshot is READY again; retry the delete when "
            + hostList(failures, ", ") + (failures.size() == 1 ? " is" : " are") + " back";
        case DELETING -> "some hosts may already have dropped its data, so the snapshot stays DELETING and cannot be "
            + "restored; run delete again once " + hostList(failures, ", ") + (failures.size() == 1 ? " is" : " are")
            + " back to finish it (an expiry sweep or retention run also finishes it)";
        default -> "the snapshot was kept (" + left + ") so nothing is orphaned; retry the delete when these hosts are back";
      };
      throw new SnapshotException(ErrorCode.CONFLICT, "could not remove snapshot " + id
          + " from every host: " + described(failures) + "; " + outcome).withWorkload(workload).withSnapshot(id)
          .withFailedHosts(failedHosts);
    }
    boolean removed = transaction("removing snapshot " + id, tx -> {
      Optional<Snapshot> current = tx.find(id);
      if (current.isEmpty() || !tx.remove(id, marked)) {
        return false;
      }
      tx.append(event(doneEvent, current.get(), Map.of("trigger", current.get().trigger().value())));
      return true;
    });
    if (!removed) {
      log.warn("snapshot {} was removed by someone else while its delete ran", id);
    }
    snapshot.manifest().flatMap(ManifestRef::blobKey).ifPresent(this::deleteBlobQuietly);
    sizes.invalidate(id);
  }

  /** "h3 (host is offline), h4 (timed out …)". */
  private static String described(List<HostFailure> failures) {
    return String.join(", ", failures.stream().map(f -> f.host() + " (" + f.reason() + ")").toList());
  }

  private static String hostList(List<HostFailure> failures, String separator) {
    return String.join(separator, failures.stream().map(HostFailure::host).toList());
  }

  /** The row with {@code text} in its failure field: why a DELETING snapshot's delete is unfinished. */
  private static Snapshot withFailure(Snapshot s, String text) {
    return new Snapshot(s.id(), s.workload(), s.version(), s.name(), s.trigger(), s.status(), s.parent(),
        s.createdAt(), s.expiresAt(), s.sizeBytes(), s.partial(), s.isProtected(), s.labels(), s.host(),
        s.manifest(), Optional.of(text));
  }

  private static void checkDeletable(Snapshot s) {
    if (s.isProtected()) {
      throw new SnapshotException(ErrorCode.FORBIDDEN, "snapshot " + s.id()
          + " is protected; unprotect it before deleting it").withWorkload(s.workload()).withSnapshot(s.id());
    }
    switch (s.status()) {
      case CAPTURING -> throw new SnapshotException(ErrorCode.CONFLICT, "snapshot " + s.id()
          + " cannot be deleted while its capture is still running; retry when it is READY or FAILED")
          .withWorkload(s.workload()).withSnapshot(s.id());
      case READY, FAILED, DELETING -> { }
    }
  }

  /**
   * A host that did not confirm a delete, and why; {@code mayHaveDeleted} when it was asked and
   * gave no answer (timed out, interrupted), so its part of the data may be gone.
   */
  private record HostFailure(String host, String reason, boolean mayHaveDeleted) {}

  /** What a delete fan-out found: the hosts that did not confirm, and whether any host confirmed. */
  private record Broadcast(List<HostFailure> failures, boolean anyConfirmed) {}

  /** Asks every host of {@code all} to delete, in parallel; the hosts that did not confirm are in directory order. */
  private Broadcast broadcastDelete(WorkloadRef workload, SnapshotId id, List<HostInfo> all) {
    Map<String, FutureTask<DeleteOutcome>> tasks = new LinkedHashMap<>();
    Map<String, String> refused = new LinkedHashMap<>();
    for (HostInfo host : all) {
      if (host.status() != HostStatus.ONLINE) {
        refused.put(host.id(), "host is " + host.status().name().toLowerCase(Locale.ROOT));
        continue;
      }
      FutureTask<DeleteOutcome> task = new FutureTask<>(() -> hosts.agent(host.id()).delete(workload, id));
      try {
        executor.execute(task);
        tasks.put(host.id(), task);
      } catch (RejectedExecutionException e) {
        refused.put(host.id(), "the engine's executor refused the request");
      }
    }
    long deadline = System.nanoTime() + settings.hostTimeout().toNanos();
    boolean interrupted = false;
    boolean anyConfirmed = false;
    List<HostFailure> failures = new ArrayList<>();
    for (HostInfo host : all) {
      String reason = refused.get(host.id());
      FutureTask<DeleteOutcome> task = tasks.get(host.id());
      boolean unanswered = false;
      if (reason == null && task != null) {
        reason = interrupted ? INTERRUPTED : await(task, deadline, host.id());
        unanswered = reason != null && (reason.equals(INTERRUPTED) || reason.startsWith(TIMED_OUT));
        if (reason != null && reason.equals(INTERRUPTED)) {
          interrupted = true;
          reason = "the delete was interrupted";
        }
        if (reason != null) {
          task.cancel(true);
        } else {
          anyConfirmed = true;
        }
      }
      if (reason != null) {
        failures.add(new HostFailure(host.id(), reason, unanswered));
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return new Broadcast(failures, anyConfirmed);
  }

  private static final String INTERRUPTED = "\0interrupted";
  private static final String TIMED_OUT = "timed out after ";

  /** Waits for one host's delete; null when it confirmed, else why not. */
  private String await(FutureTask<DeleteOutcome> task, long deadline, String host) {
    try {
      DeleteOutcome outcome = task.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      return outcome == null ? "host gave no answer" : null;
    } catch (TimeoutException e) {
      return TIMED_OUT + settings.hostTimeout();
    } catch (InterruptedException e) {
      return INTERRUPTED;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof SnapshotException se && se.code() == ErrorCode.HOST_UNAVAILABLE) {
        return "unreachable: " + oneLine(se.getMessage());
      }
      log.debug("delete on host {} failed", host, cause);
      return "error: " + oneLine(cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
    } catch (java.util.concurrent.CancellationException e) {
      return "cancelled";
    }
  }

  /**
   * Protects a snapshot from deletion, or lifts the protection. Protected snapshots are refused by
   * {@link #delete} with {@code FORBIDDEN} and skipped by expiry and retention.
   *
   * @return the snapshot as now stored
   * @throws SnapshotException {@code NOT_FOUND} for an unknown or other tenant's snapshot;
   *     {@code CONFLICT} if its status keeps changing underneath
   */
  public Snapshot protect(TenantId tenant, SnapshotId id, boolean value) {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(id, "id");
    ensureOpen();
    Snapshot snapshot = owned(tenant, id);
    for (int attempt = 0; attempt < 3; attempt++) {
      Optional<Snapshot> result = transaction("protecting snapshot " + id, tx -> {
        Snapshot current = tx.find(id).orElseThrow(() -> notFound(id, snapshot.workload()));
        if (current.isProtected() == value) {
          return Optional.of(current);
        }
        Snapshot changed = current.withProtected(value);
        return tx.compareAndSet(current.status(), changed) ? Optional.of(changed) : Optional.<Snapshot>empty();
      });
      if (result.isPresent()) {
        return result.get();
      }
    }
    throw new SnapshotException(ErrorCode.CONFLICT, "snapshot " + id
        + " kept changing while its protection was updated; retry").withWorkload(snapshot.workload()).withSnapshot(id);
  }

  // ───────────────────────────── retention ─────────────────────────────

  /**
   * Deletes snapshots whose plan retention has passed (up to {@value #SWEEP_BATCH} per run,
   * oldest first) through the strict delete, with event {@code snapshot.expired}; an expired
   * snapshot left DELETING by an unfinished delete is finished the same way. A snapshot whose
   * delete fails stays READY or DELETING, as {@link #delete} leaves it, and is retried by the next
   * sweep. Protected snapshots never expire.
   * Call it periodically (for instance from a scheduled executor).
   */
  public SweepReport sweepExpired() {
    ensureOpen();
    List<Snapshot> expired = read("listing expired snapshots", () -> store.expired(clock.instant(), SWEEP_BATCH));
    List<SnapshotId> deleted = new ArrayList<>();
    Map<SnapshotId, String> failed = new LinkedHashMap<>();
    for (Snapshot s : expired) {
      if (s.isProtected() || !(s.status() == SnapshotStatus.READY || s.status() == SnapshotStatus.DELETING)
          || deletesInFlight.contains(s.id())) {
        continue;
      }
      try {
        strictDelete(s, EventType.EXPIRED);
        deleted.add(s.id());
      } catch (RuntimeException e) {
        log.warn("expired snapshot {} could not be deleted; the next sweep retries it: {}", s.id(), e.getMessage());
        failed.put(s.id(), oneLine(String.valueOf(e.getMessage())));
      }
    }
    return new SweepReport(deleted, failed);
  }

  /**
   * Applies a keep-last / keep-daily / keep-weekly policy to one workload's READY snapshots (see
   * {@link RetentionPolicy}); protected snapshots are always kept. The rest are deleted through
   * the strict delete, unless {@code dryRun}, together with every snapshot of the workload left
   * DELETING by an unfinished delete; failures are reported and leave those snapshots READY or
   * DELETING, as {@link #delete} leaves them.
   */
  public RetentionResult applyRetention(WorkloadRef workload, RetentionPolicy policy, boolean dryRun) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(policy, "policy");
    ensureOpen();
    List<Snapshot> all = versions(workload);
    RetentionPlanner.Plan plan = RetentionPlanner.plan(all, policy);
    // Deletes that an earlier run chose but did not finish (interrupted while DELETING) finish now.
    List<Snapshot> toDelete = new ArrayList<>(plan.delete());
    all.stream()
        .filter(s -> s.status() == SnapshotStatus.DELETING && !s.isProtected() && !deletesInFlight.contains(s.id()))
        .forEach(toDelete::add);
    List<SnapshotId> kept = plan.keep().stream().map(Snapshot::id).toList();
    List<SnapshotId> planned = toDelete.stream().map(Snapshot::id).toList();
    if (dryRun) {
      return new RetentionResult(kept, planned, Map.of(), true);
    }
    List<SnapshotId> deleted = new ArrayList<>();
    Map<SnapshotId, String> failed = new LinkedHashMap<>();
    for (Snapshot s : toDelete) {
      try {
        strictDelete(s, EventType.DELETED);
        deleted.add(s.id());
      } catch (RuntimeException e) {
        log.warn("retention could not delete snapshot {}: {}", s.id(), e.getMessage());
        failed.put(s.id(), oneLine(String.valueOf(e.getMessage())));
      }
    }
    return new RetentionResult(kept, deleted, failed, false);
  }

  /**
   * Marks CAPTURING snapshots older than {@link EngineSettings#stuckCaptureAfter()} FAILED (event
   * {@code snapshot.failed}), up to {@value #SWEEP_BATCH} per run. A capture that finishes after
   * being reaped cannot move its snapshot back: it fails with {@code CONFLICT}.
   *
   * @return how many snapshots were marked FAILED
   */
  public int reapStuckCaptures() {
    ensureOpen();
    Duration after = settings.stuckCaptureAfter();
    List<Snapshot> stuck = read("listing stuck captures",
        () -> store.capturingSince(clock.instant().minus(after), SWEEP_BATCH));
    int reaped = 0;
    for (Snapshot s : stuck) {
      if (markFailed(s.id(), "the capture did not finish within " + after + "; marked FAILED by the reaper")) {
        log.warn("reaped stuck capture {} of {} (started {})", s.id(), s.workload(), s.createdAt());
        reaped++;
      }
    }
    return reaped;
  }

  // ───────────────────────────── events ─────────────────────────────

  /**
   * Runs one synchronous delivery cycle of the event dispatcher: for each hook, claims the events
   * that are due, delivers them on the delivery executor, waits for those deliveries, and
   * acknowledges, reschedules or parks each one. Hook failures are recorded and logged, never
   * thrown. With {@link Builder#manualEventDispatch} this is how events are delivered (a CLI calls
   * it before exiting; tests call it with a direct executor and a test clock); with background
   * dispatch it merely delivers sooner.
   *
   * @return how many hook calls were made; 0 when no hook is registered
   * @throws SnapshotException {@code CONFLICT} if the engine is closed
   */
  public int pollEvents() {
    ensureOpen();
    return dispatcher.map(OutboxDispatcher::pollOnce).orElse(0);
  }

  /**
   * The events parked for a hook (it failed them {@link DispatcherSettings#maxAttempts()} times),
   * oldest first, each with its attempts and last error. Later events of the same workload are
   * delivered to the hook regardless; other hooks are not affected.
   *
   * @throws SnapshotException {@code NOT_FOUND} if no hook has that name; the store's failure otherwise
   */
  public List<ParkedEvent> parkedEvents(String hook) {
    Objects.requireNonNull(hook, "hook");
    ensureOpen();
    return requireDispatcher(hook).parked(hook);
  }

  /**
   * Queues a parked event for delivery to {@code hook} again, with its failed attempts reset; it is
   * delivered by a following poll. Replay once the hook is fixed; hooks must de-duplicate on
   * {@link io.snapshotkit.SnapshotEvent#id()} because delivery is at-least-once.
   *
   * @return false if {@code hook} has no parked event at {@code sequence} (never parked, already
   *     replayed, or pruned)
   * @throws SnapshotException {@code NOT_FOUND} if no hook has that name; the store's failure otherwise
   */
  public boolean replayEvent(String hook, long sequence) {
    Objects.requireNonNull(hook, "hook");
    ensureOpen();
    return requireDispatcher(hook).replay(hook, sequence);
  }

  /**
   * Removes outbox events older than {@link DispatcherSettings#outboxRetention()} that every hook
   * has acknowledged or parked. Background dispatch does this every
   * {@link DispatcherSettings#pruneInterval()}; with manual dispatch, call it periodically.
   *
   * @return how many events were removed; 0 when no hook is registered (nothing is pruned then,
   *     because no dispatcher knows when the events are done)
   * @throws SnapshotException {@code CONFLICT} if the engine is closed; the store's failure otherwise
   */
  public int pruneEvents() {
    ensureOpen();
    return dispatcher.map(OutboxDispatcher::prune).orElse(0);
  }

  private OutboxDispatcher requireDispatcher(String hook) {
    return dispatcher.orElseThrow(() -> SnapshotException.notFound(
        "no event hook named '" + hook + "'; this engine has no event hooks (register them with eventHook)"));
  }

  /**
   * Closes the engine: new operations fail with {@code CONFLICT}. Operations in flight, including
   * asynchronous captures, run to the end so that every workload is resumed. The event dispatcher
   * is stopped cleanly: it stops claiming and waits up to {@link DispatcherSettings#stopTimeout()}
   * for deliveries in flight, each of which is acknowledged when its hook returns or else delivered
   * again after the claim lease (by the next engine on the same store); no event is acknowledged
   * without having been delivered. The engine owns none of its collaborators (store, executors,
   * scheduler, hosts) and closes none of them.
   */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      dispatcher.ifPresent(OutboxDispatcher::stop);
      sizes.invalidateAll();
      usage.clear();
    }
  }

  // ───────────────────────────── helpers ─────────────────────────────

  /** A value produced while the workload was quiesced, and the resume failure if resuming failed. */
  private record Quiet<T>(T value, Optional<RuntimeException> resumeFailure) {}

  /**
   * Quiesces, runs {@code work}, and always resumes. If {@code work} fails, the workload is resumed
   * and the failure rethrown (a resume failure is added as suppressed). If only the resume fails,
   * that is returned for the caller to judge. An exception from quiesce aborts before any work.
   */
  private <T> Quiet<T> whileQuiesced(WorkloadLease lease, QuiescePolicy policy, Function<Quiesced, T> work) {
    WorkloadRef workload = lease.workload();
    Quiesced quiesced;
    try {
      quiesced = Objects.requireNonNull(lifecycle.quiesce(lease, policy), "quiesce returned null");
    } catch (RuntimeException e) {
      throw context(SnapshotException.wrap("quiescing workload " + workload, e), workload, null);
    }
    T value;
    try {
      value = work.apply(quiesced);
    } catch (RuntimeException | Error e) {
      try {
        resume(lease, quiesced);
      } catch (RuntimeException | Error r) {
        log.error("workload {} could not be resumed after a failed operation", workload, r);
        e.addSuppressed(r);
      }
      throw e;
    }
    try {
      resume(lease, quiesced);
      return new Quiet<>(value, Optional.empty());
    } catch (RuntimeException r) {
      return new Quiet<>(value, Optional.of(r));
    }
  }

  /** Resumes with the interrupt flag cleared, so an interrupted caller still resumes; restores the flag. */
  private void resume(WorkloadLease lease, Quiesced quiesced) {
    boolean interrupted = Thread.interrupted();
    try {
      lifecycle.resume(lease, quiesced);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private WorkloadLease lock(WorkloadRef workload) {
    try {
      return Objects.requireNonNull(workloadLock.acquire(workload, settings.lockTimeout()), "the lock returned no lease");
    } catch (RuntimeException e) {
      throw context(SnapshotException.wrap("locking workload " + workload, e), workload, null);
    }
  }

  private String hostOf(WorkloadRef workload) {
    Optional<String> host = read("resolving the host of " + workload, () -> hosts.hostOf(workload));
    return host.orElseThrow(() -> new SnapshotException(ErrorCode.NOT_FOUND,
        "no host runs workload " + workload + "; check the workload id").withWorkload(workload));
  }

  private HostAgent agent(String host) {
    try {
      return Objects.requireNonNull(hosts.agent(host), "the host directory returned no agent");
    } catch (RuntimeException e) {
      throw SnapshotException.wrap("connecting to host " + host, e);
    }
  }

  /** The tenant's snapshot, or NOT_FOUND (also for another tenant's). */
  private Snapshot owned(TenantId tenant, SnapshotId id) {
    Optional<Snapshot> found = read("reading snapshot " + id, () -> store.find(id));
    if (found.isEmpty() || !found.get().tenant().equals(tenant)) {
      throw new SnapshotException(ErrorCode.NOT_FOUND,
          "snapshot " + id + " not found for tenant " + tenant + "; check the id").withSnapshot(id);
    }
    return found.get();
  }

  private static SnapshotException notFound(SnapshotId id, WorkloadRef workload) {
    return new SnapshotException(ErrorCode.NOT_FOUND, "snapshot " + id + " no longer exists")
        .withWorkload(workload).withSnapshot(id);
  }

  private static void requireReady(Snapshot s, String verb) {
    String why = switch (s.status()) {
      case READY -> null;
      case CAPTURING -> "its capture is still running; wait until it is READY";
      case FAILED -> "its capture failed; pick another snapshot";
      case DELETING -> "a delete of it is in progress; " + s.failure().orElse(
          "wait for it to finish, or run delete again to finish it if it was interrupted");
    };
    if (why != null) {
      throw new SnapshotException(ErrorCode.CONFLICT, "cannot " + verb + " snapshot " + s.id() + ": " + why)
          .withWorkload(s.workload()).withSnapshot(s.id());
    }
  }

  private Optional<SnapshotId> latestReady(WorkloadRef workload) {
    List<Snapshot> all = read("listing versions of " + workload, () -> store.versions(workload));
    for (int i = all.size() - 1; i >= 0; i--) {
      if (all.get(i).status() == SnapshotStatus.READY) {
        return Optional.of(all.get(i).id());
      }
    }
    return Optional.empty();
  }

  /** Reads a snapshot's manifest from the store or the blob store, or says why it cannot. */
  ManifestRead readManifest(Snapshot s) {
    Optional<ManifestRef> ref = s.manifest();
    if (ref.isEmpty()) {
      return ManifestRead.problem("snapshot " + s.id() + " has no manifest reference");
    }
    byte[] json;
    if (ref.get().external()) {
      String key = ref.get().blobKey().orElseThrow();
      if (blobs.isEmpty()) {
        return ManifestRead.problem("the manifest of snapshot " + s.id() + " is in a blob store, but the engine has none");
      }
      Optional<byte[]> bytes;
      try {
        bytes = blobs.get().get(key);
      } catch (RuntimeException e) {
        return ManifestRead.problem("the manifest blob of snapshot " + s.id() + " could not be read: "
            + oneLine(String.valueOf(e.getMessage())));
      }
      if (bytes.isEmpty()) {
        return ManifestRead.problem("the manifest blob of snapshot " + s.id() + " (" + key + ") is missing");
      }
      json = bytes.get();
    } else {
      Optional<byte[]> inline;
      try {
        inline = store.manifest(s.id());
      } catch (RuntimeException e) {
        return ManifestRead.problem("the inline manifest of snapshot " + s.id() + " could not be read: "
            + oneLine(String.valueOf(e.getMessage())));
      }
      if (inline.isEmpty()) {
        return ManifestRead.problem("the inline manifest of snapshot " + s.id() + " is missing");
      }
      json = inline.get();
    }
    try {
      return ManifestRead.of(Manifest.fromJson(json));
    } catch (SnapshotException e) {
      return ManifestRead.corrupt("the manifest of snapshot " + s.id() + " is not valid manifest JSON");
    }
  }

  private Manifest manifestOrCorrupt(Snapshot s) {
    ManifestRead read = readManifest(s);
    return read.manifest().orElseThrow(() -> corrupt(s, read));
  }

  /** The manifest read for a diff: an unreachable one degrades the diff, a damaged one fails it. */
  private ManifestRead intactOrCorrupt(Snapshot s) {
    ManifestRead read = readManifest(s);
    if (read.corrupt()) {
      throw corrupt(s, read);
    }
    return read;
  }

  private static SnapshotException corrupt(Snapshot s, ManifestRead read) {
    return new SnapshotException(ErrorCode.CORRUPT,
        read.problem().orElseThrow() + "; restore the blob or metadata store from backup, or pick another snapshot")
        .withWorkload(s.workload()).withSnapshot(s.id());
  }

  /** Fills in unknown sizes from the capturing hosts, in parallel, bounded by the host timeout. */
  private List<Snapshot> withSizes(List<Snapshot> items) {
    List<Snapshot> result = new ArrayList<>(items);
    Map<Integer, FutureTask<OptionalLong>> tasks = new LinkedHashMap<>();
    for (int i = 0; i < result.size(); i++) {
      Snapshot s = result.get(i);
      if (s.status() != SnapshotStatus.READY || s.sizeBytes().isPresent() || s.host().isEmpty()) {
        continue;
      }
      Long cached = sizes.getIfPresent(s.id());
      if (cached != null) {
        result.set(i, s.withSize(cached));
        continue;
      }
      FutureTask<OptionalLong> task = new FutureTask<>(() -> hosts.agent(s.host().get()).sizeOf(s.workload(), s.id()));
      try {
        executor.execute(task);
        tasks.put(i, task);
      } catch (RejectedExecutionException e) {
        log.debug("size of snapshot {} not resolved: the executor refused the query", s.id());
      }
    }
    long deadline = System.nanoTime() + settings.hostTimeout().toNanos();
    java.util.Set<TenantId> changed = new java.util.HashSet<>();
    for (Map.Entry<Integer, FutureTask<OptionalLong>> entry : tasks.entrySet()) {
      Snapshot s = result.get(entry.getKey());
      OptionalLong size;
      try {
        size = entry.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        entry.getValue().cancel(true);
        continue;
      } catch (ExecutionException | TimeoutException | java.util.concurrent.CancellationException e) {
        entry.getValue().cancel(true);
        log.debug("size of snapshot {} not resolved from host {}; leaving it unknown", s.id(), s.host().get(), e);
        continue;
      }
      if (size == null || size.isEmpty() || size.getAsLong() < 0) {
        continue;
      }
      long bytes = size.getAsLong();
      sizes.put(s.id(), bytes);
      result.set(entry.getKey(), s.withSize(bytes));
      try {
        transaction("persisting the size of snapshot " + s.id(), tx -> {
          Optional<Snapshot> current = tx.find(s.id());
          if (current.isPresent() && current.get().status() == SnapshotStatus.READY
              && current.get().sizeBytes().isEmpty()) {
            tx.compareAndSet(SnapshotStatus.READY, current.get().withSize(bytes));
          }
          return null;
        });
        changed.add(s.tenant());
      } catch (SnapshotException e) {
        log.debug("could not persist the size of snapshot {}; it stays cached", s.id(), e);
      }
    }
    changed.forEach(usage::invalidate);
    return result;
  }

  private void deleteBlobQuietly(String key) {
    blobs.ifPresent(b -> {
      try {
        b.delete(key);
      } catch (RuntimeException e) {
        log.warn("could not delete manifest blob {}; remove it by hand: {}", key, e.toString());
      }
    });
  }

  private <T> T transaction(String what, StoreWork<T> work) {
    try {
      return store.inTransaction(work);
    } catch (RuntimeException e) {
      throw SnapshotException.wrap(what, e);
    }
  }

  private <T> T read(String what, java.util.function.Supplier<T> reader) {
    try {
      return reader.get();
    } catch (RuntimeException e) {
      throw SnapshotException.wrap(what, e);
    }
  }

  private SnapshotEvent event(EventType type, Snapshot s, Map<String, String> metadata) {
    return new SnapshotEvent(newEventId(), type, s.workload(), Optional.of(s.id()), s.version(), clock.instant(), metadata);
  }

  private SnapshotId newSnapshotId(Instant now) {
    return ids.next(now);
  }

  private String newEventId() {
    return "evt_" + newSnapshotId(clock.instant()).value();
  }

  private static SnapshotException context(SnapshotException e, WorkloadRef workload, SnapshotId id) {
    SnapshotException out = e;
    if (workload != null && e.workload().isEmpty()) {
      out = out.withWorkload(workload);
    }
    if (id != null && e.snapshotId().isEmpty()) {
      out = out.withSnapshot(id);
    }
    return out;
  }

  private static String oneLine(String text) {
    if (text == null) {
      return "";
    }
    String line = text.replaceAll("[\\r\\n]+", " ").trim();
    return line.length() > 300 ? line.substring(0, 300) + "…" : line;
  }

  private void ensureOpen() {
    if (closed.get()) {
      throw new SnapshotException(ErrorCode.CONFLICT, "this SnapshotEngine is closed; build a new one");
    }
  }

  // ───────────────────────────── builder ─────────────────────────────

  /**
   * Configures a {@link SnapshotEngine}. Required: {@link #manifestStore}, {@link #hosts},
   * {@link #lifecycle}, {@link #clock} and {@link #executor}; when event hooks are registered, also
   * one delivery mode, {@link #eventDispatch} (background) or {@link #manualEventDispatch}
   * ({@link SnapshotEngine#pollEvents()}). Each setting may be set once: setting
   * it again throws {@link IllegalStateException} naming the old value; a bad value throws
   * {@link IllegalArgumentException}. {@link #build()} reports every missing setting at once and
   * freezes the settings; a builder builds one engine.
   *
   * <p><b>Thread-safety:</b> not thread-safe; confine a builder to one thread.
   */
  public static final class Builder {
    private ManifestStore manifestStore;
    private BlobStore blobStore;
    private HostDirectory hosts;
    private Lifecycle lifecycle;
    private WorkloadLock workloadLock;
    private PlanProvider plans;
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

    private Builder() {}

    /** Required: durable metadata and the event outbox. */
    public Builder manifestStore(ManifestStore value) {
      manifestStore = once("manifestStore", manifestStore, value);
      return this;
    }

    /** Optional: where manifests above the inline limit go. Without it, manifests are always inline. */
    public Builder blobStore(BlobStore value) {
      blobStore = once("blobStore", blobStore, value);
      return this;
    }

    /** Required: the hosts and which one runs each workload. */
    public Builder hosts(HostDirectory value) {
      hosts = once("hosts", hosts, value);
      return this;
    }

    /** Required: quiesce and resume of workloads; {@link Lifecycle#none()} for purely logical ones. */
    public Builder lifecycle(Lifecycle value) {
      lifecycle = once("lifecycle", lifecycle, value);
      return this;
    }

    /** Optional: the per-workload lock; default {@link WorkloadLocks#inProcess()}. */
    public Builder workloadLock(WorkloadLock value) {
      workloadLock = once("workloadLock", workloadLock, value);
      return this;
    }

    /** Optional: plan limits per tenant; default {@link Plan#UNLIMITED} for everyone. */
    public Builder plans(PlanProvider value) {
      plans = once("plans", plans, value);
      return this;
    }

    /** Required: the engine's only source of time. */
    public Builder clock(Clock value) {
      clock = once("clock", clock, value);
      return this;
    }

    /** Required: runs asynchronous captures, the delete fan-out (one task per host) and size queries. */
    public Builder executor(Executor value) {
      executor = once("executor", executor, value);
      return this;
    }

    /** Optional: randomness for ids; default a {@link SecureRandom}. */
    public Builder random(RandomGenerator value) {
      random = once("random", random, value);
      return this;
    }

    /** Optional: manifests whose JSON exceeds this many bytes go to the blob store; default 256 KiB. */
    public Builder inlineManifestLimit(int bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("inlineManifestLimit must not be negative: " + bytes);
      }
      inlineManifestLimit = once("inlineManifestLimit", inlineManifestLimit, bytes);
      return this;
    }

    /** Optional: how long one host may take to answer a delete or size query; default 30 s. */
    public Builder hostTimeout(Duration value) {
      hostTimeout = once("hostTimeout", hostTimeout, EngineSettings.requirePositive("hostTimeout", value));
      return this;
    }

    /** Optional: how long to wait for a workload's lock before failing with CONFLICT; default 1 min. */
    public Builder lockTimeout(Duration value) {
      lockTimeout = once("lockTimeout", lockTimeout, EngineSettings.requirePositive("lockTimeout", value));
      return this;
    }

    /** Optional: how old a CAPTURING snapshot must be for the reaper to fail it; default 1 h. */
    public Builder stuckCaptureAfter(Duration value) {
      stuckCaptureAfter = once("stuckCaptureAfter", stuckCaptureAfter,
          EngineSettings.requirePositive("stuckCaptureAfter", value));
      return this;
    }

    /** Optional: the quiesce policy of captures that name none, and of additive restores; default PAUSE. */
    public Builder quiescePolicy(QuiescePolicy value) {
      quiescePolicy = once("quiescePolicy", quiescePolicy, value);
      return this;
    }

    /**
     * Registers an event hook under a unique, durable name (its outbox cursor is kept under that
     * name). May be called several times with different names.
     */
    public Builder eventHook(String name, EventHook hook) {
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
      return this;
    }

    /**
     * Registers an event hook, as {@link #eventHook(String, EventHook)}, that starts at
     * {@code start} the first time its name is registered with the store's outbox:
     * {@link StartPosition#BEGINNING} receives every event still retained,
     * {@link StartPosition#NOW} only events appended from then on. Once registered, the hook's
     * durable cursor wins over its start position. Hooks registered without one start at
     * {@link DispatcherSettings#defaultStart()} (BEGINNING unless changed).
     */
    public Builder eventHook(String name, EventHook hook, StartPosition start) {
      Objects.requireNonNull(start, "start");
      eventHook(name, hook);
      hookStarts.put(name, start);
      return this;
    }

    /**
     * Delivers the events of the registered hooks in the background: {@link #build()} creates an
     * {@link OutboxDispatcher} owned by the engine and starts it, so it polls the outbox every
     * {@link DispatcherSettings#pollInterval()} and prunes it every
     * {@link DispatcherSettings#pruneInterval()} on {@code scheduler}; hook calls run on
     * {@code deliveryExecutor} (a pool delivers different workloads concurrently). The engine starts
     * no threads of its own; {@link SnapshotEngine#close()} stops the dispatcher cleanly but shuts
     * neither executor down. Required when a hook is registered, unless
     * {@link #manualEventDispatch} is used instead.
     */
    public Builder eventDispatch(ScheduledExecutorService scheduler, Executor deliveryExecutor,
        DispatcherSettings dispatcherSettings) {
      Objects.requireNonNull(scheduler, "scheduler");
      Objects.requireNonNull(deliveryExecutor, "deliveryExecutor");
      Objects.requireNonNull(dispatcherSettings, "dispatcherSettings");
      eventDispatch = once("eventDispatch", eventDispatch,
          new EventDispatch(Optional.of(scheduler), deliveryExecutor, dispatcherSettings));
      return this;
    }

    /**
     * Delivers the events of the registered hooks only when the caller asks, through
     * {@link SnapshotEngine#pollEvents()} (and prunes only through
     * {@link SnapshotEngine#pruneEvents()}): for command-line tools that deliver before exiting, for
     * applications that drive polling from their own scheduler, and for deterministic tests (with
     * a direct executor and a test clock). Required when a hook is registered, unless
     * {@link #eventDispatch} is used instead.
     */
    public Builder manualEventDispatch(Executor deliveryExecutor, DispatcherSettings dispatcherSettings) {
      Objects.requireNonNull(deliveryExecutor, "deliveryExecutor");
      Objects.requireNonNull(dispatcherSettings, "dispatcherSettings");
      eventDispatch = once("eventDispatch", eventDispatch,
          new EventDispatch(Optional.empty(), deliveryExecutor, dispatcherSettings));
      return this;
    }

    /**
     * Builds the engine.
     *
     * @throws IllegalStateException listing every missing required setting and every inconsistent
     *     event setting (hooks without a delivery mode, a delivery mode without hooks, start positions
     *     for unknown hooks or given twice differently), or if this builder already built
     * @throws SnapshotException if registering a hook with the store's outbox fails, or the
     *     scheduler refuses background dispatch
     */
    public SnapshotEngine build() {
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
          random != null ? random : new SecureRandom(),
          inlineManifestLimit != null ? inlineManifestLimit : EngineSettings.DEFAULT_INLINE_MANIFEST_LIMIT,
          hostTimeout != null ? hostTimeout : EngineSettings.DEFAULT_HOST_TIMEOUT,
          lockTimeout != null ? lockTimeout : EngineSettings.DEFAULT_LOCK_TIMEOUT,
          stuckCaptureAfter != null ? stuckCaptureAfter : EngineSettings.DEFAULT_STUCK_CAPTURE_AFTER,
          quiescePolicy != null ? quiescePolicy : QuiescePolicy.PAUSE,
          hooks);
      Optional<OutboxDispatcher> dispatcher = Optional.empty();
      if (eventDispatch != null) {
        OutboxDispatcher created = eventDispatch.scheduler().isPresent()
            ? OutboxDispatcher.create(manifestStore.outbox(), frozen.hooks(), clock,
                eventDispatch.scheduler().get(), eventDispatch.deliveryExecutor(), dispatchSettings)
            : OutboxDispatcher.createPolledByCaller(manifestStore.outbox(), frozen.hooks(), clock,
                eventDispatch.deliveryExecutor(), dispatchSettings);
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
}
