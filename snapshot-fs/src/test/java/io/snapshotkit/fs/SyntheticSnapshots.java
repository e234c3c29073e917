package io.snapshotkit.fs;

import io.snapshotkit.Manifest;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import java.io.InputStream;
import java.time.Instant;
import java.util.Iterator;
import java.util.Objects;

/**
 * Test support for other modules (published in snapshot-fs's {@code tests} test-jar): stores a
 * snapshot made of directories and symlinks straight from a stream of entries, so a test can
 * build a snapshot of hundreds of thousands of entries in seconds without creating them on disk.
 *
 * <p>It goes through the same ingest path as an archive import ({@link RepositoryStreams#ingest}),
 * so every path is checked as untrusted input.
 */
public final class SyntheticSnapshots {
  private SyntheticSnapshots() {}

  /**
   * Stores {@code entries} (directories and symlinks only, in {@link FileEntry#ORDER}) as snapshot
   * {@code id} of {@code workload} in {@code agent}'s repository.
   *
   * @return the new snapshot's compact manifest
   * @throws IllegalArgumentException if an entry is a regular file (it would need content)
   */
  public static Manifest ingest(FsHostAgent agent, WorkloadRef workload, SnapshotId id, Instant capturedAt,
      Iterator<FileEntry> entries) {
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(entries, "entries");
    Iterator<FsEntry> withoutContent = new Iterator<>() {
      @Override
      public boolean hasNext() {
        return entries.hasNext();
      }

      @Override
      public FsEntry next() {
        FileEntry e = entries.next();
        if (e.type() == FileType.FILE) {
          throw new IllegalArgumentException("a synthetic snapshot holds no file content: " + e.volume() + ":" + e.path());
        }
        return new FsEntry() {
          @Override
          public FileEntry entry() {
            return e;
          }

          @Override
          public InputStream content() {
            throw new IllegalStateException("no content for " + e.path());
          }
        };
      }
    };
    return RepositoryStreams.ingest(agent.repository(), workload, id, capturedAt, false, withoutContent);
  }
}
