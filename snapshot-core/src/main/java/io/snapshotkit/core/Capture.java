package io.snapshotkit.core;

import static io.snapshotkit.core.EngineContext.context;
import static io.snapshotkit.core.EngineContext.oneLine;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Excludes;
import io.snapshotkit.EventType;
import io.snapshotkit.Manifest;
import io.snapshotkit.ProgressEvent;
import io.snapshotkit.ProgressListener;
import io.snapshotkit.ManifestRef;
import io.snapshotkit.Plan;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.Admission;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.CaptureResult;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.spi.ProgressTracker;
import io.snapshotkit.spi.QuiescePolicy;
import io.snapshotkit.spi.Quiesced;
import io.snapshotkit.spi.WorkloadLease;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;

/**
 * The capture use case: admission under the plan's limit (with the quota event of a refusal), the
 * capture on the host under the workload's lock and quiesced, the READY commit with its version,
 * and FAILED on any failure. Also marks a capture FAILED for the reaper ({@link Maintenance}) and
 * captures an already quiesced workload for the pre-restore snapshot ({@link Restores}).
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
final class Capture {
  private static final Logger log = EngineContext.LOG;

  private final EngineContext ctx;
  private final StoredManifests manifests;

  Capture(EngineContext ctx, StoredManifests manifests) {
    this.ctx = ctx;
    this.manifests = manifests;
  }

  /** See {@link SnapshotEngine#capture}. */
  Snapshot capture(CaptureSpec spec) {
    return capture(spec, ProgressListener.NONE);
  }

  /**
   * See {@link SnapshotEngine#capture(CaptureSpec, ProgressListener)}: phases {@code admit},
   * {@code quiesce}, the host's own (relayed), {@code store}; the last event once READY.
   */
  Snapshot capture(CaptureSpec spec, ProgressListener progress) {
    ProgressTracker tracker = ProgressTracker.start(ProgressEvent.Operation.CAPTURE, progress);
    tracker.phase("admit");
    Snapshot row = admit(spec);
    Snapshot ready = runCapture(row, spec, tracker);
    tracker.finish();
    return ready;
  }

  /** See {@link SnapshotEngine#startCapture}. */
  PendingCapture startCapture(CaptureSpec spec) {
    Snapshot row = admit(spec);
    CompletableFuture<Snapshot> result = new CompletableFuture<>();
    try {
      ctx.executor().execute(() -> {
        try {
          result.complete(runCapture(row, spec, silent()));
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

  /** A tracker that reports to no one, for captures nobody watches. */
  static ProgressTracker silent() {
    return ProgressTracker.start(ProgressEvent.Operation.CAPTURE, ProgressListener.NONE);
  }

  /** Checks the plan and stores the CAPTURING row with its event; returns the row. */
  Snapshot admit(CaptureSpec spec) {
    WorkloadRef workload = spec.workload();
    Plan plan;
    try {
      plan = Objects.requireNonNull(ctx.settings().plans().planFor(workload.tenant()), "the plan provider returned null");
    } catch (RuntimeException e) {
      throw context(SnapshotException.wrap("looking up the plan of tenant " + workload.tenant(), e), workload, null);
    }
    // A disabled plan (maxSnapshots 0) is refused by the store's admission like a reached limit,
    // so both refusals append their snapshot.quota_rejected event.
    Instant now = ctx.clock().instant();
    // The parent is chosen when the capture runs, under the workload's lock (captureUnderLease).
    Snapshot row = Snapshot.capturing(ctx.newSnapshotId(now), workload, spec.name(), spec.trigger(),
        Optional.empty(), now, plan.retention().map(now::plus), spec.labels());
    if (spec.protect()) {
      row = row.withProtected(true);
    }
    Snapshot inserted = row;
    Admitted admitted = ctx.transaction("storing the new snapshot of " + workload, tx -> {
      // The byte limit is soft: checked here, in the inserting transaction, against what is stored.
      if (plan.limitsBytes() && plan.enabled()) {
        long usedBytes = tx.usageBytes(workload.tenant());
        if (usedBytes >= plan.maxBytes()) {
          return Admitted.overBytes(usedBytes);
        }
      }
      Admission a = tx.insertCapturing(inserted, plan.maxSnapshots());
      if (a.admitted()) {
        tx.append(ctx.event(EventType.CAPTURE_STARTED, inserted, Map.of("trigger", inserted.trigger().value())));
      }
      return new Admitted(Optional.of(a), 0);
    });
    if (admitted.admission().isEmpty()) {
      recordQuotaRejection(spec,
          Map.of("usedBytes", Long.toString(admitted.usedBytes()), "maxBytes", Long.toString(plan.maxBytes())));
      throw new SnapshotException(ErrorCode.QUOTA_EXCEEDED, "byte quota reached: tenant " + workload.tenant()
          + " stores " + admitted.usedBytes() + " bytes of its " + plan.maxBytes() + "-byte limit (a soft limit: "
          + "the captures admitted below it may have gone over); delete old snapshots or raise the plan's byte limit")
          .withWorkload(workload);
    }
    Admission admission = admitted.admission().get();
    if (!admission.admitted()) {
      recordQuotaRejection(spec,
          Map.of("used", Long.toString(admission.used()), "max", Integer.toString(plan.maxSnapshots())));
      String usedOfMax = admission.used() + "/" + plan.maxSnapshots();
      throw new SnapshotException(ErrorCode.QUOTA_EXCEEDED, plan.enabled()
          ? "snapshot limit reached (" + usedOfMax + "); delete an old snapshot or raise the plan limit"
          : "snapshots are not enabled on this plan; choose a plan that includes snapshots").withWorkload(workload);
    }
    return inserted;
  }

  /**
   * What the admitting transaction decided: the store's admission, or none when the tenant's
   * stored bytes ({@code usedBytes}) had reached the plan's byte limit and nothing was inserted.
   */
  private record Admitted(Optional<Admission> admission, long usedBytes) {
    static Admitted overBytes(long usedBytes) {
      return new Admitted(Optional.empty(), usedBytes);
    }
  }

  /** Best effort: appends the {@code snapshot.quota_rejected} event of a refused capture. */
  private void recordQuotaRejection(CaptureSpec spec, Map<String, String> limit) {
    WorkloadRef workload = spec.workload();
    Map<String, String> metadata = new java.util.HashMap<>(limit);
    metadata.put("trigger", spec.trigger().value());
    try {
      ctx.transaction("recording the refused capture of " + workload, tx -> {
        tx.append(new SnapshotEvent(ctx.newEventId(), EventType.QUOTA_REJECTED, workload, Optional.empty(), 0,
            ctx.clock().instant(), Map.copyOf(metadata)));
        return null;
      });
    } catch (SnapshotException e) {
      log.warn("could not record the quota rejection of a capture of {}: {}", workload, e.getMessage());
    }
  }

  /** Locks, quiesces, captures, resumes and commits; on any failure marks the row FAILED and rethrows. */
  private Snapshot runCapture(Snapshot row, CaptureSpec spec, ProgressTracker progress) {
    try (WorkloadLease lease = ctx.lock(row.workload())) {
      return captureUnderLease(row, lease,
          spec.quiesce().orElse(ctx.settings().quiescePolicy()), spec.fullRescan(), spec.excludes(), Optional.empty(),
          progress);
    } catch (RuntimeException | Error e) {
      throw failCapture(row, e);
    } finally {
      // Even a failed commit may have committed (a lost acknowledgement): forget, never guess.
      ctx.usage().invalidate(row.tenant());
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
   *
   * @param excludes the capture's own exclude patterns, for the host
   * @param progress told of the phases and of the host's progress; the caller finishes it
   */
  Snapshot captureUnderLease(Snapshot row, WorkloadLease lease, QuiescePolicy policy, boolean fullRescan,
      Excludes excludes, Optional<Quiesced> quiesced, ProgressTracker progress) {
    WorkloadRef workload = row.workload();
    String host = ctx.hostOf(workload);
    HostAgent agent = ctx.agent(host);
    Optional<SnapshotId> parent = ctx.latestReady(workload);
    CaptureResult result;
    if (quiesced.isPresent()) {
      result = captureOnHost(agent, host, row, parent, quiesced.get().runningReference(), fullRescan, excludes,
          progress);
    } else {
      progress.phase("quiesce");
      EngineContext.Quiet<CaptureResult> quiet = ctx.whileQuiesced(lease, policy,
          q -> captureOnHost(agent, host, row, parent, q.runningReference(), fullRescan, excludes, progress));
      result = quiet.value();
      if (quiet.resumeFailure().isPresent()) {
        discardOnHost(agent, host, row);
        throw context(SnapshotException.wrap("resuming workload " + workload + " after its capture",
            quiet.resumeFailure().get()), workload, row.id());
      }
    }
    progress.phase("store");
    try {
      return commitReady(row, host, parent, result);
    } catch (RuntimeException e) {
      discardOnHost(agent, host, row);
      throw e;
    }
  }

  private CaptureResult captureOnHost(HostAgent agent, String host, Snapshot row, Optional<SnapshotId> parent,
      Optional<String> runningReference, boolean fullRescan, Excludes excludes, ProgressTracker progress) {
    CaptureResult result;
    try {
      CaptureRequest request =
          new CaptureRequest(row.workload(), row.id(), parent, runningReference, fullRescan, excludes);
      // no listener and no patterns: the agent is asked exactly as before, and counts nothing
      result = progress.active() || !request.excludes().isEmpty()
          ? agent.capture(request, progress::relay) : agent.capture(request);
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
    ManifestRef stored = manifests.place(row.id(), json, manifest.counts());
    try {
      return ctx.transaction("marking snapshot " + row.id() + " READY", tx -> {
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
        tx.append(ctx.event(EventType.CREATED, ready, Map.of(
            "trigger", ready.trigger().value(), "partial", Boolean.toString(ready.partial()))));
        return ready;
      });
    } catch (RuntimeException e) {
      stored.blobKey().ifPresent(manifests::deleteBlobQuietly);
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
  RuntimeException failCapture(Snapshot row, Throwable failure) {
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
  static String failureReason(SnapshotException reported) {
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
  boolean markFailed(SnapshotId id, String reason) {
    return ctx.transaction("marking snapshot " + id + " FAILED", tx -> {
      Optional<Snapshot> current = tx.find(id);
      if (current.isEmpty() || current.get().status() != SnapshotStatus.CAPTURING) {
        return false;
      }
      Snapshot failed = current.get().failed(reason);
      if (!tx.compareAndSet(SnapshotStatus.CAPTURING, failed)) {
        return false;
      }
      tx.append(ctx.event(EventType.FAILED, failed, Map.of("reason", reason, "trigger", failed.trigger().value())));
      return true;
    });
  }

  /** Best effort: removes what a capture wrote on a host when its result cannot be kept. */
  private static void discardOnHost(HostAgent agent, String host, Snapshot row) {
    try {
      agent.delete(row.workload(), row.id());
    } catch (RuntimeException e) {
      log.warn("could not remove the discarded capture {} from host {}; remove it by hand: {}",
          row.id(), host, e.toString());
    }
  }
}
