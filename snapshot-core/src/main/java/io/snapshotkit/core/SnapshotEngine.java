package io.snapshotkit.core;

import io.snapshotkit.DiffResult;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.Page;
import io.snapshotkit.ProgressListener;
import io.snapshotkit.RestoreMode;
import io.snapshotkit.RestoreReport;
import io.snapshotkit.RetentionPolicy;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotFile;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotOrigin;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.TenantId;
import io.snapshotkit.Trigger;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.BlobStore;
import io.snapshotkit.spi.EventHook;
import io.snapshotkit.spi.HostDiff;
import io.snapshotkit.spi.HostDirectory;
import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.spi.ManifestStore;
import io.snapshotkit.spi.ParkedEvent;
import io.snapshotkit.spi.PlanProvider;
import io.snapshotkit.spi.QuiescePolicy;
import io.snapshotkit.spi.StartPosition;
import io.snapshotkit.spi.WorkloadLock;
import io.snapshotkit.Plan;
import java.io.IOException;
import java.io.OutputStream;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

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
 * <p><b>Progress:</b> {@link #capture(CaptureSpec, ProgressListener)}, {@link #restore(TenantId,
 * SnapshotId, RestoreSpec, ProgressListener)} and {@link #rollback(WorkloadRef, int, boolean,
 * ProgressListener)} report the engine's phases and relay the host agent's own progress
 * ({@link io.snapshotkit.spi.HostAgent#capture(io.snapshotkit.spi.CaptureRequest, ProgressListener)})
 * to the caller, rate-limited, with done counters that never decrease. A new long use case (a
 * fork, say) reports the same way: start a {@link io.snapshotkit.spi.ProgressTracker} with its
 * {@link io.snapshotkit.ProgressEvent.Operation}, enter its phases, hand the host
 * {@code tracker::relay} as the listener, and {@code finish()} it on success.
 *
 * <p><b>Threads and time:</b> the engine starts no threads: asynchronous captures, the delete
 * fan-out and size queries run on the configured executor, and all time comes from the configured
 * clock.
 *
 * <p><b>Thread-safety:</b> thread-safe. Operations on one workload that capture or restore are
 * serialised by the {@link WorkloadLock}; everything else runs concurrently.
 */
public final class SnapshotEngine implements AutoCloseable {
  /** Label on a pre-restore snapshot naming the snapshot being restored. */
  static final String LABEL_RESTORE_OF = Restores.LABEL_RESTORE_OF;
  /** How many rows one sweep or reaper run handles. */
  static final int SWEEP_BATCH = Maintenance.SWEEP_BATCH;

  private final EngineSettings settings;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Capture capture;
  private final Reads reads;
  private final Diffs diffs;
  private final Restores restores;
  private final StrictDelete strictDelete;
  private final Maintenance maintenance;
  private final EventDelivery events;
  private final Observations observations;
  private final Verifies verifies;
  private final Browse browse;
  private final Schedules schedules;
  private final Forks forks;

  /** Assembles the use cases over one shared context; called by {@link Builder#build()}. */
  SnapshotEngine(EngineSettings settings, Optional<OutboxDispatcher> dispatcher) {
    this.settings = settings;
    EngineContext ctx = new EngineContext(settings);
    StoredManifests manifests = new StoredManifests(ctx);
    this.capture = new Capture(ctx, manifests);
    this.reads = new Reads(ctx);
    this.diffs = new Diffs(ctx, manifests);
    this.restores = new Restores(ctx, manifests, capture);
    this.strictDelete = new StrictDelete(ctx, manifests, reads);
    this.maintenance = new Maintenance(ctx, strictDelete, capture);
    this.events = new EventDelivery(dispatcher);
    this.observations = ctx.observations();
    this.verifies = new Verifies(ctx, reads);
    this.browse = new Browse(ctx, reads);
    this.schedules = new Schedules(new ScheduleRunner(ctx, capture, maintenance), this::ensureOpen);
    this.forks = new Forks(ctx, manifests, capture);
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
    return capture(spec, ProgressListener.NONE);
  }

  /**
   * {@link #capture(CaptureSpec)}, reporting its progress to {@code progress}: phases
   * {@code admit}, {@code quiesce}, then the host agent's own (the directory agent's {@code count},
   * {@code scan}, {@code commit}, with files and bytes), then {@code store}, and a last event once
   * the snapshot is READY. Rate-limited; a listener that throws is dropped and never fails the
   * capture (see {@link ProgressListener}). Agents that report nothing give the engine's phases only.
   *
   * @throws SnapshotException as {@link #capture(CaptureSpec)}
   */
  public Snapshot capture(CaptureSpec spec, ProgressListener progress) {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(progress, "progress");
    ensureOpen();
    return observations.timed(EngineOperation.CAPTURE, () -> capture.capture(spec, progress));
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
    return observations.timedStart(() -> capture.startCapture(spec));
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
    return reads.get(tenant, id);
  }

  /**
   * Where a forked snapshot's data came from: the source snapshot and its workload ({@link #fork});
   * empty for a snapshot that was captured (or with a store that records no origins).
   *
   * @throws SnapshotException {@code NOT_FOUND} if it does not exist or belongs to another tenant
   */
  public Optional<SnapshotOrigin> origin(TenantId tenant, SnapshotId id) {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(id, "id");
    ensureOpen();
    return reads.origin(tenant, id);
  }

  /**
   * A page of the query's snapshots, newest first. Unknown sizes are resolved from the capturing
   * hosts in parallel (each bounded by the host timeout), persisted and cached; a host that cannot
   * answer leaves the size unknown rather than failing the listing.
   */
  public Page<Snapshot> list(SnapshotQuery query) {
    Objects.requireNonNull(query, "query");
    ensureOpen();
    return reads.list(query);
  }

  /** The workload's snapshots that have a version (READY or being deleted), ascending by version. */
  public List<Snapshot> versions(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    ensureOpen();
    return reads.versions(workload);
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
    return reads.version(workload, version);
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
    return reads.usageBytes(tenant);
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
    return observations.timed(EngineOperation.DIFF, () -> diffs.diff(tenant, from, to));
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
    return observations.timed(EngineOperation.DIFF, () -> diffs.diffCurrent(tenant, from));
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
    return restore(tenant, id, spec, ProgressListener.NONE);
  }

  /**
   * {@link #restore(TenantId, SnapshotId, RestoreSpec)}, reporting its progress to
   * {@code progress}: phases {@code preflight} (replace), {@code quiesce}, {@code pre-restore
   * snapshot} (when one is taken; its own files are not counted), then the host agent's own (the
   * directory agent's {@code plan}, then {@code write}, or {@code stage} and {@code swap}, with the
   * files and bytes of the selection as totals), then {@code record}, and a last event once the
   * restore is recorded. Rate-limited; a listener that throws is dropped and never fails the
   * restore.
   *
   * @throws SnapshotException as {@link #restore(TenantId, SnapshotId, RestoreSpec)}
   */
  public RestoreReport restore(TenantId tenant, SnapshotId id, RestoreSpec spec, ProgressListener progress) {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(progress, "progress");
    ensureOpen();
    return observations.timed(EngineOperation.RESTORE, () -> restores.restore(tenant, id, spec, progress));
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
    return rollback(workload, version, preRestoreSnapshot, ProgressListener.NONE);
  }

  /**
   * {@link #rollback(WorkloadRef, int, boolean)}, reporting its progress to {@code progress} as a
   * replace {@link #restore(TenantId, SnapshotId, RestoreSpec, ProgressListener)} does, with
   * operation {@link io.snapshotkit.ProgressEvent.Operation#ROLLBACK}.
   *
   * @throws SnapshotException as {@link #rollback(WorkloadRef, int, boolean)}
   */
  public RestoreReport rollback(WorkloadRef workload, int version, boolean preRestoreSnapshot,
      ProgressListener progress) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(progress, "progress");
    ensureOpen();
    return observations.timed(EngineOperation.ROLLBACK,
        () -> restores.rollback(reads.version(workload, version), preRestoreSnapshot, progress));
  }

  // ───────────────────────────── fork ─────────────────────────────

  /**
   * Forks a READY snapshot into a new workload of the same tenant: the child's version 1 holds
   * exactly the snapshot's data, and records its origin ({@link io.snapshotkit.SnapshotOrigin},
   * read back with {@link ManifestStore#origin}) and a {@code snapshot.forked} event. The host
   * ({@link ForkOptions#host}, else the directory's placement of the child, else the source's
   * host) must implement {@link io.snapshotkit.spi.HostFork}; the directory agent shares content,
   * so a fork writes metadata only, and materialises the child at {@link ForkOptions#target} when
   * one is given. {@link Lifecycle#prepareFork} runs on the child before the fork completes. The
   * child counts against the plan like a capture. A crash or failure at any step leaves no child
   * (at most a FAILED row) or a complete one.
   *
   * @throws SnapshotException {@code NOT_FOUND} for an unknown or other tenant's snapshot, or a
   *     host that does not hold its data; {@code INVALID_ARGUMENT} for a child of another tenant,
   *     the source's own workload, or a host that cannot fork; {@code CONFLICT} if the snapshot is
   *     not READY or the child workload already exists; {@code QUOTA_EXCEEDED} as a capture; the
   *     host's or hook's error otherwise (the child row is then FAILED)
   */
  public Snapshot fork(TenantId tenant, SnapshotId id, WorkloadRef newWorkload, ForkOptions options) {
    return fork(tenant, id, newWorkload, options, ProgressListener.NONE);
  }

  /**
   * {@link #fork(TenantId, SnapshotId, WorkloadRef, ForkOptions)}, reporting its progress to
   * {@code progress}: phases {@code admit}, then the host agent's own (the directory agent's
   * {@code root}, and for a target {@code plan}, {@code stage}, {@code swap} with files and bytes),
   * then {@code prepare} and {@code store}, and a last event once the child is READY. Rate-limited;
   * a listener that throws never fails the fork.
   *
   * @throws SnapshotException as {@link #fork(TenantId, SnapshotId, WorkloadRef, ForkOptions)}
   */
  public Snapshot fork(TenantId tenant, SnapshotId id, WorkloadRef newWorkload, ForkOptions options,
      ProgressListener progress) {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(newWorkload, "newWorkload");
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(progress, "progress");
    ensureOpen();
    return observations.timed(EngineOperation.FORK, () -> forks.fork(tenant, id, newWorkload, options, progress));
  }

  // ───────────────────────────── verify ─────────────────────────────

  /**
   * Asks the host that holds a READY snapshot whether its data is still present and intact: an
   * agent with {@link io.snapshotkit.spi.HostVerify} (the directory agent has it) reads back
   * {@code sample} of the snapshot's contents and checks each against its digest; any other agent
   * can only say whether it still holds the snapshot ({@code PRESENT} or {@code MISSING}). Damage
   * is an outcome in the report, not an exception. Runs on the calling thread and reads as much
   * data as it checks, so call it from a background job for large snapshots.
   *
   * @param sample the fraction of contents to read back, above 0 and at most 1 (1 reads everything);
   *     chosen by content digest, so the same fraction reads the same contents each time
   * @throws SnapshotException {@code INVALID_ARGUMENT} for a sample outside (0, 1]; {@code NOT_FOUND}
   *     for an unknown or other tenant's snapshot, or no host for its workload; {@code CONFLICT} if
   *     it is not READY; {@code HOST_UNAVAILABLE} if the host cannot answer
   */
  public VerifyReport verify(TenantId tenant, SnapshotId id, double sample) {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(id, "id");
    ensureOpen();
    return observations.timed(EngineOperation.VERIFY, () -> verifies.verify(tenant, id, sample));
  }

  // ───────────────────────────── browse ─────────────────────────────

  /**
   * The entry at {@code path} inside a READY snapshot, looked up on the host that holds it without
   * restoring anything. Paths are {@code VOLUME} or {@code VOLUME/dir/name} ({@code /}-separated;
   * one leading or trailing {@code /} is ignored). Needs an agent with
   * {@link io.snapshotkit.spi.HostBrowse} (the directory agent has it).
   *
   * @throws SnapshotException {@code NOT_FOUND} for an unknown or other tenant's snapshot or a path
   *     that does not exist in it; {@code INVALID_ARGUMENT} for a path with {@code .} or {@code ..},
   *     one through a symlink, or an agent that cannot browse; {@code CONFLICT} if it is not READY
   */
  public SnapshotFile stat(TenantId tenant, SnapshotId id, String path) {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(id, "id");
    ensureOpen();
    return browse.stat(tenant, id, path);
  }

  /**
   * Hands each entry directly inside the directory {@code path} of a READY snapshot to
   * {@code sink}, in name order, one at a time (a huge directory is never held); the empty path
   * lists the snapshot's volumes. Failures as {@link #stat}, and {@code INVALID_ARGUMENT} if the
   * path is not a directory.
   */
  public void listFiles(TenantId tenant, SnapshotId id, String path, Consumer<SnapshotFile> sink) {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(id, "id");
    ensureOpen();
    browse.list(tenant, id, path, sink);
  }

  /**
   * Writes {@code length} bytes (fewer if the file ends first) of the file at {@code path} of a
   * READY snapshot, from {@code offset}, to {@code out}: streamed from the host and verified
   * against the stored digests as it goes, in bounded memory. Failures as {@link #stat}, and
   * {@code INVALID_ARGUMENT} if the path is not a file or offset or length is negative;
   * {@code CORRUPT} if the stored data is damaged (bytes already written stay written).
   *
   * @throws IOException if writing to {@code out} fails
   */
  public void read(TenantId tenant, SnapshotId id, String path, long offset, long length, OutputStream out)
      throws IOException {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(id, "id");
    ensureOpen();
    browse.read(tenant, id, path, offset, length, out);
  }

  /**
   * Writes what {@code path} of a READY snapshot holds to {@code out}, as restic's {@code dump}
   * does: a file's bytes, or a directory (or a whole volume) as an uncompressed tar whose entries
   * sit under the directory's name. Streamed, in bounded memory. Failures as {@link #read}; a
   * symlink is {@code INVALID_ARGUMENT} (nothing is read through one).
   *
   * @throws IOException if writing to {@code out} fails
   */
  public void dump(TenantId tenant, SnapshotId id, String path, OutputStream out) throws IOException {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(id, "id");
    ensureOpen();
    browse.dump(tenant, id, path, out);
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
    observations.timed(EngineOperation.DELETE, () -> {
      strictDelete.delete(tenant, id);
      return null;
    });
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
    return strictDelete.protect(tenant, id, value);
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
    return observations.timed(EngineOperation.SWEEP, maintenance::sweepExpired);
  }

  /**
   * Applies a retention policy (keep-last, hourly to yearly, keep-within) to one workload's READY snapshots (see
   * {@link RetentionPolicy}); protected snapshots are always kept. The rest are deleted through
   * the strict delete, unless {@code dryRun}, together with every snapshot of the workload left
   * DELETING by an unfinished delete; failures are reported and leave those snapshots READY or
   * DELETING, as {@link #delete} leaves them.
   */
  public RetentionResult applyRetention(WorkloadRef workload, RetentionPolicy policy, boolean dryRun) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(policy, "policy");
    ensureOpen();
    return observations.timed(EngineOperation.RETENTION, () -> maintenance.applyRetention(workload, policy, dryRun));
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
    return observations.timed(EngineOperation.REAP, maintenance::reapStuckCaptures);
  }

  // ───────────────────────────── schedules ─────────────────────────────

  /**
   * The per-workload capture schedules, stored in the manifest store and run by
   * {@link Schedules#runDue()} (or {@link Schedules#runEvery} on the application's scheduler).
   */
  public Schedules schedules() {
    return schedules;
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
    return events.poll();
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
    return events.parked(hook);
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
    return events.replay(hook, sequence);
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
    return events.prune();
  }

  /**
   * Closes the engine: new operations fail with {@code CONFLICT}. Operations in flight, including
   * asynchronous captures, run to the end so that every workload is resumed. The event dispatcher
   * is stopped cleanly: it stops claiming and waits up to {@link DispatcherSettings#stopTimeout()}
   * for deliveries in flight, each of which is acknowledged when its hook returns or else delivered
   * again after the claim lease (by the next engine on the same store); no event is acknowledged
   * without having been delivered. Schedule runs registered with {@link Schedules#runEvery} are
   * cancelled (a run in progress finishes). The engine owns none of its collaborators (store,
   * executors, scheduler, hosts) and closes none of them.
   */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      schedules.stop();
      events.stop();
      reads.clear();
    }
  }

  private void ensureOpen() {
    if (closed.get()) {
      throw new SnapshotException(ErrorCode.CONFLICT, "this SnapshotEngine is closed; build a new one");
    }
  }

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
    private final EngineBuilderState state = new EngineBuilderState();

    private Builder() {}

    /** Required: durable metadata and the event outbox. */
    public Builder manifestStore(ManifestStore value) {
      state.manifestStore(value);
      return this;
    }

    /** Optional: where manifests above the inline limit go. Without it, manifests are always inline. */
    public Builder blobStore(BlobStore value) {
      state.blobStore(value);
      return this;
    }

    /** Required: the hosts and which one runs each workload. */
    public Builder hosts(HostDirectory value) {
      state.hosts(value);
      return this;
    }

    /** Required: quiesce and resume of workloads; {@link Lifecycle#none()} for purely logical ones. */
    public Builder lifecycle(Lifecycle value) {
      state.lifecycle(value);
      return this;
    }

    /** Optional: the per-workload lock; default {@link WorkloadLocks#inProcess()}. */
    public Builder workloadLock(WorkloadLock value) {
      state.workloadLock(value);
      return this;
    }

    /**
     * Optional: what hears each operation's duration and outcome, strict-delete host failures and
     * event deliveries, for metrics (e.g. {@code snapshot-micrometer}'s {@code SnapshotMetrics});
     * default {@link EngineObserver#NONE}.
     */
    public Builder observer(EngineObserver value) {
      state.observer(value);
      return this;
    }

    /** Optional: plan limits per tenant; default {@link Plan#UNLIMITED} for everyone. */
    public Builder plans(PlanProvider value) {
      state.plans(value);
      return this;
    }

    /** Required: the engine's only source of time. */
    public Builder clock(Clock value) {
      state.clock(value);
      return this;
    }

    /**
     * Required: runs asynchronous captures, the delete fan-out (one task per host) and size
     * queries. The fan-out asks as many hosts at once as the executor has free threads: give it at
     * least one thread per host (or an unbounded pool) so a delete takes one host's time, not a
     * wave per pool's worth of hosts; a host still waiting for a thread when the host timeout ends
     * counts as not having confirmed.
     */
    public Builder executor(Executor value) {
      state.executor(value);
      return this;
    }

    /** Optional: randomness for ids; default a {@link SecureRandom}, made when the first id is. */
    public Builder random(RandomGenerator value) {
      state.random(value);
      return this;
    }

    /** Optional: manifests whose JSON exceeds this many bytes go to the blob store; default 256 KiB. */
    public Builder inlineManifestLimit(int bytes) {
      state.inlineManifestLimit(bytes);
      return this;
    }

    /** Optional: how long one host may take to answer a delete or size query; default 30 s. */
    public Builder hostTimeout(Duration value) {
      state.hostTimeout(value);
      return this;
    }

    /** Optional: how long to wait for a workload's lock before failing with CONFLICT; default 1 min. */
    public Builder lockTimeout(Duration value) {
      state.lockTimeout(value);
      return this;
    }

    /** Optional: how old a CAPTURING snapshot must be for the reaper to fail it; default 1 h. */
    public Builder stuckCaptureAfter(Duration value) {
      state.stuckCaptureAfter(value);
      return this;
    }

    /** Optional: the quiesce policy of captures that name none, and of additive restores; default PAUSE. */
    public Builder quiescePolicy(QuiescePolicy value) {
      state.quiescePolicy(value);
      return this;
    }

    /**
     * Registers an event hook under a unique, durable name (its outbox cursor is kept under that
     * name). May be called several times with different names.
     */
    public Builder eventHook(String name, EventHook hook) {
      state.eventHook(name, hook);
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
      state.eventHook(name, hook, start);
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
      state.eventDispatch(Optional.of(scheduler), deliveryExecutor, dispatcherSettings);
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
      state.eventDispatch(Optional.empty(), deliveryExecutor, dispatcherSettings);
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
      return state.build();
    }
  }
}
