package io.snapshotkit.fs;

import io.snapshotkit.Manifest;
import java.util.Iterator;

/**
 * Streams one snapshot's entries in {@link FileEntry#ORDER}, with their content, in bounded
 * memory. Close it when done.
 *
 * <p><b>Thread-safety:</b> confined to one thread.
 */
interface SnapshotReader extends Iterator<FsEntry>, AutoCloseable {
  /** The snapshot's compact manifest (family {@code volumes}). */
  Manifest manifest();

  /** Releases the manifest file. */
  @Override
  void close();
}
