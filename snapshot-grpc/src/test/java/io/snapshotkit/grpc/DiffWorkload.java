package io.snapshotkit.grpc;

import io.snapshotkit.Change;
import io.snapshotkit.fs.FileEntry;
import io.snapshotkit.fs.FileType;
import java.time.Instant;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Optional;

/**
 * Two versions of a synthetic tree whose diff is known change by change, shared by
 * {@link StreamedDiffScaleIT} and its child JVMs: {@code dirs} directories of {@link #LINKS}
 * link slots each. Slot {@code k} holds a symlink in version 1 unless {@code k % 100 == 1}, and
 * in version 2 unless {@code k % 100 == 0}; a link in both versions points elsewhere in version
 * 2. So every slot is one change, in path order: removed ({@code k % 100 == 0}), added
 * ({@code k % 100 == 1}) or changed (the rest); the directories themselves are unchanged.
 */
final class DiffWorkload {
  static final int LINKS = 2000;
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

  private final int dirs;

  DiffWorkload(int dirs) {
    this.dirs = dirs;
  }

  /** The number of changes between the versions: one per link slot. */
  long changes() {
    return (long) dirs * LINKS;
  }

  /** The number of entries of either version. */
  long entries() {
    return dirs + (long) dirs * (LINKS - LINKS / 100);
  }

  /** The entries of version 1 or 2, in {@link FileEntry#ORDER}. */
  Iterator<FileEntry> version(int version) {
    return new Iterator<>() {
      private int d;
      private int slot = -1;

      @Override
      public boolean hasNext() {
        return d < dirs;
      }

      @Override
      public FileEntry next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        FileEntry e;
        if (slot < 0) {
          e = new FileEntry("data", dir(d), FileType.DIRECTORY, 0755, 0, T, Optional.empty(), Optional.empty());
        } else {
          String target = "target-" + d + "-" + slot + (version == 2 ? "-v2" : "");
          e = new FileEntry("data", link(d, slot), FileType.SYMLINK, 0777, target.length(), T, Optional.empty(),
              Optional.of(target));
        }
        advance(version);
        return e;
      }

      private void advance(int version) {
        do {
          if (++slot >= LINKS) {
            slot = -1;
            d++;
          }
        } while (slot >= 0 && slot % 100 == (version == 1 ? 1 : 0));
      }
    };
  }

  /**
   * Checks that {@code change} is the {@code index}-th change (from 0) of the diff from version 1
   * to version 2.
   *
   * @return null if it is, else what is wrong
   */
  static String mismatch(long index, Change change) {
    int d = (int) (index / LINKS);
    int slot = (int) (index % LINKS);
    String key = "data:" + link(d, slot);
    Class<?> kind = slot % 100 == 0 ? Change.Removed.class : slot % 100 == 1 ? Change.Added.class : Change.Changed.class;
    if (!change.key().equals(key) || !kind.isInstance(change)) {
      return "change " + index + " should be " + kind.getSimpleName() + " " + key + ", got "
          + change.getClass().getSimpleName() + " " + change.key();
    }
    return null;
  }

  private static String dir(int d) {
    return String.format("d%04d", d);
  }

  private static String link(int d, int slot) {
    return dir(d) + "/l" + String.format("%05d", slot);
  }
}
