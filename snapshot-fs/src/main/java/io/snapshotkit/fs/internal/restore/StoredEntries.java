package io.snapshotkit.fs.internal.restore;

import io.snapshotkit.fs.internal.files.Modes;
import io.snapshotkit.fs.internal.files.OrderedWork.Work;
import io.snapshotkit.fs.internal.files.SafeTree;
import io.snapshotkit.fs.internal.repo.ContentStore;
import io.snapshotkit.fs.internal.repo.Entry;
import io.snapshotkit.fs.internal.repo.FsRepository;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Writes stored entries (manifest entries, content from the content store) into a {@link
 * SafeTree}: the one place the additive restore and the replace restore's staging turn a
 * snapshot entry into a file, directory or link, and the one warning for what could not be
 * restored as recorded.
 */
final class StoredEntries {
  /** File writes a restore keeps in flight (their contents are read as they run, not before). */
  static final int WRITE_WINDOW = 64;

  private StoredEntries() {}

  /**
   * The one warning line for entries a restore could not give their recorded owner, or whose
   * setuid or setgid bit it dropped for that reason (see {@link SafeTree}), if any.
   */
  static Optional<String> ownershipWarning(Collection<SafeTree> trees) {
    long stripped = trees.stream().mapToLong(SafeTree::specialBitsStripped).sum();
    long notOwned = trees.stream().mapToLong(SafeTree::ownersNotSet).sum();
    if (stripped == 0 && notOwned == 0) {
      return Optional.empty();
    }
    List<String> parts = new ArrayList<>();
    if (notOwned > 0) {
      parts.add(notOwned + " entries could not be given the owner they were captured with (an id this system "
          + "cannot hold?) and belong to the restoring user");
    }
    if (stripped > 0) {
      parts.add(stripped + " entries were restored without their setuid or setgid bit, because they do not belong "
          + "to the owner they were captured with: " + (Modes.writesAsRoot()
              ? "the snapshot records no owner for them (captured before owners were recorded, or imported), or "
                  + "their owner could not be set"
              : "the restore did not run as root, so they belong to the restoring user")
          + "; such a bit is only restored for the owner it was captured with, never for another user");
    }
    return Optional.of(String.join("; ", parts));
  }

  /**
   * Writes one entry at {@code path} under a tree: a directory or link now; a file is checked and
   * its parents created now, and its content is returned as work to run on any thread (its
   * result is always null).
   */
  static Optional<Work<String>> write(FsRepository repo, SafeTree tree, String path, Entry e) {
    FileTime mtime = FileTime.from(Entry.instant(e.mtimeNanos()));
    switch (e.type()) {
      case DIRECTORY -> tree.directory(path, e.mode(), e.uid(), e.gid(), mtime);
      case SYMLINK -> tree.symlink(path, e.linkTarget(), e.uid(), e.gid(), mtime);
      case FILE -> {
        SafeTree.PendingFile file = tree.reserveFile(path, e.size());
        // the content writes itself: a chunked file's chunks in parallel, each at its offset
        return Optional.of(() -> {
          long n = file.write(e.size(), out -> repo.content().writeTo(e.digest(), e.size(), out), e.mode(), e.uid(),
              e.gid(), mtime);
          if (n != e.size()) {
            throw ContentStore.corrupt(e.digest(), null);
          }
          return null;
        });
      }
    }
    return Optional.empty();
  }
}
