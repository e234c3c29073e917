package io.snapshotkit.fs;

import io.snapshotkit.fs.internal.repo.PathOrder;
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
 * @param digest the lower-case hex digest naming the content in the repository, for files only:
 *     the SHA-256 of the bytes for a file under the chunking threshold (1 MiB), else the digest of
 *     the file's chunk list (a Merkle root over its content-defined chunks). Two files with the
 *     same bytes always have the same digest
 * @param linkTarget the target text (bytes as in {@code path}), verbatim, for symlinks only
 * @param owner the numeric owner as captured; absent for an entry without a recorded owner (a
 *     snapshot captured before owners were recorded, or an imported or ingested one)
 */
public record FileEntry(
    String volume, String path, FileType type, int mode, long size, Instant mtime,
    Optional<String> digest, Optional<String> linkTarget, Optional<Owner> owner) {

  /**
   * A numeric owner, as the filesystem keeps it (no user or group names).
   *
   * <p><b>Thread-safety:</b> immutable.
   *
   * @param uid the owning user id, an unsigned 32-bit value held in an {@code int} (read it with
   *     {@link Integer#toUnsignedLong}); never {@code -1}, which is no id
   * @param gid the owning group id, likewise
   */
  public record Owner(int uid, int gid) {
    /** Validates. */
    public Owner {
      if (uid == -1 || gid == -1) {
        throw new IllegalArgumentException("uid and gid 4294967295 (-1) are not ids: " + uid + ":" + gid);
      }
    }
  }

  /** Volume name, then path in tree order. */
  public static final Comparator<FileEntry> ORDER =
      Comparator.comparing(FileEntry::volume).thenComparing(FileEntry::path, PathOrder::compare);

  /** An entry without a recorded owner. */
  public FileEntry(String volume, String path, FileType type, int mode, long size, Instant mtime,
      Optional<String> digest, Optional<String> linkTarget) {
    this(volume, path, type, mode, size, mtime, digest, linkTarget, Optional.empty());
  }

  /** Validates. */
  public FileEntry {
    Objects.requireNonNull(volume, "volume");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(mtime, "mtime");
    Objects.requireNonNull(digest, "digest");
    Objects.requireNonNull(linkTarget, "linkTarget");
    Objects.requireNonNull(owner, "owner");
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
