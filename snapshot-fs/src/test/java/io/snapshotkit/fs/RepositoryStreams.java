package io.snapshotkit.fs;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Manifest;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.internal.files.PathRules;
import io.snapshotkit.fs.internal.repo.Digest;
import io.snapshotkit.fs.internal.repo.Entry;
import io.snapshotkit.fs.internal.repo.FsRepository;
import io.snapshotkit.fs.internal.repo.SnapshotWriter;
import io.snapshotkit.fs.internal.repo.TreeReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Iterator;
import java.util.Objects;
import java.util.Optional;

/**
 * Entry streams over a repository, for tests: a stored snapshot read as {@link FsEntry} items
 * with their content, and such a stream stored as a new snapshot. They moved here from {@code
 * FsRepository}, where no production code called them; the archive export and import go through
 * {@code FsHostAgent} and {@code SnapshotArchive}.
 */
final class RepositoryStreams {
  private RepositoryStreams() {}

  /**
   * Streams a snapshot's entries in {@link FileEntry#ORDER} with their verified content, for
   * export. Close the reader when done.
   *
   * @throws SnapshotException NOT_FOUND if the repository does not hold the snapshot
   */
  static SnapshotReader openSnapshot(FsRepository repo, WorkloadRef workload, SnapshotId id) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(id, "id");
    Manifest manifest = repo.manifest(workload, id).orElseThrow(() -> SnapshotException.notFound(
        "snapshot " + id + " of " + workload + " is not on this host").withSnapshot(id));
    TreeReader reader = repo.entries(workload, id);
    return new SnapshotReader() {
      @Override
      public Manifest manifest() {
        return manifest;
      }

      @Override
      public boolean hasNext() {
        return reader.hasNext();
      }

      @Override
      public FsEntry next() {
        Entry e = reader.next();
        FileEntry pub = e.toPublic();
        return new FsEntry() {
          @Override
          public FileEntry entry() {
            return pub;
          }

          @Override
          public InputStream content() {
            if (e.type() != FileType.FILE) {
              throw new IllegalStateException(e.path() + " is a " + e.type() + ", not a file");
            }
            return repo.content().open(e.digest());
          }
        };
      }

      @Override
      public void close() {
        reader.close();
      }
    };
  }

  /**
   * Stores a stream of entries as a new snapshot of {@code workload} (the import side of the
   * tar.zst archive). Entries must arrive in {@link FileEntry#ORDER}; every path is checked as
   * untrusted input, and each file's content is read once, stored, and checked against the
   * entry's digest when one is given. Names and symlink targets are stored exactly (a target is
   * data, whatever it points to); as with an archive import, setuid, setgid and sticky bits are
   * dropped and {@link FileEntry#owner()} is ignored (the snapshot records no owner, so a restore
   * gives the files to the restoring user), since the entries are not trusted.
   *
   * @return the new snapshot's compact manifest
   * @throws SnapshotException INVALID_ARGUMENT for an unsafe path, entries out of order, a digest
   *     that does not match, or a snapshot id already present; nothing is stored then
   */
  static Manifest ingest(FsRepository repo, WorkloadRef workload, SnapshotId id, Instant capturedAt, boolean partial,
      Iterator<? extends FsEntry> entries) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(capturedAt, "capturedAt");
    Objects.requireNonNull(entries, "entries");
    if (repo.exists(workload, id)) {
      throw new SnapshotException(ErrorCode.CONFLICT, "snapshot " + id + " is already in this repository; "
          + "delete it first or import under another id").withSnapshot(id);
    }
    try (SnapshotWriter w = repo.begin(workload, id)) {
      FileEntry previous = null;
      while (entries.hasNext()) {
        FsEntry item = entries.next();
        FileEntry e = item.entry();
        if (!e.volume().matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}")) {
          throw SnapshotException.invalid("volume name '" + e.volume() + "' is not allowed; it was not imported");
        }
        Optional<String> problem = PathRules.pathProblem(e.path(), 4096);
        if (problem.isPresent()) {
          throw SnapshotException.invalid("this archive is unsafe: " + problem.get() + "; it was not imported");
        }
        if (previous != null && FileEntry.ORDER.compare(previous, e) >= 0) {
          throw SnapshotException.invalid("entries must be in FileEntry.ORDER without duplicates; '" + e.key()
              + "' came after '" + previous.key() + "'; it was not imported");
        }
        if (e.type() == FileType.SYMLINK) {
          Optional<String> bad = PathRules.symlinkTargetProblem(e.path(), e.linkTarget().orElseThrow(), 4096);
          if (bad.isPresent()) {
            throw SnapshotException.invalid("this archive is unsafe: " + bad.get() + "; it was not imported");
          }
        }
        w.volume(e.volume());
        Digest digest = null;
        if (e.type() == FileType.FILE) {
          try (InputStream in = item.content()) {
            digest = w.session().storeStream(in);
          }
          if (!digest.hex().equals(e.digest().orElseThrow())) {
            throw SnapshotException.invalid("the content of '" + e.key() + "' does not match its digest; "
                + "the archive is damaged; it was not imported");
          }
        }
        w.add(new Entry(e.volume(), e.path(), e.type(), e.mode() & 0777, e.size(), Entry.nanos(e.mtime()),
            Entry.UNKNOWN, Entry.UNKNOWN, digest, e.linkTarget().orElse(null), false, Entry.NO_OWNER,
            Entry.NO_OWNER));
        previous = e;
      }
      return w.commit(capturedAt, partial).toManifest(workload);
    } catch (IOException | UncheckedIOException e) {
      throw SnapshotException.wrap("importing snapshot " + id, e);
    }
  }
}
