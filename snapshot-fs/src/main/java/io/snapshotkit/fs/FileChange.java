package io.snapshotkit.fs;

import java.util.Objects;
import java.util.Optional;

/**
 * One file-level difference between two states of a workload's volumes.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param kind what changed
 * @param before the entry on the older side, absent for {@link Kind#ADDED}
 * @param after the entry on the newer side, absent for {@link Kind#REMOVED}
 */
public record FileChange(Kind kind, Optional<FileEntry> before, Optional<FileEntry> after) {

  /** What kind of difference. */
  public enum Kind {
    /** Only the newer side has the path. */
    ADDED,
    /** Only the older side has the path. */
    REMOVED,
    /** Both sides have a file (or symlink) at the path with different content (or target). */
    MODIFIED,
    /** The path is a different type on each side (a file became a directory, say). */
    TYPE_CHANGED,
    /**
     * Only the metadata differs: the mode bits, or the owner (uid or gid) when both sides record
     * one (see {@link FileEntry#owner()}).
     */
    MODE_CHANGED
  }

  /** Validates. */
  public FileChange {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(before, "before");
    Objects.requireNonNull(after, "after");
    if (before.isEmpty() != (kind == Kind.ADDED) || after.isEmpty() != (kind == Kind.REMOVED)) {
      throw new IllegalArgumentException(kind + " has the wrong sides present");
    }
  }

  /** The {@code volume:path} key of the entry that differs. */
  public String key() {
    return before.or(() -> after).orElseThrow().key();
  }
}
