package io.snapshotkit.fs;

import java.time.Instant;
import java.util.Optional;

/**
 * A manifest entry as stored: the public {@link FileEntry} fields plus the change-detection keys
 * (inode, ctime) and whether the content could not be read consistently. Immutable.
 */
record Entry(String volume, String path, FileType type, int mode, long size, long mtimeNanos,
    long inode, long ctimeNanos, Digest digest, String linkTarget, boolean torn) {

  static final long UNKNOWN = -1;

  FileEntry toPublic() {
    return new FileEntry(volume, path, type, mode, size, instant(mtimeNanos),
        Optional.ofNullable(digest).map(Digest::hex), Optional.ofNullable(linkTarget));
  }

  static Entry fromPublic(FileEntry e, Digest digest) {
    return new Entry(e.volume(), e.path(), e.type(), e.mode(), e.size(), nanos(e.mtime()),
        UNKNOWN, UNKNOWN, digest, e.linkTarget().orElse(null), false);
  }

  String key() {
    return volume + ":" + path;
  }

  int compareKey(Entry other) {
    return PathOrder.compare(volume, path, other.volume, other.path);
  }

  /** Whether content (or link target), type and mode are the same; times and inode are ignored. */
  boolean sameState(Entry o) {
    return type == o.type && mode == o.mode && sameContent(o);
  }

  boolean sameContent(Entry o) {
    return switch (type) {
      case FILE -> o.type == FileType.FILE && size == o.size && java.util.Objects.equals(digest, o.digest);
      case SYMLINK -> o.type == FileType.SYMLINK && linkTarget.equals(o.linkTarget);
      case DIRECTORY -> o.type == FileType.DIRECTORY;
    };
  }

  static Instant instant(long nanos) {
    return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
  }

  static long nanos(Instant t) {
    return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
  }
}
