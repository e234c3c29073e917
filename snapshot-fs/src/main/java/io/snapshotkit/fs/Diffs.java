package io.snapshotkit.fs;

import io.snapshotkit.Change;
import io.snapshotkit.DiffResult;
import io.snapshotkit.Excludes;
import io.snapshotkit.FamilyDiff;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.internal.capture.Capture;
import io.snapshotkit.fs.internal.repo.FsRepository;
import io.snapshotkit.fs.internal.repo.Summary;
import io.snapshotkit.fs.internal.repo.TreeDiff;
import io.snapshotkit.fs.internal.repo.TreeReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The agent's file-level diffs: two snapshots merged as sorted streams of their trees, or a
 * snapshot against a scan of the live volumes, leaving out what either side excluded; collected,
 * streamed per change, or as {@link FileChange}s. {@link FsHostAgent}'s diff methods delegate here.
 *
 * <p><b>Thread-safety:</b> thread-safe; each diff runs on its caller's thread.
 */
final class Diffs {
  private final FsRepository repo;
  private final Capture capture;
  private final WorkloadVolumes volumes;
  private final HeldSnapshots held;

  Diffs(FsRepository repo, Capture capture, WorkloadVolumes volumes, HeldSnapshots held) {
    this.repo = repo;
    this.capture = capture;
    this.volumes = volumes;
    this.held = held;
  }

  /** See {@link FsHostAgent#diff(WorkloadRef, SnapshotId, Optional)}. */
  DiffResult collect(WorkloadRef workload, SnapshotId from, Optional<SnapshotId> to) {
    List<Change> changes = new ArrayList<>();
    DiffSummary s = diff(workload, from, to, c -> changes.add(TreeDiff.toChange(c)));
    return new DiffResult(from, to, Map.of(FsHostAgent.FILES_FAMILY, new FamilyDiff(changes)), s.partial(), problems(s));
  }

  /** See {@link FsHostAgent#streamDiff(WorkloadRef, SnapshotId, Optional, BiConsumer)}. */
  DiffResult stream(WorkloadRef workload, SnapshotId from, Optional<SnapshotId> to,
      BiConsumer<String, Change> sink) {
    DiffSummary s = diff(workload, from, to, c -> sink.accept(FsHostAgent.FILES_FAMILY, TreeDiff.toChange(c)));
    return new DiffResult(from, to, Map.of(), s.partial(), problems(s));
  }

  private static List<String> problems(DiffSummary s) {
    return s.partial()
        ? List.of("a side of the diff is partial: files that could not be read consistently are not compared")
        : List.of();
  }

  /** See {@link FsHostAgent#diff(WorkloadRef, SnapshotId, Optional, Consumer)}. */
  DiffSummary diff(WorkloadRef workload, SnapshotId from, Optional<SnapshotId> to,
      Consumer<FileChange> sink) {
    Summary fromSummary = held.require(workload, from);
    try (TreeReader older = repo.entries(workload, from)) {
      TreeDiff diff = new TreeDiff(older, sink);
      if (to.isPresent()) {
        Summary toSummary = held.require(workload, to.get());
        diff.ignoring(fromSummary.excluded().and(toSummary.excluded()));
        try (TreeReader newer = repo.entries(workload, to.get())) {
          diff.newer(newer);
        }
        return diff.finish(fromSummary.partial() || toSummary.partial());
      }
      Excludes ignored = fromSummary.excluded().and(volumes.excludes(workload));
      diff.ignoring(ignored);
      boolean partial = capture.scanLive(workload, volumes.require(workload), Optional.of(from), ignored, diff::newer);
      return diff.finish(fromSummary.partial() || partial);
    }
  }
}
