package io.snapshotkit.fs.internal.repo;

import io.snapshotkit.fs.FileEntry;
import io.snapshotkit.fs.FileType;
import java.time.Instant;
import java.util.Optional;

/**
 * A manifest entry as stored: the public {@link FileEntry} fields plus the change-detection keys
 * (inode, ctime) and whether the content could not be read consistently. Immutable.
 *
 * <p>{@code uid} and {@code gid} are the numeric owner, both {@link #NO_OWNER} when none is
 * recorded (a manifest written before owners were captured, an import, an ingest).
 */
public record Entry(String volume, String path, FileType type, int mode, long size, long mtimeNanos,
    long inode, long ctimeNanos, Digest digest, String linkTarget, boolean torn, int uid, int gid) {

  public static final long UNKNOWN = -1;
  /** The uid and gid of an entry without a recorded owner. */
  public static final int NO_OWNER = -1;

  public Entry {
    if ((uid == NO_OWNER) != (gid == NO_OWNER)) {
      throw new IllegalArgumentException("an entry has both a uid and a gid, or neither: " + path);
    }
  }

  boolean hasOwner() {
    return uid != NO_OWNER;
  }

  /** This entry without its owner: what is stored from an untrusted source. */
  public Entry withoutOwner() {
    return new Entry(volume, path, type, mode, size, mtimeNanos, inode, ctimeNanos, digest, linkTarget, torn,
        NO_OWNER, NO_OWNER);
  }

  /** This entry as the public value diffs report. */
  public FileEntry toPublic() {
    return new FileEntry(volume, path, type, mode, size, instant(mtimeNanos),
        Optional.ofNullable(digest).map(Digest::hex), Optional.ofNullable(linkTarget),
        hasOwner() ? Optional.of(new FileEntry.Owner(uid, gid)) : Optional.empty());
  }

  public String key() {
    return volume + ":" + path;
  }

  int compareKey(Entry other) {
    return PathOrder.compare(volume, path, other.volume, other.path);
  }

  /** Whether content (or link target), type, mode and owner are the same; times and inode are ignored. */
  boolean sameState(Entry o) {
    return type == o.type && mode == o.mode && sameOwner(o) && sameContent(o);
  }

  /** Whether both record the same owner, or neither records one. */
  public boolean sameOwner(Entry o) {
    return uid == o.uid && gid == o.gid;
  }

  boolean sameContent(Entry o) {
    return switch (type) {
      case FILE -> o.type == FileType.FILE && size == o.size && java.util.Objects.equals(digest, o.digest);
      case SYMLINK -> o.type == FileType.SYMLINK && linkTarget.equals(o.linkTarget);
      case DIRECTORY -> o.type == FileType.DIRECTORY;
    };
  }

  public static Instant instant(long nanos) {
    return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
  }

  public static long nanos(Instant t) {
    return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
  }
}
