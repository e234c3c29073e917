package io.snapshotkit.core;

import static io.snapshotkit.core.EngineContext.oneLine;

import io.snapshotkit.EventType;
import io.snapshotkit.RetentionPolicy;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.WorkloadRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;

/**
 * The periodic work: the expiry sweep and retention (both deleting through {@link StrictDelete}),
 * and the reaper of stuck captures (marking them FAILED through {@link Capture}).
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
final class Maintenance {
  private static final Logger log = EngineContext.LOG;

  /** How many rows one sweep or reaper run handles. */
  static final int SWEEP_BATCH = 1000;

  private final EngineContext ctx;
  private final StrictDelete strictDelete;
  private final Capture capture;

  Maintenance(EngineContext ctx, StrictDelete strictDelete, Capture capture) {
    this.ctx = ctx;
    this.strictDelete = strictDelete;
    this.capture = capture;
  }

  /** See {@link SnapshotEngine#sweepExpired}. */
  SweepReport sweepExpired() {
    List<Snapshot> expired = ctx.read("listing expired snapshots",
        () -> ctx.store().expired(ctx.clock().instant(), SWEEP_BATCH));
    List<SnapshotId> deleted = new ArrayList<>();
    Map<SnapshotId, String> failed = new LinkedHashMap<>();
    for (Snapshot s : expired) {
      if (s.isProtected() || !(s.status() == SnapshotStatus.READY || s.status() == SnapshotStatus.DELETING)
          || strictDelete.inFlight(s.id())) {
        continue;
      }
      try {
        strictDelete.delete(s, EventType.EXPIRED);
        deleted.add(s.id());
      } catch (RuntimeException e) {
        log.warn("expired snapshot {} could not be deleted; the next sweep retries it: {}", s.id(), e.getMessage());
        failed.put(s.id(), oneLine(String.valueOf(e.getMessage())));
      }
    }
    return new SweepReport(deleted, failed);
  }

  /** See {@link SnapshotEngine#applyRetention}. */
  RetentionResult applyRetention(WorkloadRef workload, RetentionPolicy policy, boolean dryRun) {
    List<Snapshot> all = ctx.versions(workload);
    RetentionPlanner.Plan plan = RetentionPlanner.plan(all, policy);
    // Deletes that an earlier run chose but did not finish (interrupted while DELETING) finish now.
    List<Snapshot> toDelete = new ArrayList<>(plan.delete());
    all.stream()
        .filter(s -> s.status() == SnapshotStatus.DELETING && !s.isProtected() && !strictDelete.inFlight(s.id()))
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
        strictDelete.delete(s, EventType.DELETED);
        deleted.add(s.id());
      } catch (RuntimeException e) {
        log.warn("retention could not delete snapshot {}: {}", s.id(), e.getMessage());
        failed.put(s.id(), oneLine(String.valueOf(e.getMessage())));
      }
    }
    return new RetentionResult(kept, deleted, failed, false);
  }

  /** See {@link SnapshotEngine#reapStuckCaptures}. */
  int reapStuckCaptures() {
    Duration after = ctx.settings().stuckCaptureAfter();
    List<Snapshot> stuck = ctx.read("listing stuck captures",
        () -> ctx.store().capturingSince(ctx.clock().instant().minus(after), SWEEP_BATCH));
    int reaped = 0;
    for (Snapshot s : stuck) {
      if (capture.markFailed(s.id(), "the capture did not finish within " + after + "; marked FAILED by the reaper")) {
        log.warn("reaped stuck capture {} of {} (started {})", s.id(), s.workload(), s.createdAt());
        reaped++;
      }
    }
    return reaped;
  }
}
