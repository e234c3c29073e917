package io.snapshotkit.fs;

import io.snapshotkit.FamilyRestore;
import io.snapshotkit.RestoreMode;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.internal.repo.FsRepository;
import io.snapshotkit.fs.internal.restore.AdditiveRestore;
import io.snapshotkit.fs.internal.restore.ExcludedPaths;
import io.snapshotkit.fs.internal.restore.ReplaceRestore;
import io.snapshotkit.fs.internal.restore.RestorePlanner;
import io.snapshotkit.fs.internal.restore.Restorer;
import io.snapshotkit.spi.ProgressTracker;
import io.snapshotkit.spi.RestoreOutcome;
import io.snapshotkit.spi.RestoreRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's restores: plan (refusing a target that overlaps another workload's volumes), then
 * the additive restore, or the replace restore of the selection minus the snapshot's excluded
 * paths; and the replay of restore journals a crash left, at start-up and on demand.
 * {@link FsHostAgent#restore}, {@link FsHostAgent#preflight} and {@link FsHostAgent#recover}
 * delegate here.
 *
 * <p><b>Thread-safety:</b> thread-safe, as the agent.
 */
final class Restores {
  /** The agent's logger, so restores log under the agent's name as they always have. */
  private static final Logger LOG = LoggerFactory.getLogger(FsHostAgent.class);

  private final FsRepository repo;
  private final Restorer restorer;
  private final RestorePlanner planner;
  private final RestoreListener listener;
  private final WorkloadVolumes volumes;
  private final HeldSnapshots held;
  private final String hostId;

  Restores(FsRepository repo, Restorer restorer, RestorePlanner planner, RestoreListener listener,
      WorkloadVolumes volumes, HeldSnapshots held, String hostId) {
    this.repo = repo;
    this.restorer = restorer;
    this.planner = planner;
    this.listener = listener;
    this.volumes = volumes;
    this.held = held;
    this.hostId = hostId;
  }

  /** See {@link FsHostAgent#restore(RestoreRequest, io.snapshotkit.ProgressListener)}. */
  RestoreOutcome restore(RestoreRequest request, ProgressTracker tracker) {
    tracker.phase("plan");
    RestorePlanner.Plan plan = plan(request);
    tracker.totals(plan.entries(), plan.bytes());
    WorkloadRef w = request.workload();
    SnapshotId id = request.snapshotId();
    FamilyRestore result;
    List<String> warnings = new ArrayList<>(plan.warnings());
    if (request.mode() == RestoreMode.ADDITIVE) {
      tracker.phase("write");
      AdditiveRestore.Result done = restorer.additive(w, id, plan.targets(), plan.selection(), tracker);
      warnings.addAll(done.warnings());
      result = FamilyRestore.of(done.created(), done.skipped(), done.failures());
    } else {
      ExcludedPaths.Refined units = ExcludedPaths.refine(repo, w, id, plan.targets(), plan.selection(),
          held.require(w, id).excluded());
      warnings.addAll(units.warnings());
      if (units.selection().volumes().isEmpty()) {
        result = new FamilyRestore(0, 0, List.of());
      } else {
        ReplaceRestore.Result done = restorer.replace(w, id, plan.targets(), units.selection(), listener, tracker);
        warnings.addAll(done.warnings());
        result = new FamilyRestore(done.entries(), 0, List.of());
      }
    }
    LOG.info("restored snapshot {} of {} on host {} ({}): {} written, {} skipped, {} errors", id, w, hostId,
        request.mode(), result.created(), result.skipped(), result.errors().size());
    tracker.finish();
    return new RestoreOutcome(Map.of(FsHostAgent.FAMILY, result), List.of(), warnings);
  }

  /**
   * Plans a restore; one into a target directory is refused (CONFLICT, naming both workloads) when
   * a volume's directory there is, contains or is inside a volume another tracked workload holds,
   * as {@link FsHostAgent#track} refuses it: the restore would rewrite that workload's files.
   */
  RestorePlanner.Plan plan(RestoreRequest request) {
    RestorePlanner.Plan plan = planner.plan(request, volumes::require);
    if (request.target().isPresent()) {
      volumes.checkUnshared(request.workload(), plan.targets());
    }
    return plan;
  }

  /**
   * Replays every restore journal left in the repository by a crash.
   *
   * @return one sentence per interrupted restore replayed
   */
  List<String> recover() {
    return restorer.recoverAll();
  }
}
