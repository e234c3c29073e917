package io.snapshotkit.fs.internal.capture;

import io.snapshotkit.Excludes;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Collection;

/**
 * What a capture of some volumes will walk, counted beforehand so its progress has totals: the
 * entries a {@link Scanner} produces (directories below each volume root, files and symlinks; not
 * device nodes, fifos or sockets, which it skips) and the bytes of the regular files. One stat per
 * entry, no reads, links not followed; run only when someone listens to the progress. Entries that
 * vanish or cannot be read while counting are left out: the totals are an estimate of a tree that
 * may change under the capture.
 *
 * @param entries the entries below the volume roots
 * @param bytes the regular files' sizes, summed
 */
record TreeCount(long entries, long bytes) {

  /** Counts every volume in {@code roots}, leaving out what {@code excludes} match, as the scan does. */
  static TreeCount of(Collection<Path> roots, Excludes excludes) {
    long[] n = {0, 0};
    for (Path root : roots) {
      try {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes a) {
            if (!dir.equals(root)) {
              if (excluded(excludes, root, dir, true)) {
                return FileVisitResult.SKIP_SUBTREE;
              }
              n[0]++;
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes a) {
            if (excluded(excludes, root, file, false)) {
              return FileVisitResult.CONTINUE;
            }
            if (a.isRegularFile()) {
              n[0]++;
              n[1] += a.size();
            } else if (a.isSymbolicLink()) {
              n[0]++;
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) {
            return FileVisitResult.CONTINUE;
          }
        });
      } catch (IOException e) {
        // an estimate: the scan itself reports what it cannot read
      }
    }
    return new TreeCount(n[0], n[1]);
  }

  /** Whether the capture's scan leaves this entry out (it never descends into an excluded directory either). */
  private static boolean excluded(Excludes excludes, Path root, Path entry, boolean directory) {
    return !excludes.isEmpty() && excludes.excludesEntry(root.relativize(entry).toString(), directory);
  }
}
