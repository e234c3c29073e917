package io.snapshotkit.fs.internal.restore;

import io.snapshotkit.fs.internal.files.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The durable steps of a replace restore and its recovery (renames and journal writes): the
 * seam a test uses to crash between any two of them.
 */
interface Durable {
  /** Renames {@code from} to {@code to} atomically and makes the rename durable. */
  void move(Path from, Path to) throws IOException;

  /** Writes the journal atomically and durably. */
  void write(Journal journal) throws IOException;

  /** Makes a directory's entries durable. */
  void sync(Path directory) throws IOException;

  /** The real steps: {@code AtomicFiles} renames and fsyncs, and {@link Journal#write()}. */
  Durable REAL = new Durable() {
    @Override
    public void sync(Path directory) throws IOException {
      AtomicFiles.fsyncDirectory(directory);
    }

    @Override
    public void move(Path from, Path to) throws IOException {
      AtomicFiles.move(from, to);
    }

    @Override
    public void write(Journal journal) throws IOException {
      journal.write();
    }
  };
}
