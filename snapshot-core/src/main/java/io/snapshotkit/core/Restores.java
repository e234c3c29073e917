package io.snapshotkit.core;

import static io.snapshotkit.core.EngineContext.context;
import static io.snapshotkit.core.EngineContext.oneLine;
import static io.snapshotkit.core.EngineContext.requireReady;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Excludes;
import io.snapshotkit.EventType;
import io.snapshotkit.ProgressEvent;
import io.snapshotkit.ProgressListener;
import io.snapshotkit.RestoreMode;
import io.snapshotkit.RestoreReport;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.TenantId;
import io.snapshotkit.Trigger;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.spi.ProgressTracker;
import io.snapshotkit.spi.QuiescePolicy;
import io.snapshotkit.spi.Quiesced;
import io.snapshotkit.spi.RestoreOutcome;
import io.snapshotkit.spi.RestoreRequest;
import io.snapshotkit.spi.WorkloadLease;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;

/**
 * The restore use cases: additive restore, replace restore (pre-flight, re-check of the host
 * under the lock, optional pre-restore snapshot taken through {@link Capture}, replace, always
 * resume) and rollback to a version, each recorded with its event.
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
final class Restores {
  private static final Logger log = EngineContext.LOG;

  /** Label on a pre-restore snapshot naming the snapshot being restored. */
  static final String LABEL_RESTORE_OF = "snapshotkit.restore_of";

  private final EngineContext ctx;
  private final StoredManifests manifests;
  private final Capture capture;

  Restores(EngineContext ctx, StoredManifests manifests, Capture capture) {
    this.ctx = ctx;
    this.manifests = manifests;
    this.capture = capture;
  }

  /**
   * See {@link SnapshotEngine#restore(TenantId, SnapshotId, RestoreSpec, ProgressListener)}:
   * phases {@code preflight} (replace), {@code quiesce}, {@code pre-restore snapshot} (replace,
   * when taken), the host's own (relayed), {@code record}; the last event once recorded.
   */
  RestoreReport restore(TenantId tenant, SnapshotId id, RestoreSpec spec, ProgressListener progress) {
    Snapshot snapshot = ctx.owned(tenant, id);
    requireReady(snapshot, "restore");
    ProgressTracker tracker = ProgressTracker.start(ProgressEvent.Operation.RESTORE, progress);
    RestoreReport report = spec.mode() == RestoreMode.ADDITIVE ? additiveRestore(snapshot, spec, tracker)
        : replaceRestore(snapshot, spec, Trigger.PRE_RESTORE, EventType.RESTORED, tracker);
    tracker.finish();
    return report;
  }

  /**
   * See {@link SnapshotEngine#rollback(WorkloadRef, int, boolean, ProgressListener)}; {@code
   * snapshot} is the version to go back to. Reports as a replace restore, as operation ROLLBACK.
   */
  RestoreReport rollback(Snapshot snapshot, boolean preRestoreSnapshot, ProgressListener progress) {
    requireReady(snapshot, "roll back to");
    ProgressTracker tracker = ProgressTracker.start(ProgressEvent.Operation.ROLLBACK, progress);
    RestoreReport report = replaceRestore(snapshot, RestoreSpec.replace().preRestoreSnapshot(preRestoreSnapshot),
        Trigger.ROLLBACK, EventType.ROLLED_BACK, tracker);
    tracker.finish();
    return report;
  }

  private RestoreReport additiveRestore(Snapshot snapshot, RestoreSpec spec, ProgressTracker progress) {
    WorkloadRef workload = snapshot.workload();
    RestoreRequest request = new RestoreRequest(workload, snapshot.id(), manifests.manifestOrCorrupt(snapshot),
        RestoreMode.ADDITIVE, spec.target(), spec.paths());
    EngineContext.Quiet<RestoreOutcome> quiet;
    try (WorkloadLease lease = ctx.lock(workload)) {
      String host = ctx.hostOf(workload);
      HostAgent agent = ctx.agent(host);
      progress.phase("quiesce");
      quiet = ctx.whileQuiesced(lease, ctx.settings().quiescePolicy(),
          q -> restoreOnHost(agent, host, request, progress));
    }
    progress.phase("record");
    return finishRestore(snapshot, RestoreMode.ADDITIVE, quiet, Optional.empty(), new ArrayList<>(),
        EventType.RESTORED);
  }

  private RestoreReport replaceRestore(Snapshot snapshot, RestoreSpec spec, Trigger preTrigger, EventType done,
      ProgressTracker progress) {
    WorkloadRef workload = snapshot.workload();
    RestoreRequest request = new RestoreRequest(workload, snapshot.id(), manifests.manifestOrCorrupt(snapshot),
        RestoreMode.REPLACE, spec.target(), spec.paths());
    String host = ctx.hostOf(workload);
    HostAgent agent = ctx.agent(host);
    progress.phase("preflight");
    try {
      agent.preflight(request);
    } catch (RuntimeException e) {
      throw context(SnapshotException.wrap("restore pre-flight on host " + host, e), workload, snapshot.id());
    }
    List<String> warnings = new ArrayList<>();
    AtomicReference<Optional<SnapshotId>> preRestore = new AtomicReference<>(Optional.empty());
    EngineContext.Quiet<RestoreOutcome> quiet;
    try (WorkloadLease lease = ctx.lock(workload)) {
      Optional<String> hostNow = ctx.findHost(workload);
      if (hostNow.isEmpty()) {
        throw new SnapshotException(ErrorCode.NOT_FOUND, "workload " + workload
            + " disappeared before the restore could start; nothing was changed").withWorkload(workload);
      }
      if (!hostNow.get().equals(host)) {
        throw new SnapshotException(ErrorCode.CONFLICT, "workload " + workload + " moved from host " + host
            + " to " + hostNow.get() + " during the restore pre-flight; nothing was changed; retry")
            .withWorkload(workload);
      }
      progress.phase("quiesce");
      quiet = ctx.whileQuiesced(lease, QuiescePolicy.STOP, q -> {
        // a restore into another target touches no live volume, so there is nothing to keep safe
        if (spec.preRestoreSnapshot() && spec.target().isEmpty()) {
          // its own counters would mix with the restore's: only the phase is reported
          progress.phase("pre-restore snapshot");
          preRestore.set(preRestoreSnapshot(snapshot, lease, q, preTrigger, warnings));
        }
        return restoreOnHost(agent, host, request, progress);
      });
    }
    progress.phase("record");
    return finishRestore(snapshot, RestoreMode.REPLACE, quiet, preRestore.get(), warnings, done);
  }

  /** Best effort: captures the already quiesced workload under the held lease, without re-locking. */
  private Optional<SnapshotId> preRestoreSnapshot(Snapshot restoring, WorkloadLease lease, Quiesced quiesced,
      Trigger trigger, List<String> warnings) {
    WorkloadRef workload = restoring.workload();
    Snapshot row;
    try {
      row = capture.admit(CaptureSpec.of(workload).trigger(trigger)
          .labels(Map.of(LABEL_RESTORE_OF, restoring.id().value())));
    } catch (RuntimeException e) {
      log.warn("the pre-restore snapshot of {} was not taken (continuing with the restore): {}", workload, e.getMessage());
      warnings.add("no pre-restore snapshot was taken: " + oneLine(e.getMessage()));
      return Optional.empty();
    }
    try {
      return Optional.of(capture.captureUnderLease(row, lease, quiesced.policy(), false, Excludes.none(), Optional.of(quiesced),
          Capture.silent()).id());
    } catch (RuntimeException e) {
      RuntimeException reported = capture.failCapture(row, e);
      log.warn("the pre-restore snapshot {} of {} failed (continuing with the restore): {}",
          row.id(), workload, reported.getMessage());
      warnings.add("the pre-restore snapshot " + row.id() + " failed: " + oneLine(reported.getMessage()));
      return Optional.empty();
    } finally {
      ctx.usage().invalidate(workload.tenant());
    }
  }

  private static RestoreOutcome restoreOnHost(HostAgent agent, String host, RestoreRequest request,
      ProgressTracker progress) {
    RestoreOutcome outcome;
    try {
      // no listener: the agent is asked exactly as before, and counts nothing
      outcome = progress.active() ? agent.restore(request, progress::relay) : agent.restore(request);
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

  private RestoreReport finishRestore(Snapshot snapshot, RestoreMode mode, EngineContext.Quiet<RestoreOutcome> quiet,
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
      ctx.transaction("recording the restore of " + snapshot.id(), tx -> {
        tx.append(ctx.event(done, snapshot, meta));
        return null;
      });
    } catch (SnapshotException e) {
      log.error("snapshot {} was restored but its {} event could not be recorded", snapshot.id(), done.wireName(), e);
      List<String> withWarning = new ArrayList<>(lines);
      withWarning.add("the restore succeeded but its event could not be recorded: " + oneLine(e.getMessage()));
      return new RestoreReport(report.snapshot(), mode, report.families(), report.unsupportedFamilies(),
          report.partialSnapshot(), preRestore, redeployFailed, withWarning);
    }
    return report;
  }
}
