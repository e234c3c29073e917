package io.snapshotkit.fs.internal.repo;

import io.snapshotkit.fs.internal.files.AtomicFiles;
import io.snapshotkit.fs.CheckReport;
import io.snapshotkit.fs.FileEntry;
import io.snapshotkit.fs.FileType;
import io.snapshotkit.fs.GcReport;
import io.snapshotkit.fs.internal.files.SafeTree;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.Manifest;
import io.snapshotkit.Resource;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The on-disk repository behind an {@link FsHostAgent}: content-addressed storage (small files
 * packed, large files as their own zstd files), one streamable manifest per snapshot, restore
 * journals and the tracked-volume registry. Obtain it from {@link FsHostAgent#repository()}.
 *
 * <p>Layout under the root: {@code packs/} ({@code *.pack} + {@code *.idx}), {@code blobs/xx/},
 * {@code snapshots/<tenant>/<workload>/<id>.skm} (+ {@code .summary}), {@code journal/},
 * {@code workloads/}, {@code tmp/} and the {@code lock} file one process holds while it has the
 * repository open.
 *
 * <p><b>For the tar.zst export and import</b> (and other tools): {@link #openSnapshot} streams a
 * snapshot's entries with their verified content; {@link #ingest} stores a stream of entries as
 * a new snapshot. Both work in bounded memory, so a million-entry snapshot moves fine.
 *
 * <p><b>Thread-safety:</b> thread-safe. Captures, restores, deletes, {@link #gc()} and
 * {@link #check} may run concurrently; {@link #gc()} never removes content a snapshot (committed,
 * or being captured) refers to.
 */
public final class FsRepository implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(FsRepository.class);
  public static final String FAMILY = "volumes";
  private static final String MANIFEST = ".skm";
  private static final String SUMMARY = ".summary";
  /** Temporary files (manifests being written) start with this; they are never snapshots. */
  private static final String TMP_PREFIX = ".tmp-";

  private final Path root;
  private final Path snapshots;
  private final ContentStore content;
  private final int level;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final ReentrantLock gcLock = new ReentrantLock();
  private final AtomicInteger sampleSlice = new AtomicInteger();

  private FsRepository(Path root, int level, int small, FileChannel lockChannel, FileLock lock) throws IOException {
    this.root = root;
    this.snapshots = root.resolve("snapshots");
    this.level = level;
    this.lockChannel = lockChannel;
    this.lock = lock;
    Files.createDirectories(snapshots);
    Files.createDirectories(root.resolve("journal"));
    Files.createDirectories(root.resolve("workloads"));
    this.content = new ContentStore(root, level, small);
    removeAbandonedManifests();
  }

  /**
   * Removes the temporary manifests of captures a crash interrupted. Safe at open: the repository
   * lock is held, so no capture of this repository is running.
   */
  private void removeAbandonedManifests() throws IOException {
    try (var walk = Files.walk(snapshots, 3)) {
      for (Path p : walk.filter(f -> f.getFileName().toString().startsWith(TMP_PREFIX)).toList()) {
        LOG.warn("removing {}, the manifest of a capture that was interrupted", snapshots.relativize(p));
        Files.deleteIfExists(p);
      }
    }
  }

  /**
   * Opens (creating if needed) a repository, taking its lock.
   *
   * @throws SnapshotException CONFLICT if another agent (in this or another process) has it open
   */
  public static FsRepository open(Path root, int level) {
    return open(root, level, ContentStore.SMALL);
  }

  /** As {@link #open(Path, int)}, packing contents smaller than {@code small} bytes. */
  public static FsRepository open(Path root, int level, int small) {
    FileChannel ch = null;
    try {
      Files.createDirectories(root);
      ch = FileChannel.open(root.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        throw new SnapshotException(ErrorCode.CONFLICT, "the repository " + root
            + " is open in another agent; close it first (one agent per repository)");
      }
      return new FsRepository(root, level, small, ch, lock);
    } catch (IOException e) {
      closeQuietly(ch);
      throw SnapshotException.wrap("opening the repository " + root, e);
    } catch (RuntimeException e) {
      closeQuietly(ch);
      throw e;
    }
  }

  private static void closeQuietly(Closeable c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException ignored) {
        // nothing to do
      }
    }
  }

  /** The repository's root directory. */
  public Path root() {
    return root;
  }

  public ContentStore content() {
    return content;
  }

  public Path journalDir() {
    return root.resolve("journal");
  }

  public Path workloadsDir() {
    return root.resolve("workloads");
  }

  /**
   * Releases the repository lock and pooled compression contexts. {@link FsHostAgent#close()}
   * calls it; do not close the repository of an agent that is still in use.
   */
  @Override
  public void close() {
    content.close();
    try {
      lock.release();
    } catch (IOException e) {
      LOG.debug("releasing the repository lock", e);
    }
    closeQuietly(lockChannel);
  }

  // ---------------------------------------------------------------- snapshots

  private Path dir(WorkloadRef w) {
    return snapshots.resolve(w.tenant().value()).resolve(w.id());
  }

  public Path manifestPath(WorkloadRef w, SnapshotId id) {
    return dir(w).resolve(id.value() + MANIFEST);
  }

  private Path summaryPath(WorkloadRef w, SnapshotId id) {
    return dir(w).resolve(id.value() + SUMMARY);
  }

  public boolean exists(WorkloadRef w, SnapshotId id) {
    return Files.exists(manifestPath(w, id));
  }

  /**
   * The workload's snapshots on this host, oldest first.
   *
   * @return ids; empty if none
   */
  public List<SnapshotId> snapshots(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    List<SnapshotId> ids = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir(workload), "*" + MANIFEST)) {
      for (Path f : files) {
        String n = f.getFileName().toString();
        if (n.startsWith(TMP_PREFIX)) {
          continue; // a capture in progress, or one a crash interrupted (removed at the next open)
        }
        ids.add(SnapshotId.parse(n.substring(0, n.length() - MANIFEST.length())));
      }
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw SnapshotException.wrap("listing snapshots of " + workload, e);
    }
    ids.sort(null);
    return ids;
  }

  /**
   * A snapshot's compact manifest (family {@code volumes}: one resource per volume with
   * {@code files, dirs, symlinks, bytes, treeDigest}).
   *
   * @return empty if this repository does not hold the snapshot
   */
  public Optional<Manifest> manifest(WorkloadRef workload, SnapshotId id) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(id, "id");
    return summary(workload, id).map(s -> s.toManifest(workload));
  }

  public Optional<Summary> summary(WorkloadRef w, SnapshotId id) {
    if (!exists(w, id)) {
      return Optional.empty();
    }
    try {
      return Optional.of(Summary.parse(Files.readString(summaryPath(w, id))));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      throw new SnapshotException(ErrorCode.CORRUPT, "the summary of snapshot " + id
          + " is unreadable; run the repository check and delete the snapshot", e).withSnapshot(id);
    }
  }

  /** Opens a snapshot's entries. */
  public ManifestFile.Reader entries(WorkloadRef w, SnapshotId id) {
    try {
      return ManifestFile.Reader.open(manifestPath(w, id));
    } catch (NoSuchFileException e) {
      throw SnapshotException.notFound("snapshot " + id + " of " + w + " is not on this host; list the "
          + "workload's snapshots to find one that is").withSnapshot(id).withWorkload(w);
    } catch (IOException e) {
      throw SnapshotException.wrap("opening snapshot " + id, e);
    }
  }

  /**
   * Removes a snapshot's manifest at once; its content is reclaimed by the next {@link #gc()}.
   *
   * @return whether the repository held it
   */
  public boolean delete(WorkloadRef w, SnapshotId id) {
    try {
      boolean existed = Files.deleteIfExists(manifestPath(w, id));
      Files.deleteIfExists(summaryPath(w, id));
      if (existed) {
        AtomicFiles.fsyncDirectory(dir(w));
      }
      return existed;
    } catch (IOException e) {
      throw SnapshotException.wrap("deleting snapshot " + id, e);
    }
  }

  /** Starts writing a snapshot. */
  public SnapshotWriter begin(WorkloadRef w, SnapshotId id) {
    return new SnapshotWriter(w, id);
  }

  /** Writes one snapshot: content through a session, entries to a temp manifest, committed by rename. */
  public final class SnapshotWriter implements AutoCloseable {
    private final WorkloadRef workload;
    private final SnapshotId id;
    private final ContentStore.Session session;
    private final Path tmp;
    private final ManifestFile.Writer writer;
    private final Map<String, VolumeStats> volumes = new TreeMap<>();
    private boolean committed;
    private boolean abandonedContentRemoved;

    private SnapshotWriter(WorkloadRef workload, SnapshotId id) {
      this.workload = workload;
      this.id = id;
      this.session = content.session();
      try {
        Files.createDirectories(dir(workload));
        this.tmp = dir(workload).resolve(".tmp-" + id.value() + "-" + UUID.randomUUID() + MANIFEST);
        this.writer = new ManifestFile.Writer(tmp, level);
      } catch (IOException e) {
        session.close();
        throw SnapshotException.wrap("starting snapshot " + id, e);
      }
    }

    public ContentStore.Session session() {
      return session;
    }

    /** Declares a volume, so an empty one still appears in the manifest. */
    public void volume(String name) {
      volumes.computeIfAbsent(name, n -> new VolumeStats());
    }

    public void add(Entry e) {
      try {
        writer.write(e);
      } catch (IOException ex) {
        throw new UncheckedIOException(ex);
      }
      volumes.computeIfAbsent(e.volume(), n -> new VolumeStats()).add(e);
    }

    /** Makes the snapshot durable and visible; a retry with the same id replaces it. */
    public Summary commit(Instant capturedAt, boolean partial) throws IOException {
      writer.close();
      session.flush();
      AtomicFiles.fsync(tmp);
      long stored = session.storedBytes() + Files.size(tmp);
      Summary s = new Summary(capturedAt, partial, stored, writer.count(), new TreeMap<>(volumes));
      // a retry replaces an earlier attempt: retire its manifest first, so that a crash in between
      // leaves no snapshot rather than the new summary beside the old entries
      if (Files.deleteIfExists(manifestPath(workload, id))) {
        AtomicFiles.fsyncDirectory(dir(workload));
      }
      AtomicFiles.write(summaryPath(workload, id), s.format().getBytes(StandardCharsets.UTF_8));
      AtomicFiles.move(tmp, manifestPath(workload, id));
      committed = true;
      return s;
    }

    /**
     * Whether an abandoned writer's content is gone again: true once {@link #close()} removed
     * every content this capture added that no snapshot refers to, false if some of it stays
     * until {@link FsRepository#gc()} (removing it failed, or nothing was tried yet).
     */
    public boolean abandonedContentRemoved() {
      return abandonedContentRemoved;
    }

    /**
     * Ends the writer. An uncommitted snapshot's temp manifest is removed, and so is the content
     * it added to the repository that no snapshot refers to (a failed capture must not keep its
     * space, least of all on a full disk); if that fails the content waits for the next gc.
     */
    @Override
    public void close() {
      Set<Digest> added = Set.of();
      if (!committed) {
        writer.abandon();
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException e) {
          LOG.warn("could not remove {}", tmp, e);
        }
        added = session.published();
      }
      session.close();
      if (!committed) {
        try {
          reclaim(added);
          abandonedContentRemoved = true;
        } catch (RuntimeException e) {
          LOG.warn("could not remove the content abandoned snapshot {} of {} stored; the next gc removes it",
              id, workload, e);
        }
      }
    }
  }

  /**
   * Removes {@code candidates} (content an abandoned capture added) unless a snapshot or a
   * running capture refers to it: the sweep of {@link #gc()} limited to those contents.
   */
  private void reclaim(Set<Digest> candidates) {
    if (candidates.isEmpty()) {
      return;
    }
    gcLock.lock();
    try {
      long start = content.generation();
      Set<Digest> marked = new HashSet<>();
      Set<Object> seen = new HashSet<>();
      for (Path m : manifestFiles()) {
        Object identity = identity(m);
        if (identity != null && mark(m, marked, candidates)) {
          seen.add(identity);
        }
      }
      long[] swept = content.sweep(start, marked, more -> {
        for (Path m : manifestFiles()) {
          Object identity = identity(m);
          if (identity != null && !seen.contains(identity) && mark(m, more, candidates)) {
            seen.add(identity);
          }
        }
      }, candidates);
      LOG.info("removed {} contents ({} bytes) an abandoned capture had stored", swept[1], swept[0]);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      gcLock.unlock();
    }
  }

  /** Per-volume counts and the tree digest (paths, types, modes, content; not times). */
  public static final class VolumeStats {
    long files;
    long dirs;
    long symlinks;
    long bytes;
    private final MessageDigest tree = Digest.sha256();
    private String digest;

    public void add(Entry e) {
      switch (e.type()) {
        case FILE -> {
          files++;
          bytes += e.size();
        }
        case DIRECTORY -> dirs++;
        case SYMLINK -> symlinks++;
      }
      String line = e.type().ordinal() + " " + Integer.toOctalString(e.mode()) + " "
          + (e.type() == FileType.FILE ? e.digest().hex() : e.type() == FileType.SYMLINK ? e.linkTarget() : "")
          + " " + e.path() + "\n";
      tree.update(line.getBytes(StandardCharsets.UTF_8));
    }

    String treeDigest() {
      if (digest == null) {
        digest = Digest.of(tree.digest()).hex();
      }
      return digest;
    }
  }

  /** What a snapshot holds, in brief; stored beside the manifest. Immutable. */
  public record Summary(Instant capturedAt, boolean partial, long storedBytes, long entries,
      Map<String, VolumeStats> volumes) {

    String format() {
      StringBuilder b = new StringBuilder();
      b.append("capturedAt=").append(capturedAt).append('\n');
      b.append("partial=").append(partial).append('\n');
      b.append("storedBytes=").append(storedBytes).append('\n');
      b.append("entries=").append(entries).append('\n');
      volumes.forEach((name, v) -> b.append("volume.").append(name).append('=').append(v.files).append(',')
          .append(v.dirs).append(',').append(v.symlinks).append(',').append(v.bytes).append(',')
          .append(v.treeDigest()).append('\n'));
      return b.toString();
    }

    static Summary parse(String text) throws IOException {
      Properties p = new Properties();
      p.load(new StringReader(text));
      Map<String, VolumeStats> volumes = new TreeMap<>();
      for (String key : p.stringPropertyNames()) {
        if (key.startsWith("volume.")) {
          String[] f = p.getProperty(key).split(",");
          VolumeStats v = new VolumeStats();
          v.files = Long.parseLong(f[0]);
          v.dirs = Long.parseLong(f[1]);
          v.symlinks = Long.parseLong(f[2]);
          v.bytes = Long.parseLong(f[3]);
          v.digest = f[4];
          volumes.put(key.substring("volume.".length()), v);
        }
      }
      return new Summary(Instant.parse(p.getProperty("capturedAt")), Boolean.parseBoolean(p.getProperty("partial")),
          Long.parseLong(p.getProperty("storedBytes")), Long.parseLong(p.getProperty("entries")), volumes);
    }

    public Manifest toManifest(WorkloadRef workload) {
      List<Resource> list = new ArrayList<>();
      volumes.forEach((name, v) -> {
        ObjectNode doc = JsonNodeFactory.instance.objectNode();
        doc.put("files", v.files);
        doc.put("dirs", v.dirs);
        doc.put("symlinks", v.symlinks);
        doc.put("bytes", v.bytes);
        doc.put("treeDigest", v.treeDigest());
        list.add(new Resource(name, name, doc));
      });
      return Manifest.of(capturedAt, workload, partial, Map.of(FAMILY, list));
    }
  }

  // ------------------------------------------------------------ export/import

  /**
   * Streams a snapshot's entries in {@link FileEntry#ORDER} with their verified content, for
   * export. Close the reader when done.
   *
   * @throws SnapshotException NOT_FOUND if the repository does not hold the snapshot
   */
  public SnapshotReader openSnapshot(WorkloadRef workload, SnapshotId id) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(id, "id");
    Manifest manifest = manifest(workload, id).orElseThrow(() -> SnapshotException.notFound(
        "snapshot " + id + " of " + workload + " is not on this host").withSnapshot(id));
    ManifestFile.Reader reader = entries(workload, id);
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
            return content.open(e.digest());
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
  public Manifest ingest(WorkloadRef workload, SnapshotId id, Instant capturedAt, boolean partial,
      Iterator<? extends FsEntry> entries) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(capturedAt, "capturedAt");
    Objects.requireNonNull(entries, "entries");
    if (exists(workload, id)) {
      throw new SnapshotException(ErrorCode.CONFLICT, "snapshot " + id + " is already in this repository; "
          + "delete it first or import under another id").withSnapshot(id);
    }
    try (SnapshotWriter w = begin(workload, id)) {
      FileEntry previous = null;
      while (entries.hasNext()) {
        FsEntry item = entries.next();
        FileEntry e = item.entry();
        if (!e.volume().matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}")) {
          throw SnapshotException.invalid("volume name '" + e.volume() + "' is not allowed; it was not imported");
        }
        Optional<String> problem = SafeTree.pathProblem(e.path(), 4096);
        if (problem.isPresent()) {
          throw SnapshotException.invalid("this archive is unsafe: " + problem.get() + "; it was not imported");
        }
        if (previous != null && FileEntry.ORDER.compare(previous, e) >= 0) {
          throw SnapshotException.invalid("entries must be in FileEntry.ORDER without duplicates; '" + e.key()
              + "' came after '" + previous.key() + "'; it was not imported");
        }
        if (e.type() == FileType.SYMLINK) {
          Optional<String> bad = SafeTree.symlinkTargetProblem(e.path(), e.linkTarget().orElseThrow(), 4096);
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
        Entry stored = Entry.fromPublic(e, digest);
        w.add(new Entry(stored.volume(), stored.path(), stored.type(), stored.mode() & 0777, stored.size(),
            stored.mtimeNanos(), stored.inode(), stored.ctimeNanos(), stored.digest(), stored.linkTarget(),
            stored.torn(), Entry.NO_OWNER, Entry.NO_OWNER));
        previous = e;
      }
      return w.commit(capturedAt, partial).toManifest(workload);
    } catch (IOException | UncheckedIOException e) {
      throw SnapshotException.wrap("importing snapshot " + id, e);
    }
  }

  // ------------------------------------------------------------------ GC/check

  /**
   * Mark and sweep: removes stored content no snapshot refers to. Safe to run while captures
   * and restores run: content a running capture relies on or stored is pinned, and content
   * stored after the collection began is never removed. Collections run one at a time.
   */
  public GcReport gc() {
    gcLock.lock();
    try {
      long start = content.generation();
      // a manifest is identified by its file, not its name: a capture retried under the same id
      // replaces the file (a new inode) and must be marked again
      Set<Object> seen = new HashSet<>();
      Set<Digest> marked = new HashSet<>();
      for (Path m : manifestFiles()) {
        Object identity = identity(m);
        if (identity != null && mark(m, marked)) {
          seen.add(identity);
        }
      }
      long[] snapshotsMarked = {seen.size()};
      long[] swept = content.sweep(start, marked, more -> {
        for (Path m : manifestFiles()) {
          Object identity = identity(m);
          if (identity != null && !seen.contains(identity) && mark(m, more)) {
            seen.add(identity);
            snapshotsMarked[0]++;
          }
        }
      });
      GcReport report = new GcReport(snapshotsMarked[0], swept[1], swept[0]);
      LOG.info("repository gc: kept content of {} snapshots, removed {} contents, reclaimed {} bytes",
          report.snapshots(), report.contentsRemoved(), report.bytesReclaimed());
      return report;
    } catch (IOException e) {
      throw SnapshotException.wrap("repository gc", e);
    } catch (UncheckedIOException e) {
      throw SnapshotException.wrap("repository gc", e.getCause());
    } finally {
      gcLock.unlock();
    }
  }

  /** Marks a manifest's content; false if it was deleted since it was listed (its content may go). */
  private boolean mark(Path manifest, Set<Digest> marked) {
    return mark(manifest, marked, null);
  }

  /** As {@link #mark(Path, Set)}, marking only contents in {@code only} (all when null). */
  private boolean mark(Path manifest, Set<Digest> marked, Set<Digest> only) {
    try (ManifestFile.Reader r = ManifestFile.Reader.open(manifest)) {
      while (r.hasNext()) {
        Entry e = r.next();
        if (e.digest() != null && (only == null || only.contains(e.digest()))) {
          marked.add(e.digest());
        }
      }
      return true;
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The file's identity (device and inode), or null if it is gone. */
  private static Object identity(Path file) {
    try {
      Object key = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class,
          java.nio.file.LinkOption.NOFOLLOW_LINKS).fileKey();
      return key != null ? key : file;
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Every committed manifest, as {@code snapshots/<tenant>/<workload>/<id>.skm}. Listed with
   * directory streams, which do not stat their entries, so manifests being committed, replaced or
   * deleted meanwhile (captures and deletes run during GC and checks) never fail the listing.
   */
  private List<Path> manifestFiles() {
    List<Path> out = new ArrayList<>();
    for (Path tenant : children(snapshots, "*")) {
      for (Path workload : children(tenant, "*")) {
        for (Path m : children(workload, "*" + MANIFEST)) {
          if (!m.getFileName().toString().startsWith(TMP_PREFIX)) {
            out.add(m);
          }
        }
      }
    }
    return out;
  }

  /** A directory's entries matching {@code glob}; empty if it is gone or not a directory. */
  private static List<Path> children(Path dir, String glob) {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, glob)) {
      entries.forEach(out::add);
    } catch (NoSuchFileException | java.nio.file.NotDirectoryException e) {
      return List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }


  /**
   * Verifies stored content against its digest (all of it, or about one in sixteen contents when
   * {@code sample}: each sampled check takes the next of sixteen slices of the digest space, so
   * sixteen sampled checks together verify everything) and that every snapshot's content is
   * present, and names the snapshots that
   * reference anything corrupt or missing.
   */
  public CheckReport check(boolean sample) {
    Set<Digest> corrupt = new TreeSet<>();
    long checked = 0;
    int slice = Math.floorMod(sampleSlice.getAndIncrement(), 16);
    for (Map.Entry<Digest, ContentStore.Location> e : content.snapshotIndex().entrySet()) {
      Digest d = e.getKey();
      if (sample && Math.floorMod(d.hashCode(), 16) != slice) {
        continue;
      }
      checked++;
      try (InputStream in = content.open(d)) {
        byte[] buf = new byte[1 << 16];
        while (in.read(buf) >= 0) {
          // reading verifies
        }
      } catch (SnapshotException ex) {
        if (ex.code() != ErrorCode.CORRUPT) {
          throw ex;
        }
        corrupt.add(d);
      } catch (IOException ex) {
        corrupt.add(d);
      }
    }
    Set<Digest> missing = new TreeSet<>();
    List<String> damaged = new ArrayList<>();
    for (Path m : manifestFiles()) {
      boolean bad = false;
      try (ManifestFile.Reader r = ManifestFile.Reader.open(m)) {
        while (r.hasNext()) {
          Entry e = r.next();
          if (e.digest() != null) {
            if (corrupt.contains(e.digest())) {
              bad = true;
            } else if (!content.contains(e.digest())) {
              missing.add(e.digest());
              bad = true;
            }
          }
        }
      } catch (NoSuchFileException e) {
        continue;
      } catch (IOException | SnapshotException e) {
        bad = true;
      }
      if (bad) {
        Path rel = snapshots.relativize(m);
        String n = rel.toString();
        damaged.add(n.substring(0, n.length() - MANIFEST.length()));
      }
    }
    damaged.sort(null);
    return new CheckReport(checked, corrupt.stream().map(Digest::hex).toList(),
        missing.stream().map(Digest::hex).toList(), damaged);
  }

  /** Bytes of stored content on disk (packs and blobs). */
  long contentBytes() {
    try {
      return content.diskBytes();
    } catch (IOException e) {
      throw SnapshotException.wrap("measuring the repository", e);
    }
  }
}
