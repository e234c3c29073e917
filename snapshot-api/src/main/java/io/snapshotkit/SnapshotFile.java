package io.snapshotkit;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One entry inside a snapshot, as browsing it shows: a file, a directory or a symlink, named by
 * its path {@code VOLUME/dir/name} (a volume itself is the directory {@code VOLUME}).
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param path the entry's path inside the snapshot: the volume, then the path inside it, joined by
 *     {@code /}; no leading or trailing {@code /}
 * @param type what the entry is
 * @param size the file's length in bytes; 0 for directories and symlinks
 * @param mode the permission bits (for example {@code 0644})
 * @param modified the entry's modification time as captured
 * @param linkTarget a symlink's target, verbatim (it is data: never followed); empty otherwise
 */
public record SnapshotFile(String path, Type type, long size, int mode, Instant modified,
    Optional<String> linkTarget) {

  /** What an entry is. */
  public enum Type {
    /** A regular file: its bytes can be read. */
    FILE,
    /** A directory (or a volume): it can be listed, or dumped as a tar. */
    DIRECTORY,
    /** A symbolic link: only its target is stored; nothing is read through it. */
    SYMLINK
  }

  /** Validates. */
  public SnapshotFile {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(modified, "modified");
    Objects.requireNonNull(linkTarget, "linkTarget");
    if (path.isEmpty() || path.startsWith("/") || path.endsWith("/")) {
      throw new IllegalArgumentException("a snapshot path is VOLUME or VOLUME/path, without leading or trailing '/': '"
          + path + "'");
    }
    if (size < 0) {
      throw new IllegalArgumentException("size must not be negative: " + size);
    }
    if (linkTarget.isPresent() != (type == Type.SYMLINK)) {
      throw new IllegalArgumentException("a symlink, and only a symlink, has a link target: " + path);
    }
  }

  /** The last segment of {@link #path()}: the entry's own name (the volume's name for a volume). */
  public String name() {
    return path.substring(path.lastIndexOf('/') + 1);
  }
}
