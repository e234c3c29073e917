package io.snapshotkit.core;

import static io.snapshotkit.core.EngineContext.context;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.EventType;
import io.snapshotkit.Manifest;
import io.snapshotkit.ManifestRef;
import io.snapshotkit.ProgressEvent;
import io.snapshotkit.ProgressListener;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotOrigin;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.TenantId;
import io.snapshotkit.Trigger;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.CaptureResult;
import io.snapshotkit.spi.ForkRequest;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.spi.HostFork;
import io.snapshotkit.spi.ProgressTracker;
import io.snapshotkit.spi.WorkloadLease;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;

/**
 * The fork use case: a READY snapshot becomes version 1 of a new workload of the same tenant, on a
 * host whose agent implements {@link HostFork}.
 *
 * <p>Steps, each crash-safe: (1) under the child workload's lock, the child's row is admitted as a
 * capture is (CAPTURING, under the plan's limit, with {@code snapshot.capture.started}); (2) the
 * agent forks (one atomic step on the host; a target directory is filled completely or not at
 * all); (3) the {@link io.snapshotkit.spi.Lifecycle#prepareFork} hook runs on the child; (4) one
 * transaction gives the child version 1, marks it READY, records its {@link SnapshotOrigin} and
 * appends {@code snapshot.created} and {@code snapshot.forked}. A failure at any step marks the
 * row FAILED and removes the child's data from the host; a crash leaves the row CAPTURING, which
 * the stuck-capture reaper fails, and the child has no version until a fork commits. So a child
 * either exists whole (READY version 1) or not at all.
 *
 * <p>An agent without {@link HostFork} is refused before anything is stored: a generic agent has
 * no way to be told where a new workload's data lives, so there is no restore-and-capture fallback.
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
final class Forks {
  private static final Logger log = EngineContext.LOG;

  private final EngineContext ctx;
  private final StoredManifests manifests;
  private final Capture capture;

  Forks(EngineContext ctx, StoredManifests manifests, Capture capture) {
    this.ctx = ctx;
    this.manifests = manifests;
    this.capture = capture;
  }

  /**
   * See {@link SnapshotEngine#fork(TenantId, SnapshotId, WorkloadRef, ForkOptions, ProgressListener)}:
   * phases {@code admit}, the host's own (relayed), {@code prepare}, {@code store}; the last event
   * once READY.
   */
  Snapshot fork(TenantId tenant, SnapshotId sourceId, WorkloadRef child, ForkOptions options,
      ProgressListener progress) {
    ProgressTracker tracker = ProgressTracker.start(ProgressEvent.Operation.FORK, progress);
    tracker.phase("admit");
    Snapshot source = ctx.owned(tenant, sourceId);
    if (!child.tenant().equals(tenant)) {
      throw SnapshotException.invalid("a fork stays in its tenant: workload " + child + " is not in tenant " + tenant
          + "; name the new workload in tenant " + tenant).withSnapshot(sourceId);
    }
    if (child.equals(source.workload())) {
      throw SnapshotException.invalid("a fork needs a new workload, not the snapshot's own workload " + child
          + "; to go back to this snapshot in place, restore or roll back instead").withSnapshot(sourceId);
    }
    EngineContext.requireReady(source, "fork");
    String host = options.host().or(() -> ctx.findHost(child)).or(source::host)
        .orElseGet(() -> ctx.hostOf(source.workload()));
    HostAgent agent = ctx.agent(host);
    if (!(agent instanceof HostFork forker)) {
      throw SnapshotException.invalid("host " + host + " cannot fork: its agent (" + agent.getClass().getSimpleName()
          + ") does not implement HostFork; fork onto a host whose agent does (the directory agent, or a remote "
          + "agent serving one)").withSnapshot(sourceId).withWorkload(child);
    }
    SnapshotOrigin origin = new SnapshotOrigin(source.id(), source.workload());
    try (WorkloadLease lease = ctx.lock(child)) {
      requireNew(child);
      Snapshot row = capture.admit(CaptureSpec.of(child).name(options.name()).trigger(Trigger.FORK)
          .labels(options.labels()));
      ForkRequest request = new ForkRequest(source.workload(), source.id(), child, row.id(), options.target());
      try {
        CaptureResult result = forkOnHost(forker, host, request, tracker);
        try {
          tracker.phase("prepare");
          prepare(lease, origin);
          tracker.phase("store");
          Snapshot ready = commitReady(row, host, origin, result);
          tracker.finish();
          return ready;
        } catch (RuntimeException e) {
          discardOnHost(agent, host, row);
          throw e;
        }
      } catch (RuntimeException | Error e) {
        throw capture.failCapture(row, e);
      } finally {
        ctx.usage().invalidate(tenant);
      }
    }
  }

  /** Refuses a child workload that already has versions (CONFLICT, naming how many). */
  private void requireNew(WorkloadRef child) {
    List<Snapshot> existing = ctx.versions(child);
    if (!existing.isEmpty()) {
      throw new SnapshotException(ErrorCode.CONFLICT, "workload " + child + " already exists (it has "
          + existing.size() + " snapshot" + (existing.size() == 1 ? "" : "s")
          + " with a version); fork into a new workload id").withWorkload(child);
    }
  }

  private CaptureResult forkOnHost(HostFork forker, String host, ForkRequest request, ProgressTracker progress) {
    CaptureResult result;
    try {
      // no listener: the agent is asked exactly as before, and counts nothing
      result = progress.active() ? forker.fork(request, progress::relay) : forker.fork(request);
    } catch (RuntimeException e) {
      SnapshotException reported = SnapshotException.wrap("fork on host " + host, e);
      if (reported.code() == ErrorCode.NOT_FOUND) {
        reported = new SnapshotException(ErrorCode.NOT_FOUND, "host " + host + " does not hold snapshot "
            + request.sourceSnapshot() + " of " + request.source() + " (" + EngineContext.oneLine(e.getMessage())
            + "); fork onto the host that holds it, or give the hosts one shared repository", e);
      }
      throw context(reported, request.child(), request.childSnapshot());
    }
    if (result == null || !result.manifest().workload().equals(request.child())) {
      throw new SnapshotException(ErrorCode.INTERNAL, "host " + host + " returned "
          + (result == null ? "no fork result" : "a manifest of another workload than the child")
          + "; report it to the host agent's maintainers").withWorkload(request.child())
          .withSnapshot(request.childSnapshot());
    }
    return result;
  }

  /** Runs the lifecycle's fork hook on the child. */
  private void prepare(WorkloadLease lease, SnapshotOrigin origin) {
    try {
      ctx.settings().lifecycle().prepareFork(lease, origin);
    } catch (RuntimeException e) {
      throw context(SnapshotException.wrap("preparing the forked workload " + lease.workload()
          + " (Lifecycle.prepareFork)", e), lease.workload(), null);
    }
  }

  /**
   * Stores the manifest and, in one transaction, gives the child version 1, marks it READY,
   * records its origin and appends its events.
   */
  private Snapshot commitReady(Snapshot row, String host, SnapshotOrigin origin, CaptureResult result) {
    Manifest manifest = result.manifest();
    byte[] json = manifest.toJson();
    ManifestRef stored = manifests.place(row.id(), json, manifest.counts());
    try {
      return ctx.transaction("marking the fork " + row.id() + " READY", tx -> {
        Snapshot current = tx.find(row.id()).filter(s -> s.status() == SnapshotStatus.CAPTURING)
            .orElseThrow(() -> new SnapshotException(ErrorCode.CONFLICT, "the fork " + row.id()
                + " finished but its row is no longer CAPTURING (the stuck-capture reaper got there first); fork again")
                .withWorkload(row.workload()).withSnapshot(row.id()));
        int version = tx.nextVersion(row.workload());
        if (version != 1) {
          throw new SnapshotException(ErrorCode.CONFLICT, "workload " + row.workload() + " had snapshots before "
              + "(its versions are used up to " + (version - 1) + "), so a fork cannot be its version 1; "
              + "fork into a new workload id").withWorkload(row.workload()).withSnapshot(row.id());
        }
        Snapshot ready = new Snapshot(current.id(), current.workload(), version, current.name(), current.trigger(),
            SnapshotStatus.READY, Optional.empty(), current.createdAt(), current.expiresAt(),
            OptionalLong.of(result.sizeBytes()), manifest.partial(), current.isProtected(), current.labels(),
            Optional.of(host), Optional.of(stored), Optional.empty());
        if (!tx.compareAndSet(SnapshotStatus.CAPTURING, ready)) {
          throw new SnapshotException(ErrorCode.CONFLICT, "the fork " + row.id() + " changed status while it "
              + "was committed; fork again").withWorkload(row.workload()).withSnapshot(row.id());
        }
        if (!stored.external()) {
          tx.putManifest(row.id(), json);
        }
        tx.putOrigin(row.id(), origin);
        tx.append(ctx.event(EventType.CREATED, ready, Map.of(
            "trigger", ready.trigger().value(), "partial", Boolean.toString(ready.partial()))));
        tx.append(ctx.event(EventType.FORKED, ready, Map.of(
            "sourceSnapshot", origin.snapshot().value(), "sourceWorkload", origin.workload().id())));
        return ready;
      });
    } catch (RuntimeException e) {
      stored.blobKey().ifPresent(manifests::deleteBlobQuietly);
      throw e;
    }
  }

  /** Best effort: removes what a fork wrote on a host when its result cannot be kept. */
  private static void discardOnHost(HostAgent agent, String host, Snapshot row) {
    try {
      agent.delete(row.workload(), row.id());
    } catch (RuntimeException e) {
      log.warn("could not remove the discarded fork {} from host {}; remove it by hand: {}",
          row.id(), host, e.toString());
    }
  }
}
