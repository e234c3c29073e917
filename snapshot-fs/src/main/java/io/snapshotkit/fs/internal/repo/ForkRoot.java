package io.snapshotkit.fs.internal.repo;

import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.internal.files.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeMap;

/**
 * A fork's only repository write: the child snapshot's root file, naming the source snapshot's
 * directory trees (so its content is shared, not copied) under the child's workload and id.
 * Written by rename, like a capture's root file, so the child snapshot exists whole or not at all.
 *
 * <p>It is written under the collection lock: gc marks from the root files it lists and then
 * sweeps, so a root written between its mark and its sweep could name trees the sweep removes if
 * the source were deleted meanwhile. Under the lock, either the source's root file is read before
 * a collection starts (and the child's root is there for its mark) or after one ended (and the
 * source, if still present, kept everything it names).
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
  public static FsRepository.Summary write(FsRepository repo, WorkloadRef source, SnapshotId sourceId,
      WorkloadRef child, SnapshotId childId) {
    repo.collectionLock().lock();
    try {
      RootFile from = repo.rootFile(source, sourceId).orElseThrow(() -> SnapshotException.notFound("snapshot "
          + sourceId + " of " + source + " is not in the repository " + repo.root()).withSnapshot(sourceId)
          .withWorkload(source));
      FsRepository.Summary s = from.summary();
      long rootBytes = new RootFile(new FsRepository.Summary(s.capturedAt(), s.partial(), 0, s.entries(),
          s.volumes()), from.trees()).format().length;
      // the stored-bytes number's own digits are part of the root file: settle on a fixed point
      for (int i = 0; i < 3; i++) {
        rootBytes = new RootFile(new FsRepository.Summary(s.capturedAt(), s.partial(), rootBytes, s.entries(),
            s.volumes()), from.trees()).format().length;
      }
      FsRepository.Summary mine = new FsRepository.Summary(s.capturedAt(), s.partial(), rootBytes, s.entries(),
          new TreeMap<>(s.volumes()));
      Path file = repo.rootPath(child, childId);
      Files.createDirectories(file.getParent());
      AtomicFiles.write(file, new RootFile(mine, from.trees()).format());
      return mine;
    } catch (IOException e) {
      throw SnapshotException.wrap("writing the root file of fork " + childId, e).withSnapshot(childId)
          .withWorkload(child);
    } finally {
      repo.collectionLock().unlock();
    }
  }
}
