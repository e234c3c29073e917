package io.snapshotkit.fs;

import java.time.Instant;
import java.util.Comparator;
import java.util.Objects;
import java.util.Optional;

/**
 * One entry of a volume as a snapshot stores it (or as the live directory looks now).
 *
 * <p>Entries are always handled in {@link #ORDER}: by volume name, then by path in tree order
 * (a directory is followed by everything under it before its next sibling). Manifests are stored
 * in that order, which is what lets two million-entry manifests be diffed as merged streams.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param volume the volume's name
 * @param path the path relative to the volume root, {@code /}-separated, never empty. Names are
 *     any bytes but {@code /} and NUL: they read as UTF-8, and each byte that is not part of
 *     valid UTF-8 reads as the lone surrogate {@code U+DC00 + byte} (as Python's
 *     "surrogateescape"), so every name has one exact text
 * @param type file, directory or symlink
 * @param mode the POSIX mode bits: permissions plus setuid, setgid and sticky ({@code 07777} mask)
 * @param size the content size in bytes (0 for directories; the target length for symlinks)
 * @param mtime the last-modified time, to the nanosecond the filesystem keeps
 * @param digest the lower-case hex SHA-256 of the content, for files only
 * @param linkTarget the target text (bytes as in {@code path}), verbatim, for symlinks only
 */
public record FileEntry(
    String volume, String path, FileType type, int mode, long size, Instant mtime,
    Optional<String> digest, Optional<String> linkTarget) {

  /** Volume name, then path in tree order. */
  public static final Comparator<FileEntry> ORDER =
      Comparator.comparing(FileEntry::volume).thenComparing(FileEntry::path, PathOrder::compare);

  /** Validates. */
  public FileEntry {
    Objects.requireNonNull(volume, "volume");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(mtime, "mtime");
    Objects.requireNonNull(digest, "digest");
    Objects.requireNonNull(linkTarget, "linkTarget");
    if (volume.isEmpty() || path.isEmpty()) {
      throw new IllegalArgumentException("an entry has a volume name and a non-empty path");
    }
    if (size < 0) {
      throw new IllegalArgumentException("size must not be negative: " + size);
    }
    if ((type == FileType.FILE) != digest.isPresent()) {
      throw new IllegalArgumentException("a file entry, and only a file entry, has a digest: " + path);
    }
    if ((type == FileType.SYMLINK) != linkTarget.isPresent()) {
      throw new IllegalArgumentException("a symlink entry, and only a symlink entry, has a target: " + path);
    }
    mode &= 07777;
  }

  /** The natural key diffs and selected-path restores use: {@code volume:path}. */
  public String key() {
    return volume + ":" + path;
  }
}
