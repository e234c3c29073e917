package io.snapshotkit.fs.internal.repo;

import io.snapshotkit.ProgressEvent;
import io.snapshotkit.ProgressListener;
import io.snapshotkit.spi.ProgressTracker;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.Manifest;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.CheckReport;
import io.snapshotkit.fs.GcReport;
import io.snapshotkit.fs.internal.files.AtomicFiles;
import io.snapshotkit.fs.internal.store.LocalObjectStore;
import io.snapshotkit.fs.store.ObjectStore;
import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The on-disk repository behind an {@link io.snapshotkit.fs.FsHostAgent} (format 2, see
 * {@link RepositoryFormat}): content-addressed storage (small files whole, large files as
 * content-defined chunks and a chunk list, all in write-once packs found through write-once
 * index files), content-addressed directory trees stored as contents, one small root file per
 * snapshot naming its volumes' root trees, restore journals and the tracked-volume registry.
 * {@code FsHostAgent} opens it and holds it (and its lock) while the agent is open; not API.
 *
 * <p>Layout: the objects {@code format}, {@code packs/}, {@code index/} and {@code
 * snapshots/<tenant>/<workload>/<id>.root} ({@link RootFile}) live in an {@link ObjectStore}: by
 * default a {@link LocalObjectStore} on the root directory, or a store other agents may share (a
 * bucket), which then also holds {@code leases/} ({@link SharedLeases}). Under the local root
 * directory in any case: {@code journal/}, {@code workloads/}, {@code tmp/} and the {@code lock}
 * file one process holds while it has the directory open (it guards the local state only, so
 * agents on several hosts, each with its own directory, may share one bucket).
 *
 * <p><b>Thread-safety:</b> thread-safe. Captures, restores, deletes, {@link #gc()} and
 * {@link #check} may run concurrently; {@link #gc()} never removes content a snapshot (committed,
 * or being captured) refers to.
 */
public final class FsRepository implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(FsRepository.class);
  public static final String FAMILY = "volumes";
  static final String ROOT = ".root";
  /** Temporary files (root files being written) start with this; they are never snapshots. */
  static final String TMP_PREFIX = ".tmp-";

  /** The object-name prefix of snapshot root files. */
  static final String SNAPSHOTS = "snapshots/";

  private final Path root;
  private final ObjectStore objects;
  /** Null unless other agents share {@link #objects}. */
  private final SharedLeases leases;
  private final ContentStore content;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final ReentrantLock gcLock = new ReentrantLock();
  private final Maintenance maintenance;
  /**
   * Roots read since the index was last refreshed for them: a root is write-once and its content
   * was published before it, so one refresh after its first read knows every index file it needs
   * (content a gc moved since is found by the refresh after a miss).
   */
  private final Set<String> rootsRefreshed = ConcurrentHashMap.newKeySet();
  /**
   * Roots {@link #snapshots} listed, with the index's {@link ContentStore#refreshes()} count read
   * after that listing returned. A root listed before a refresh started needs no refresh of its
   * own when it is read: its index files were published before it, so that refresh saw them (a
   * capture lists its workload's snapshots at open, then refreshes after taking its lease, then
   * reads its parent's root: two listings of the bucket saved).
   */
  private final Map<String, Long> rootsListed = new ConcurrentHashMap<>();

  private FsRepository(Path root, Shared shared, int level, int small, Executor executor, FileChannel lockChannel,
      FileLock lock) throws IOException {
    this.root = root;
    this.lockChannel = lockChannel;
    this.lock = lock;
    Files.createDirectories(root.resolve("journal"));
    Files.createDirectories(root.resolve("workloads"));
    AtomicFiles.deleteTree(root.resolve("tmp"));
    Files.createDirectories(root.resolve("tmp"));
    if (shared == null) {
      LocalObjectStore local = LocalObjectStore.exclusive(root);
      RepositoryFormat.ensure(local, root.toString());
      Files.createDirectories(root.resolve("snapshots"));
      // the repository lock is held: no put is running, so interrupted ones and in-flight imports go
      local.removeTemporaries("packs");
      local.removeTemporaries("index");
      this.objects = local;
      this.leases = null;
      this.content = new ContentStore(objects, level, small, executor);
      removeAbandonedManifests();
    } else {
      this.objects = shared.store();
      RepositoryFormat.ensure(objects, shared.store().toString());
      this.leases = new SharedLeases(objects, shared.host(), shared.leaseTime(), java.time.Clock.systemUTC());
      this.content = new ContentStore(objects, level, small, executor, true);
    }
    this.maintenance = new Maintenance(content, objects, gcLock, treeSource(), leases);
  }

  /**
   * An object store other agents (on other hosts) may use at the same time, this agent's host id
   * (named in its leases) and how long a lease lasts unrenewed.
   */
  public record Shared(ObjectStore store, String host, java.time.Duration leaseTime) {
    /** Checks the arguments. */
    public Shared {
      Objects.requireNonNull(store, "store");
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(leaseTime, "leaseTime");
    }
  }

  /**
   * Removes the temporary root files of captures a crash interrupted. Safe at open: the repository
   * lock is held, so no capture of this repository is running.
   */
  private void removeAbandonedManifests() throws IOException {
    Path snapshots = root.resolve("snapshots");
    try (var walk = Files.walk(snapshots, 3)) {
      for (Path p : walk.filter(f -> f.getFileName().toString().startsWith(TMP_PREFIX)).toList()) {
        LOG.warn("removing {}, left by a capture that was interrupted", snapshots.relativize(p));
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

  /** As {@link #open(Path, int)}, storing contents smaller than {@code small} bytes whole (larger ones chunked). */
  public static FsRepository open(Path root, int level, int small) {
    return open(root, level, small, null);
  }

  /**
   * As {@link #open(Path, int, int)}, decompressing the chunks of a large content ahead of its
   * reader on {@code executor} (null: on the reading thread).
   *
   * @throws SnapshotException CONFLICT if the directory holds a repository of another format
   */
  public static FsRepository open(Path root, int level, int small, Executor executor) {
    return open(root, null, level, small, executor);
  }

  /**
   * As {@link #open(Path, int, int, Executor)}, keeping the repository's objects in {@code shared}
   * (null: in {@code root} itself) and only the local state in {@code root}.
   *
   * @throws SnapshotException CONFLICT if another agent has {@code root} open or the store holds
   *     a repository of another format
   */
  public static FsRepository open(Path root, Shared shared, int level, int small, Executor executor) {
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
      return new FsRepository(root, shared, level, small, executor, ch, lock);
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
   * Releases the repository lock and pooled compression contexts. {@link io.snapshotkit.fs.FsHostAgent#close()}
   * calls it; do not close the repository of an agent that is still in use.
   */
  @Override
  public void close() {
    if (leases != null) {
      leases.close();
    }
    content.close();
    if (leases == null) {
      closeQuietly(objects); // the repository's own store: the files it keeps open for reads
    }
    try {
      lock.release();
    } catch (IOException e) {
      LOG.debug("releasing the repository lock", e);
    }
    closeQuietly(lockChannel);
  }

  // ---------------------------------------------------------------- snapshots

  private static String dir(WorkloadRef w) {
    return SNAPSHOTS + w.tenant().value() + "/" + w.id() + "/";
  }

  /** The object name of a snapshot's root file (see {@link RootFile}); the snapshot exists exactly when it does. */
  static String rootName(WorkloadRef w, SnapshotId id) {
    return dir(w) + id.value() + ROOT;
  }

  /** The snapshot's root file in a repository on a local directory (for tests that damage it). */
  public Path rootPath(WorkloadRef w, SnapshotId id) {
    return root.resolve(rootName(w, id));
  }

  /** Whether the repository holds the snapshot. */
  public boolean exists(WorkloadRef w, SnapshotId id) {
    try {
      objects.size(rootName(w, id));
      return true;
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      throw SnapshotException.wrap("looking for snapshot " + id, e);
    }
  }

  /**
   * The names of the root files under {@code prefix}, sorted. A store that lists one directory
   * level at a time (a local directory lists {@code snapshots/t} for {@code snapshots/}) is walked
   * down; entries that vanish meanwhile are skipped.
   */
  static List<String> listRoots(ObjectStore objects, String prefix) throws IOException {
    List<String> out = new ArrayList<>();
    for (String n : objects.list(prefix)) {
      if (n.endsWith(ROOT)) {
        out.add(n);
      } else if (n.length() > prefix.length() && n.indexOf('/', prefix.length()) < 0 && n.split("/").length < 4) {
        out.addAll(listRoots(objects, n + "/"));
      }
    }
    out.sort(null);
    return out;
  }

  /**
   * The workload's snapshots on this host, oldest first.
   *
   * @return ids; empty if none
   */
  public List<SnapshotId> snapshots(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    List<SnapshotId> ids = new ArrayList<>();
    String dir = dir(workload);
    try {
      List<String> names = objects.list(dir);
      long refreshes = content.refreshes();
      for (String name : names) {
        String n = name.substring(dir.length());
        if (n.endsWith(ROOT) && n.indexOf('/') < 0) {
          ids.add(SnapshotId.parse(n.substring(0, n.length() - ROOT.length())));
          rootsListed.putIfAbsent(name, refreshes);
        }
      }
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
    return rootFile(w, id).map(RootFile::summary);
  }

  /**
   * Reads a snapshot's root file (on a shared store, reloading the index too).
   *
   * @return empty if the repository does not hold the snapshot
   * @throws SnapshotException CORRUPT if the root file is damaged
   */
  Optional<RootFile> rootFile(WorkloadRef w, SnapshotId id) {
    try {
      String name = rootName(w, id);
      Optional<RootFile> found = Optional.of(RootFile.read(objects, name));
      // on a shared store the snapshot may come from another host: know its index files (once per
      // root: a restore reads its root several times, and each refresh lists the bucket twice)
      if (!rootsRefreshed.contains(name)) {
        Long listedAt = rootsListed.get(name);
        if (listedAt == null || content.refreshes() <= listedAt) {
          content.refresh();
        }
        rootsRefreshed.add(name);
      }
      return found;
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw SnapshotException.wrap("reading snapshot " + id, e).withSnapshot(id).withWorkload(w);
    } catch (SnapshotException e) {
      throw e.withSnapshot(id).withWorkload(w);
    }
  }

  /**
   * Opens a snapshot's entries, read from its directory trees in {@link io.snapshotkit.fs.FileEntry#ORDER}.
   *
   * @throws SnapshotException NOT_FOUND if the repository does not hold it; CORRUPT if its root
   *     file is damaged (a damaged tree fails CORRUPT as the reader reaches it)
   */
  public TreeReader entries(WorkloadRef w, SnapshotId id) {
    RootFile root = rootFile(w, id).orElseThrow(() -> SnapshotException.notFound("snapshot " + id + " of " + w
        + " is not on this host; list the workload's snapshots to find one that is").withSnapshot(id).withWorkload(w));
    return new TreeReader(treeSource(), root.trees());
  }

  /** Loads tree objects from the content store, verified against their digest. */
  public TreeReader.Source treeSource() {
    return d -> {
      try (java.io.InputStream in = content.open(d)) {
        byte[] bytes = in.readNBytes(TreeNode.MAX_BYTES + 1);
        if (bytes.length > TreeNode.MAX_BYTES) {
          throw TreeNode.corrupt(d);
        }
        return bytes;
      } catch (IOException e) {
        throw new SnapshotException(ErrorCode.CORRUPT, "reading the directory tree " + d + " failed; run the "
            + "repository check to find the affected snapshots", e);
      }
    };
  }

  /**
   * Removes a snapshot's root file at once; its trees and content are reclaimed by the next {@link #gc()}.
   *
   * @return whether the repository held it
   */
  public boolean delete(WorkloadRef w, SnapshotId id) {
    try {
      return objects.delete(rootName(w, id));
    } catch (IOException e) {
      throw SnapshotException.wrap("deleting snapshot " + id, e);
    }
  }

  /** The collection lock gc holds from mark to sweep (see {@link ForkRoot}). */
  ReentrantLock collectionLock() {
    return gcLock;
  }

  /**
   * Publishes a snapshot's root object, the last write of a capture or a fork. A root is written
   * once; a retry with the same id (whose earlier attempt the engine never made READY) replaces
   * the earlier attempt's root.
   *
   * @throws SnapshotException CONFLICT if another writer publishes the same id at the same time
   */
  void publishRoot(WorkloadRef workload, SnapshotId id, byte[] rootObject) throws IOException {
    String name = rootName(workload, id);
    if (!objects.putIfAbsent(name, rootObject)) {
      objects.delete(name);
      if (!objects.putIfAbsent(name, rootObject)) {
        throw new SnapshotException(ErrorCode.CONFLICT, "snapshot " + id + " of " + workload
            + " is being written by another capture at the same time; capture again under a new id");
      }
    }
  }

  /**
   * On a shared store, a capture lease (waiting while another agent's gc runs), which a fork holds
   * while it writes a root naming content that another host's gc must not sweep; empty on a
   * repository of its own, where the collection lock alone keeps gc out.
   */
  Optional<SharedLeases.Lease> sharedCaptureLease() {
    return leases == null ? Optional.empty() : Optional.of(leases.capture());
  }

  /**
   * Starts writing a snapshot. On a shared store it first takes a capture lease (waiting while
   * another agent's gc runs) and reloads the index, so it dedups against every agent's content.
   */
  public SnapshotWriter begin(WorkloadRef w, SnapshotId id) {
    SharedLeases.Lease lease = leases == null ? null : leases.capture();
    try {
      content.refresh();
      return new SnapshotWriter(this, w, id, lease);
    } catch (IOException e) {
      if (lease != null) {
        lease.close();
      }
      throw SnapshotException.wrap("reading the index of the shared repository", e);
    } catch (RuntimeException e) {
      if (lease != null) {
        lease.close();
      }
      throw e;
    }
  }

  /**
   * On a shared store, reloads the index files other agents published (a restore, diff or export
   * of a snapshot another host captured); on a store of its own, nothing.
   */
  public void refresh() {
    try {
      content.refresh();
    } catch (IOException e) {
      throw SnapshotException.wrap("reading the index of the shared repository", e);
    }
  }

  /** Removes what an abandoned capture added that no snapshot refers to (see {@link SnapshotWriter#close()}). */
  void reclaim(Set<Digest> candidates) {
    maintenance.reclaim(candidates);
  }

  // ------------------------------------------------------------------ GC/check

  /** @see Maintenance#gc(ProgressTracker) */
  public GcReport gc() {
    return gc(ProgressTracker.start(ProgressEvent.Operation.GC, ProgressListener.NONE));
  }

  /** @see Maintenance#gc(ProgressTracker) */
  public GcReport gc(ProgressTracker progress) {
    return maintenance.gc(progress);
  }

  /** @see Maintenance#check(boolean, ProgressTracker) */
  public CheckReport check(boolean sample) {
    return check(sample, ProgressTracker.start(ProgressEvent.Operation.CHECK, ProgressListener.NONE));
  }

  /** @see Maintenance#check(boolean, ProgressTracker) */
  public CheckReport check(boolean sample, ProgressTracker progress) {
    return maintenance.check(sample, progress);
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
