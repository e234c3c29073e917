package io.snapshotkit.fs;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.internal.archive.TarExport;
import io.snapshotkit.fs.internal.archive.TarImport;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Export and import of a snapshot's volumes as one standalone {@code tar.zst} file, so that a
 * snapshot can move between hosts.
 *
 * <p><b>Format.</b> A zstd-compressed POSIX (pax) tar. The first entry, {@code
 * snapshotkit-archive.json}, is the manifest: format version, snapshot id, workload, schema
 * version, volume names, entry count, total bytes, then one record per later entry (path, type,
 * size and SHA-256 for files, target for symlinks). Every volume follows as a tree under {@code
 * volumes/<name>/}: directories (empty ones included), regular files and symlinks, with their
 * modes and nanosecond mtimes (the manifest records the full mode; tar headers name no owner, so
 * they carry no setuid or setgid bit, which a plain {@code tar -x} as root would make
 * setuid-root). Names and link targets
 * are any bytes but NUL: tar headers carry their raw bytes (format 2) and the manifest their
 * lossless text ({@link FileEntry#path}). Hard links are written as separate files; fifos,
 * sockets and device nodes are never written.
 *
 * <p><b>Untrusted input.</b> {@link #importArchive} treats the archive as hostile: it refuses
 * {@code ..} and absolute entry paths, writing through symlinks, hard links, device nodes and
 * fifos, and entries or bytes past {@link Limits}, and checks every file against the manifest's
 * digest. A symlink's target is data and is created verbatim, wherever it points (nothing is
 * written through it). A refused import throws {@link ErrorCode#INVALID_ARGUMENT} ("this archive
 * is unsafe: &lt;reason&gt;; it was not imported"), removes the staging directory and writes
 * nothing outside it. Setuid, setgid and sticky bits are dropped on import, and no owner is ever
 * taken from an archive (nothing is chowned; an imported snapshot records no owner, so its files
 * belong to whoever restores them): the archive is not trusted, and a setuid file or a file given
 * to another user from it would be a privilege escalation.
 *
 * <p><b>Thread-safety:</b> stateless; every method is safe to call from any thread. Each call
 * uses the caller's thread only.
 */
public final class SnapshotArchive {
  /** The zstd level exports use: fast, and within a few percent of the default level's size for typical trees. */
  public static final int ZSTD_LEVEL = 3;

  private SnapshotArchive() {}

  /**
   * Caps on what an import may write.
   *
   * <p><b>Thread-safety:</b> immutable.
   *
   * @param maxTotalBytes the most uncompressed file content, in bytes (the manifest is capped at this too)
   * @param maxEntries the most entries (files, directories, symlinks)
   * @param maxPathLength the longest entry path, in bytes
   */
  public record Limits(long maxTotalBytes, long maxEntries, int maxPathLength) {
    /** Validates the caps. */
    public Limits {
      if (maxTotalBytes < 0) {
        throw new IllegalArgumentException("maxTotalBytes must be 0 or more: " + maxTotalBytes);
      }
      if (maxEntries < 1) {
        throw new IllegalArgumentException("maxEntries must be 1 or more: " + maxEntries);
      }
      if (maxPathLength < 1) {
        throw new IllegalArgumentException("maxPathLength must be 1 or more: " + maxPathLength);
      }
    }

    /** 64 GiB, 10 million entries, 4096-byte paths (Linux's PATH_MAX). */
    public static Limits defaults() {
      return new Limits(64L << 30, 10_000_000L, 4096);
    }
  }

  /**
   * What an archive says about itself.
   *
   * <p><b>Thread-safety:</b> immutable.
   *
   * @param snapshotId the snapshot it holds, if it was exported from one
   * @param workload the workload the snapshot belongs to, if known
   * @param capturedAt when the snapshot was captured, if known
   * @param schemaVersion the snapshot manifest schema version
   * @param volumes the volume names, in archive order
   * @param entryCount the number of entries (directories, files, symlinks) over all volumes
   * @param totalBytes the sum of file sizes
   */
  public record Header(Optional<SnapshotId> snapshotId, Optional<WorkloadRef> workload,
      Optional<Instant> capturedAt, int schemaVersion, List<String> volumes, long entryCount, long totalBytes) {
    /** Validates and copies. */
    public Header {
      Objects.requireNonNull(snapshotId, "snapshotId");
      Objects.requireNonNull(workload, "workload");
      Objects.requireNonNull(capturedAt, "capturedAt");
      volumes = List.copyOf(volumes);
    }
  }

  /**
   * An archive imported into a staging directory. The caller moves the volume directories where
   * they belong (or ingests them into a repository) and then deletes the staging directory.
   *
   * <p><b>Thread-safety:</b> immutable.
   *
   * @param header what the archive says about itself
   * @param staging the staging directory the import created
   * @param volumes volume name → its directory inside {@code staging}, in archive order
   */
  public record Imported(Header header, Path staging, Map<String, Path> volumes) {
    /** Copies. */
    public Imported {
      Objects.requireNonNull(header, "header");
      Objects.requireNonNull(staging, "staging");
      volumes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(volumes));
    }

    /** Deletes the staging directory and everything in it, without following symlinks. */
    public void discard() {
      SnapshotArchive.discard(staging);
    }
  }

  /**
   * Deletes a staging directory and everything in it without following symlinks (read-only
   * directories are made writable first): for one an import left behind when its process was
   * killed. A failure is logged, not thrown.
   *
   * @param staging the directory an {@link #importArchive} was unpacking into
   */
  public static void discard(Path staging) {
    Objects.requireNonNull(staging, "staging");
    TarImport.deleteQuietly(staging);
  }

  /**
   * Describes the snapshot an export holds; every field is optional.
   *
   * <p><b>Thread-safety:</b> immutable.
   *
   * @param snapshotId the snapshot's id
   * @param workload the snapshot's workload
   * @param capturedAt the snapshot's capture time
   */
  public record Description(Optional<SnapshotId> snapshotId, Optional<WorkloadRef> workload,
      Optional<Instant> capturedAt) {
    /** Validates. */
    public Description {
      Objects.requireNonNull(snapshotId, "snapshotId");
      Objects.requireNonNull(workload, "workload");
      Objects.requireNonNull(capturedAt, "capturedAt");
    }

    /** A description with no snapshot, workload or time: a plain directory export. */
    public static Description none() {
      return new Description(Optional.empty(), Optional.empty(), Optional.empty());
    }

    /** A description of one snapshot. */
    public static Description of(SnapshotId snapshotId, WorkloadRef workload, Instant capturedAt) {
      return new Description(Optional.of(snapshotId), Optional.of(workload), Optional.of(capturedAt));
    }
  }

  /**
   * Exports live directories, one per volume. The directories should be quiet (the workload
   * quiesced): a file that changes during the export fails it with {@link ErrorCode#CONFLICT}.
   *
   * @param volumes volume name (a plain file name) → directory, in the order to write them
   * @param description what to record about the snapshot
   * @param out where the {@code tar.zst} goes; finished and flushed, not closed
   * @return the header as written
   * @throws SnapshotException {@code INVALID_ARGUMENT} for a missing directory, a bad volume name
   *     or a fifo, socket or device node in a volume; {@code CONFLICT} if a file changed during
   *     the export; {@code INTERNAL} for an I/O failure
   */
  public static Header exportDirectories(Map<String, Path> volumes, Description description, OutputStream out) {
    Objects.requireNonNull(volumes, "volumes");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(out, "out");
    if (volumes.isEmpty()) {
      throw SnapshotException.invalid("an archive needs at least one volume; pass one or more directories");
    }
    Header header = new Header(description.snapshotId(), description.workload(), description.capturedAt(),
        io.snapshotkit.Manifest.SCHEMA_VERSION, List.of(), 0, 0);
    return TarExport.write(header, TarExport.directories(volumes), out, ZSTD_LEVEL);
  }

  /**
   * Exports one directory as a single volume named {@code data}.
   *
   * @see #exportDirectories
   */
  public static Header exportTree(Path root, OutputStream out) {
    Objects.requireNonNull(root, "root");
    return exportDirectories(Map.of("data", root), Description.none(), out);
  }

  /**
   * Imports an archive into {@code staging}, a directory this call creates: it must not exist
   * yet, and its parent must. Nothing is written outside it. On any failure it is removed. Files
   * and directories get their permission bits only: setuid, setgid and sticky bits are dropped,
   * and the tar headers' owners are ignored, since the archive is untrusted. Symlinks are created
   * with their targets verbatim.
   *
   * @param in the {@code tar.zst}; read to the end of the archive, not closed
   * @param staging the directory to create and fill
   * @param limits caps on entries, bytes and path length
   * @return the header and the volume directories inside {@code staging}
   * @throws SnapshotException {@code INVALID_ARGUMENT} if the archive is unsafe, damaged, not a
   *     SnapshotKit archive or over the limits, or {@code staging} cannot be created; {@code
   *     INSUFFICIENT_STORAGE} if the files it declares do not fit in the free space at {@code
   *     staging} (checked before unpacking) or the disk fills up anyway; {@code INTERNAL} for
   *     another I/O failure while writing
   */
  public static Imported importArchive(InputStream in, Path staging, Limits limits) {
    Objects.requireNonNull(in, "in");
    Objects.requireNonNull(staging, "staging");
    Objects.requireNonNull(limits, "limits");
    TarImport.Result result = TarImport.read(in, staging, limits);
    return new Imported(result.header(), result.staging(), result.volumes());
  }
}
