package io.snapshotkit.fs.internal.repo;

import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import java.io.IOException;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A fork's only repository write: the child snapshot's root object, naming the source snapshot's
 * directory trees (so its content is shared, not copied) under the child's workload and id.
 * Published like a capture's root ({@link FsRepository#publishRoot}), so the child snapshot exists
 * whole or not at all.
 *
 * <p>It is written under the collection lock: gc marks from the root files it lists and then
 * sweeps, so a root written between its mark and its sweep could name trees the sweep removes if
 * the source were deleted meanwhile. Under the lock, either the source's root file is read before
 * a collection starts (and the child's root is there for its mark) or after one ended (and the
 * source, if still present, kept everything it names). On a store shared by several hosts it also
 * holds a capture lease, which keeps the other hosts' gc from sweeping, as a capture's does.
 */
public final class ForkRoot {
  private ForkRoot() {}

  /**
   * Writes the child's root file from the source's.
   *
   * @return the child's summary: the source's counts, stored bytes the root file's own size
   * @throws SnapshotException NOT_FOUND if the repository does not hold the source snapshot; CORRUPT
   *     if its root file is damaged
   */
  public static Summary write(FsRepository repo, WorkloadRef source, SnapshotId sourceId,
      WorkloadRef child, SnapshotId childId) {
    Optional<SharedLeases.Lease> lease = repo.sharedCaptureLease();
    repo.collectionLock().lock();
    try {
      RootFile from = repo.rootFile(source, sourceId).orElseThrow(() -> SnapshotException.notFound("snapshot "
          + sourceId + " of " + source + " is not in the repository " + repo.root()).withSnapshot(sourceId)
          .withWorkload(source));
      Summary s = from.summary();
      long rootBytes = new RootFile(new Summary(s.capturedAt(), s.partial(), 0, s.entries(),
          s.volumes(), s.excludes()), from.trees()).format().length;
      // the stored-bytes number's own digits are part of the root file: settle on a fixed point
      for (int i = 0; i < 3; i++) {
        rootBytes = new RootFile(new Summary(s.capturedAt(), s.partial(), rootBytes, s.entries(),
            s.volumes(), s.excludes()), from.trees()).format().length;
      }
      // the child keeps the source's exclude patterns: its data left out the same paths
      Summary mine = new Summary(s.capturedAt(), s.partial(), rootBytes, s.entries(),
          new TreeMap<>(s.volumes()), s.excludes());
      lease.ifPresent(SharedLeases.Lease::checkHeld);
      repo.publishRoot(child, childId, new RootFile(mine, from.trees()).format());
      return mine;
    } catch (IOException e) {
      throw SnapshotException.wrap("writing the root file of fork " + childId, e).withSnapshot(childId)
          .withWorkload(child);
    } finally {
      repo.collectionLock().unlock();
      lease.ifPresent(SharedLeases.Lease::close);
    }
  }
}
