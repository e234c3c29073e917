package io.snapshotkit.fs.internal.archive;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Manifest;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.SnapshotArchive.Header;
import io.snapshotkit.fs.SnapshotArchive.Limits;
import io.snapshotkit.fs.SnapshotArchive;
import io.snapshotkit.fs.internal.capture.Scanner;
import io.snapshotkit.fs.internal.repo.Entry;
import io.snapshotkit.fs.internal.repo.FsRepository;
import io.snapshotkit.fs.internal.repo.SnapshotWriter;
import io.snapshotkit.fs.internal.repo.Summary;
import io.snapshotkit.fs.internal.repo.TreeReader;
import io.snapshotkit.fs.internal.repo.Volumes;
import io.snapshotkit.spi.ProgressTracker;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The archive bridge of one repository: a stored snapshot written as a {@link SnapshotArchive}
 * straight from the repository, and an archive imported as a new snapshot (unpacked by {@link
 * SnapshotArchive#importArchive} into a staging directory inside the repository, then stored like
 * a capture of that directory). The public front door is {@code FsHostAgent.exportSnapshot} and
 * {@code importSnapshot}; not API.
 *
 * <p><b>Thread-safety:</b> safe for concurrent use; each call uses the caller's thread, plus the
 * executor (if any) for an import's scan.
 */
public final class RepositoryArchive {
  private static final Logger LOG = LoggerFactory.getLogger(RepositoryArchive.class);

  private final FsRepository repo;
  private final Executor executor;
  private final Clock clock;
  private final String hostId;

  /**
   * An archive bridge onto {@code repo}.
   *
   * @param executor runs an import's reads and hashes; null for the caller's thread
   * @param clock the capture time of an import whose archive records none
   * @param hostId this host's id, for messages
   */
  public RepositoryArchive(FsRepository repo, Executor executor, Clock clock, String hostId) {
    this.repo = repo;
    this.executor = executor;
    this.clock = clock;
    this.hostId = hostId;
  }

  /**
   * Writes snapshot {@code id} (whose summary is {@code summary}) as a {@code tar.zst}, content
   * verified against its digest as it is written.
   *
   * <p>Reports phase {@code write}: one file and its size as each file's content is opened, of
   * the snapshot's files and their bytes.
   *
   * @return the header as written
   */
  public Header export(WorkloadRef workload, SnapshotId id, Summary summary, OutputStream out,
      ProgressTracker progress) {
    Header header = new Header(Optional.of(id), Optional.of(workload), Optional.of(summary.capturedAt()),
        Manifest.SCHEMA_VERSION, List.of(), 0, 0);
    progress.totals(summary.fileCount(), summary.fileBytes());
    progress.phase("write");
    try (RepositoryTree tree = new RepositoryTree(workload, id, summary, progress)) {
      return TarExport.write(header, tree, out, SnapshotArchive.ZSTD_LEVEL);
    }
  }

  /**
   * A snapshot in the repository seen as an export tree: manifest entries, content by digest.
   * The archive names each file by the SHA-256 of its bytes, which for a chunked content is not
   * its repository digest, so the second pass finds each file's entry again with a cursor that
   * moves forward through the snapshot in the same order (bounded memory).
   */
  private final class RepositoryTree implements TarExport.Tree, AutoCloseable {
    private final WorkloadRef workload;
    private final SnapshotId id;
    private final Summary summary;
    private final ProgressTracker progress;
    private TreeReader cursor;

    RepositoryTree(WorkloadRef workload, SnapshotId id, Summary summary, ProgressTracker progress) {
      this.workload = workload;
      this.id = id;
      this.summary = summary;
      this.progress = progress;
    }

    @Override
    public List<String> volumes() {
      return List.copyOf(summary.volumes().keySet());
    }

    @Override
    public List<String> excludes() {
      return summary.excluded().patterns();
    }

    @Override
    public void walk(String volume, TarExport.Visitor visitor) throws IOException {
      FileTime captured = FileTime.from(summary.capturedAt());
      visitor.visit(new TarExport.Item("", TarManifest.Type.DIR, 0755, captured, 0, "", ""));
      try (TreeReader r = repo.entries(workload, id)) {
        while (r.hasNext()) {
          Entry e = r.next();
          int c = e.volume().compareTo(volume);
          if (c < 0) {
            continue;
          }
          if (c > 0) {
            break;
          }
          FileTime mtime = FileTime.from(Entry.instant(e.mtimeNanos()));
          visitor.visit(switch (e.type()) {
            case DIRECTORY -> new TarExport.Item(e.path(), TarManifest.Type.DIR, e.mode(), mtime, 0, "", "");
            case SYMLINK -> new TarExport.Item(e.path(), TarManifest.Type.SYMLINK, e.mode(), mtime, 0, "",
                e.linkTarget());
            case FILE -> new TarExport.Item(e.path(), TarManifest.Type.FILE, e.mode(), mtime, e.size(),
                repo.content().sha256(e.digest()).hex(), "");
          });
        }
      }
    }

    @Override
    public InputStream open(String volume, TarExport.Item item) throws IOException {
      for (int pass = 0; pass < 2; pass++) {
        if (cursor == null) {
          cursor = repo.entries(workload, id);
        }
        while (cursor.hasNext()) {
          Entry e = cursor.next();
          if (e.digest() != null && e.volume().equals(volume) && e.path().equals(item.relativePath())) {
            InputStream in = repo.content().open(e.digest());
            progress.advance(1, e.size(), e.key());
            return in;
          }
        }
        cursor.close();
        cursor = null;
      }
      throw new SnapshotException(ErrorCode.CORRUPT, "file '" + item.relativePath() + "' of volume '" + volume
          + "' vanished from snapshot " + id + " while it was exported; run the repository check");
    }

    @Override
    public void close() {
      if (cursor != null) {
        cursor.close();
      }
    }
  }

  /**
   * Imports an archive as snapshot {@code id} of {@code workload}; see {@code
   * FsHostAgent.importSnapshot} for the contract.
   *
   * <p>Reports phases {@code unpack} (the archive into a staging directory; no counts) and
   * {@code store} (each entry stored, of the entries and bytes the archive's header declares).
   *
   * @return the new snapshot's manifest
   */
  public Manifest importSnapshot(WorkloadRef workload, SnapshotId id, InputStream in, Limits limits,
      ProgressTracker progress) {
    if (repo.exists(workload, id)) {
      throw new SnapshotException(ErrorCode.CONFLICT, "snapshot " + id + " is already on host "
          + hostId + "; delete it first or import under another id").withSnapshot(id).withWorkload(workload);
    }
    Path staging = repo.root().resolve("tmp").resolve("import-" + UUID.randomUUID());
    progress.phase("unpack");
    TarImport.Result imported = TarImport.read(in, staging, limits);
    progress.totals(imported.header().entryCount(), imported.header().totalBytes());
    progress.phase("store");
    try (SnapshotWriter writer = repo.begin(workload, id)) {
      Scanner scanner = new Scanner(writer.session(), executor, null, true, Long.MAX_VALUE).reportingTo(progress);
      for (Map.Entry<String, Path> v : new TreeMap<>(imported.volumes()).entrySet()) {
        if (!Volumes.validName(v.getKey())) {
          throw SnapshotException.invalid("this archive is unsafe: volume name '" + v.getKey()
              + "' is not allowed; it was not imported");
        }
        writer.volume(v.getKey());
        // the staging directory's files belong to this process, not to the archive's authors:
        // an imported entry has no recorded owner (an archive never decides who owns a file)
        scanner.scan(v.getKey(), v.getValue(), null, e -> writer.add(e.withoutOwner()));
      }
      // the snapshot keeps the patterns it was captured with, so its replace restores leave those paths alone
      writer.excludes(imported.excludes());
      Summary s = writer.commit(imported.header().capturedAt().orElseGet(clock::instant),
          scanner.partial());
      LOG.info("imported snapshot {} of {} on host {}: {} entries", id, workload, hostId, s.entries());
      return s.toManifest(workload);
    } catch (IOException | UncheckedIOException e) {
      throw SnapshotException.wrap("import of snapshot " + id, e).withSnapshot(id).withWorkload(workload);
    } finally {
      TarImport.deleteQuietly(imported.staging());
    }
  }
}
