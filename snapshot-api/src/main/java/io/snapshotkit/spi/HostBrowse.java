package io.snapshotkit.spi;

import io.snapshotkit.SnapshotFile;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import java.io.IOException;
import java.io.OutputStream;
import java.util.function.Consumer;

/**
 * An optional capability of a {@link HostAgent} that can show what a snapshot holds without
 * restoring it: list a directory, and stream one file (or a range of it) or a directory as a tar.
 * The engine's {@code list}, {@code stat}, {@code read} and {@code dump} use it.
 *
 * <p>Paths are {@code VOLUME} or {@code VOLUME/dir/name}, relative, {@code /}-separated, without
 * {@code .} or {@code ..} segments; the empty path is the snapshot itself, whose entries are its
 * volumes. Nothing is read through a symlink inside the snapshot.
 *
 * <p><b>Threading:</b> may be called concurrently, and concurrently with captures and deletes.
 * Output goes to the caller's stream on the calling thread.
 *
 * <p><b>Idempotency:</b> read-only.
 *
 * <p><b>Memory:</b> bounded: a listing is handed over one entry at a time and file content is
 * streamed, never held whole.
 *
 * <p><b>Failure:</b> {@code NOT_FOUND} if this host does not hold the snapshot or the path does
 * not exist in it; {@code INVALID_ARGUMENT} for a malformed path, a path that goes through a
 * symlink, or the wrong kind of entry (listing a file, reading a directory); {@code CORRUPT} if
 * the stored data cannot be read back intact (output already written stays written).
 */
public interface HostBrowse {
  /**
   * The entry at {@code path}.
   *
   * @param path {@code VOLUME} or {@code VOLUME/path}
   */
  SnapshotFile stat(WorkloadRef workload, SnapshotId snapshot, String path);

  /**
   * Hands each entry directly inside the directory {@code path} to {@code sink}, in name order;
   * the empty path lists the snapshot's volumes.
   *
   * <p><b>Threading:</b> {@code sink} is called on the calling thread.
   */
  void list(WorkloadRef workload, SnapshotId snapshot, String path, Consumer<SnapshotFile> sink);

  /**
   * Writes {@code length} bytes of the file at {@code path}, starting at {@code offset}, to
   * {@code out} (fewer if the file ends first), verified against their digest as they are read.
   *
   * @param offset the first byte, at least 0
   * @param length how many bytes at most, at least 0 ({@link Long#MAX_VALUE} for the rest)
   * @throws IOException if writing to {@code out} fails
   */
  void read(WorkloadRef workload, SnapshotId snapshot, String path, long offset, long length, OutputStream out)
      throws IOException;

  /**
   * Writes the directory at {@code path} (a volume, or a directory inside one) to {@code out} as
   * an uncompressed POSIX tar: its entries with their modes and times, paths relative to the
   * directory's parent (so the tar unpacks into a directory of the same name), symlinks as links.
   *
   * @throws IOException if writing to {@code out} fails
   */
  void tar(WorkloadRef workload, SnapshotId snapshot, String path, OutputStream out) throws IOException;
}
