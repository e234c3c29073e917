package io.snapshotkit.fs.internal.fork;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Manifest;
import io.snapshotkit.RestoreMode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.RestoreListener;
import io.snapshotkit.fs.internal.repo.ForkRoot;
import io.snapshotkit.fs.internal.repo.FsRepository;
import io.snapshotkit.fs.internal.repo.Summary;
import io.snapshotkit.fs.internal.repo.Volumes;
import io.snapshotkit.fs.internal.restore.RestorePlanner;
import io.snapshotkit.fs.internal.restore.Restorer;
import io.snapshotkit.spi.CaptureResult;
import io.snapshotkit.spi.ForkRequest;
import io.snapshotkit.spi.ProgressTracker;
import io.snapshotkit.spi.RestoreRequest;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The directory agent's fork. The child snapshot is one new root file naming the source's trees
 * ({@link ForkRoot}): no content is copied. With a target directory the child is then tracked at
 * {@code target/<volume>} and its data written there by the journaled replace restore, which a
 * crash leaves whole or rolled back (replayed when the agent is next built).
 *
 * <p>Order: root file, tracking, restore. A failure removes the root file and the tracking this
 * call added. After a crash, a fork retried into the same target resumes (the child is tracked
 * exactly there, so the target may hold its data); any other existing data in the target is
 * refused, never overwritten.
 *
 * <p><b>Thread-safety:</b> thread-safe; the engine holds the child workload's lock.
 */
public final class Fork {
  private static final Logger LOG = LoggerFactory.getLogger(Fork.class);

  private final FsRepository repo;
  private final Volumes volumes;
  private final RestorePlanner planner;
  private final Restorer restorer;
  private final RestoreListener listener;
  private final String hostId;

  /** A fork over the agent's parts. */
  public Fork(FsRepository repo, Volumes volumes, RestorePlanner planner, Restorer restorer, RestoreListener listener,
      String hostId) {
    this.repo = repo;
    this.volumes = volumes;
    this.planner = planner;
    this.restorer = restorer;
    this.listener = listener;
    this.hostId = hostId;
  }

  /**
   * Forks as {@link io.snapshotkit.spi.HostFork#fork} describes.
   *
   * @param liveVolumes the volumes the agent knows for a workload (resolver or tracked), if any
   * @param progress told of the phases ({@code root}; with a target {@code plan}, then the replace
   *     restore's with its files and bytes); the caller finishes it
   */
  public CaptureResult fork(ForkRequest request, Function<WorkloadRef, Optional<Map<String, Path>>> liveVolumes,
      ProgressTracker progress) {
    WorkloadRef child = request.child();
    SnapshotId id = request.childSnapshot();
    Optional<Map<String, Path>> known = liveVolumes.apply(child);
    Optional<Path> target = request.target().map(this::targetDirectory);
    if (known.isPresent() && target.isEmpty()) {
      throw exists(child, known.get());
    }
    progress.phase("root");
    Summary summary = ForkRoot.write(repo, request.source(), request.sourceSnapshot(), child, id);
    boolean tracked = false;
    try {
      if (target.isPresent()) {
        progress.phase("plan");
        Map<String, Path> mapping = new TreeMap<>();
        summary.volumes().keySet().forEach(v -> mapping.put(v, target.get().resolve(v)));
        Map<String, Path> wanted = volumes.validate(mapping);
        if (known.isPresent() && !known.get().equals(wanted)) {
          throw exists(child, known.get());
        }
        if (known.isEmpty()) {
          requireEmpty(target.get());
          // the child keeps the source's exclude patterns, if this host tracks the source
          volumes.track(child, wanted, volumes.trackedExcludes(request.source()));
          tracked = true;
        }
        Manifest manifest = summary.toManifest(child);
        RestorePlanner.Plan plan = planner.plan(
            new RestoreRequest(child, id, manifest, RestoreMode.REPLACE, Optional.empty(), List.of()),
            w -> wanted);
        progress.totals(plan.entries(), plan.bytes());
        restorer.replace(child, id, plan.targets(), plan.selection(), listener, progress);
      }
    } catch (RuntimeException | Error e) {
      undo(child, id, tracked, e);
      throw e;
    }
    LOG.info("forked snapshot {} of {} into {} as {} on host {}{}", request.sourceSnapshot(), request.source(), child,
        id, hostId, target.map(t -> ", materialised at " + t).orElse(" (metadata only)"));
    return new CaptureResult(summary.toManifest(child), summary.storedBytes());
  }

  private SnapshotException exists(WorkloadRef child, Map<String, Path> at) {
    return new SnapshotException(ErrorCode.CONFLICT, "workload " + child + " already exists on host " + hostId
        + " (its volumes are " + at + "); fork into a new workload id, or, if a fork into it was interrupted, "
        + "retry it with the same target").withWorkload(child);
  }

  private Path targetDirectory(String target) {
    Path root;
    try {
      root = Path.of(target);
    } catch (RuntimeException e) {
      throw SnapshotException.invalid("fork target '" + target + "' is not a path on host " + hostId);
    }
    if (!root.isAbsolute()) {
      throw SnapshotException.invalid("fork target '" + target + "' must be an absolute directory path");
    }
    return root.normalize();
  }

  /** Refuses a target that holds anything: a fork never overwrites data it did not write. */
  private void requireEmpty(Path target) {
    if (!Files.exists(target)) {
      return;
    }
    if (!Files.isDirectory(target)) {
      throw SnapshotException.invalid("fork target " + target + " is a file; fork into a new or empty directory");
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(target)) {
      if (entries.iterator().hasNext()) {
        throw new SnapshotException(ErrorCode.CONFLICT, "fork target " + target + " is not empty; fork into a new "
            + "or empty directory (a fork never overwrites data)");
      }
    } catch (IOException e) {
      throw SnapshotException.wrap("reading the fork target " + target, e);
    }
  }

  private void undo(WorkloadRef child, SnapshotId id, boolean tracked, Throwable failure) {
    try {
      if (tracked) {
        volumes.untrack(child);
      }
      repo.delete(child, id);
    } catch (RuntimeException e) {
      LOG.warn("could not undo the failed fork {} of {} on host {}; delete the snapshot to remove it", id, child,
          hostId, e);
      failure.addSuppressed(e);
    }
  }
}
