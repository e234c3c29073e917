package io.snapshotkit.fs.internal.restore;

import io.snapshotkit.fs.SnapshotArchive.Limits;
import io.snapshotkit.fs.internal.files.AtomicFiles;
import io.snapshotkit.fs.internal.repo.ContentStore;
import io.snapshotkit.fs.internal.repo.Entry;
import io.snapshotkit.fs.FileType;
import io.snapshotkit.fs.internal.repo.FsRepository;
import io.snapshotkit.fs.internal.repo.ManifestFile;
import io.snapshotkit.fs.internal.files.OrderedWork;
import io.snapshotkit.fs.internal.files.OrderedWork.Work;
import io.snapshotkit.fs.internal.files.RawNames;
import io.snapshotkit.fs.RestoreListener;
import io.snapshotkit.fs.RestoreStep;
import io.snapshotkit.fs.internal.files.SafeTree;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.RestoreFailure;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes snapshots back to directories: additive restore into live volumes, and the journaled
 * replace restore with its start-up recovery.
 *
 * <p><b>Replace restore</b>, in order: pre-flight that touches nothing ({@link #preflight}: every
 * selected volume resolves to a real directory or to nothing, the content is present, the
 * restore fits the size limits and the free space); journal {@code STAGING}; extract every unit
 * (a whole volume, or one selected path) into a work directory beside its live volume directory,
 * so the later renames stay on one filesystem; journal {@code PREPARED}; per unit,
 * rename live aside and staged into place, then checkpoint the journal; journal {@code
 * COMMITTED}; remove the set-aside originals and the journal. A failure before {@code COMMITTED}
 * rolls every unit back to its original data, removes the work directories and rethrows; a
 * crash is repaired the same way by {@link #recoverAll()} at start-up.
 *
 * <p><b>Thread-safety:</b> thread-safe; the caller (the engine, through the workload lock) makes
 * sure one workload is restored by one thread at a time. {@link #recoverAll()} must run before
 * any restore starts.
 */
public final class Restorer {
  private static final Logger LOG = LoggerFactory.getLogger(Restorer.class);
  /** File writes a restore keeps in flight (their contents are read as they run, not before). */
  private static final int WRITE_WINDOW = 64;
  /** No size policy: a restore may be as large as its snapshot. */
  public static final Limits UNLIMITED = new Limits(Long.MAX_VALUE, Long.MAX_VALUE, 4096);
  /** Marks the hidden work directory a replace restore keeps beside a live volume directory. */
  public static final String WORK_MARK = ".sk-restore-";
  private static final long BLOCK = 4096;

  /**
   * The durable steps of a replace restore and its recovery (renames and journal writes): the
   * seam a test uses to crash between any two of them.
   */
  public interface Durable {
    void move(Path from, Path to) throws IOException;

    void write(Journal journal) throws IOException;

    /** Makes a directory's entries durable. */
    void sync(Path directory) throws IOException;

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

  private final FsRepository repo;
  private final long headroom;
  private final Limits limits;
  private final Durable durable;
  private final Executor executor;

  /**
   * A restorer without a size policy: a restore may be as large as the snapshot. Each restore
   * still caps what it writes at what the snapshot's manifest declares (entries and bytes), so a
   * damaged content stream cannot write past it.
   */
  public Restorer(FsRepository repo, long headroom) {
    this(repo, headroom, UNLIMITED);
  }

  /** A restorer that refuses, in pre-flight, any restore larger than {@code limits}. */
  public Restorer(FsRepository repo, long headroom, Limits limits) {
    this(repo, headroom, limits, Durable.REAL);
  }

  public Restorer(FsRepository repo, long headroom, Limits limits, Durable durable) {
    this(repo, headroom, limits, durable, null);
  }

  /**
   * @param executor where file contents are decompressed, verified and written, several at once
   *     (directories and links are created in manifest order on the restoring thread), or null
   *     to write every file on the restoring thread
   */
  public Restorer(FsRepository repo, long headroom, Limits limits, Durable durable, Executor executor) {
    this.repo = repo;
    this.headroom = headroom;
    this.limits = limits;
    this.durable = durable;
    this.executor = executor;
  }

  /**
   * Which entries a restore covers: per volume, path prefixes (an empty list: the whole volume).
   * Volumes not in the map are not restored. Immutable.
   */
  public record Selection(Map<String, List<String>> volumes) {
    public Selection {
      Map<String, List<String>> copy = new TreeMap<>();
      volumes.forEach((v, prefixes) -> copy.put(v, normalize(v, prefixes)));
      volumes = Collections.unmodifiableMap(copy);
    }

    /** Every volume, whole. */
    public static Selection all(Collection<String> volumes) {
      Map<String, List<String>> m = new TreeMap<>();
      volumes.forEach(v -> m.put(v, List.of()));
      return new Selection(m);
    }

    /**
     * Parses {@code RestoreRequest.paths()}: {@code "vol"} selects a whole volume, {@code
     * "vol:dir/file"} one path (and everything under it) in it; no items selects every volume.
     *
     * @throws SnapshotException INVALID_ARGUMENT for an unknown volume or an unsafe path
     */
    public static Selection parse(List<String> items, Collection<String> volumes) {
      if (items.isEmpty()) {
        return all(volumes);
      }
      Map<String, List<String>> m = new TreeMap<>();
      for (String item : items) {
        int colon = item.indexOf(':');
        String volume = colon < 0 ? item : item.substring(0, colon);
        if (!volumes.contains(volume)) {
          throw SnapshotException.invalid("'" + item + "' names volume '" + volume + "', which the snapshot does "
              + "not have; its volumes are " + new TreeSet<>(volumes) + "; select 'volume' or 'volume:path'");
        }
        String path = colon < 0 ? "" : item.substring(colon + 1);
        List<String> prefixes = m.computeIfAbsent(volume, v -> new ArrayList<>());
        if (path.isEmpty() || path.equals("/")) {
          m.put(volume, new ArrayList<>(List.of("")));
        } else if (!(prefixes.size() == 1 && prefixes.get(0).isEmpty())) {
          prefixes.add(path);
        }
      }
      m.replaceAll((v, p) -> p.size() == 1 && p.get(0).isEmpty() ? List.of() : p);
      return new Selection(m);
    }

    private static List<String> normalize(String volume, List<String> prefixes) {
      TreeSet<String> sorted = new TreeSet<>();
      for (String p : prefixes) {
        String s = p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
        Optional<String> problem = SafeTree.pathProblem(s, 4096);
        if (problem.isPresent()) {
          throw SnapshotException.invalid("cannot restore '" + volume + ":" + p + "': " + problem.get()
              + "; select paths relative to the volume, without '..'");
        }
        sorted.add(s);
      }
      List<String> out = new ArrayList<>();
      for (String s : sorted) {
        if (out.stream().noneMatch(o -> s.startsWith(o + "/"))) {
          out.add(s);
        }
      }
      return List.copyOf(out);
    }

    /** Whether an additive restore writes the entry: selected, under a selected path, or a parent of one. */
    boolean covers(Entry e) {
      List<String> prefixes = volumes.get(e.volume());
      if (prefixes == null) {
        return false;
      }
      if (prefixes.isEmpty()) {
        return true;
      }
      for (String p : prefixes) {
        if (e.path().equals(p) || e.path().startsWith(p + "/") || p.startsWith(e.path() + "/")) {
          return true;
        }
      }
      return false;
    }

    /** The selected path an entry belongs to ("" for a whole volume), or empty if not selected. */
    Optional<String> unitOf(Entry e) {
      List<String> prefixes = volumes.get(e.volume());
      if (prefixes == null) {
        return Optional.empty();
      }
      if (prefixes.isEmpty()) {
        return Optional.of("");
      }
      for (String p : prefixes) {
        if (e.path().equals(p) || e.path().startsWith(p + "/")) {
          return Optional.of(p);
        }
      }
      return Optional.empty();
    }
  }

  // ---------------------------------------------------------------- preflight

  /** What pre-flight learned: which selected paths the snapshot has. */
  private record Plan(Set<String> present, long entries, long bytes) {
    /** The caps for writing this restore: exactly what the manifest declares. */
    Limits caps() {
      return new Limits(bytes, Math.max(1, entries), 4096);
    }
  }

  /**
   * Checks, touching nothing, that a restore of {@code sel} into {@code targets} can run: every
   * selected volume is in the snapshot and maps to an absolute path that is a real directory or
   * does not exist yet; the path to every selected path inside a live volume is made of real
   * directories; the content is all present; the restore fits the size limits; and each
   * filesystem has room for what will be staged on it.
   *
   * @throws SnapshotException NOT_FOUND (snapshot not held here), INVALID_ARGUMENT (bad target or
   *     selection, over the limits), CORRUPT (content missing), INSUFFICIENT_STORAGE (not enough disk space)
   */
  public void preflight(WorkloadRef w, SnapshotId id, Map<String, Path> targets, Selection sel) {
    plan(w, id, targets, sel);
  }

  /** As {@link #preflight(WorkloadRef, SnapshotId, Map, Selection)}, with the snapshot's summary already read. */
  public void preflight(WorkloadRef w, SnapshotId id, Map<String, Path> targets, Selection sel,
      FsRepository.Summary summary) {
    plan(w, id, targets, sel, summary);
  }

  private Plan plan(WorkloadRef w, SnapshotId id, Map<String, Path> targets, Selection sel) {
    FsRepository.Summary summary = repo.summary(w, id).orElseThrow(() -> SnapshotException.notFound("snapshot "
        + id + " of " + w + " is not on this host; list the workload's snapshots to find one that is")
        .withSnapshot(id).withWorkload(w));
    return plan(w, id, targets, sel, summary);
  }

  private Plan plan(WorkloadRef w, SnapshotId id, Map<String, Path> targets, Selection sel,
      FsRepository.Summary summary) {
    List<String> problems = new ArrayList<>();
    List<Path> lives = new ArrayList<>();
    for (Map.Entry<String, List<String>> s : sel.volumes().entrySet()) {
      String volume = s.getKey();
      if (!summary.volumes().containsKey(volume)) {
        problems.add("the snapshot has no volume '" + volume + "' (it has " + summary.volumes().keySet() + ")");
        continue;
      }
      Path live = targets.get(volume);
      if (live == null) {
        problems.add("volume '" + volume + "' has no directory to restore into");
        continue;
      }
      if (!live.isAbsolute() || live.getParent() == null || !live.normalize().equals(live)) {
        problems.add("volume '" + volume + "' maps to '" + live + "', which is not an absolute, normalized path "
            + "below the filesystem root");
        continue;
      }
      lives.add(live);
      Optional<BasicFileAttributes> a = attributes(live);
      if (a.isPresent() && (!a.get().isDirectory() || a.get().isSymbolicLink())) {
        problems.add("volume '" + volume + "' at " + live + " is a " + (a.get().isSymbolicLink() ? "symlink" : "file")
            + ", not a real directory");
        continue;
      }
      for (String p : s.getValue()) {
        parentProblem(live, RawNames.resolve(live, p).getParent()).ifPresent(problems::add);
      }
    }
    for (int i = 0; i < lives.size(); i++) {
      for (int k = 0; k < lives.size(); k++) {
        if (i != k && lives.get(k).startsWith(lives.get(i)) && (i < k || !lives.get(i).equals(lives.get(k)))) {
          problems.add("volume directories " + lives.get(i) + " and " + lives.get(k) + " are the same or nest; "
              + "map every volume to its own directory");
        }
      }
    }
    if (!problems.isEmpty()) {
      throw SnapshotException.invalid("cannot restore snapshot " + id + ": " + String.join("; ", problems)
          + "; fix the volume mapping or the selection and retry").withSnapshot(id).withWorkload(w);
    }
    Set<String> present = new TreeSet<>();
    Map<String, Long> bytes = new HashMap<>();
    long entries = 0;
    long content = 0;
    try (ManifestFile.Reader r = repo.entries(w, id)) {
      while (r.hasNext()) {
        Entry e = r.next();
        Optional<String> unit = sel.unitOf(e);
        if (unit.isEmpty()) {
          continue;
        }
        if (e.path().equals(unit.get())) {
          present.add(e.volume() + ":" + e.path());
        }
        entries++;
        long size = BLOCK;
        if (e.type() == FileType.FILE) {
          content += e.size();
          size = (e.size() + BLOCK - 1) / BLOCK * BLOCK;
          if (!repo.content().contains(e.digest())) {
            throw new SnapshotException(ErrorCode.CORRUPT, "snapshot " + id + " references content that is "
                + "missing from the repository (" + e.key() + "); run the repository check and restore another "
                + "snapshot").withSnapshot(id).withWorkload(w);
          }
        }
        bytes.merge(e.volume(), size, Long::sum);
      }
    }
    if (entries > limits.maxEntries() || content > limits.maxTotalBytes()) {
      throw SnapshotException.invalid("snapshot " + id + " has " + entries + " entries and " + content
          + " bytes to restore, over the restore limits (" + limits.maxEntries() + " entries, "
          + limits.maxTotalBytes() + " bytes); select fewer paths or raise the limits")
          .withSnapshot(id).withWorkload(w);
    }
    checkSpace(w, id, targets, sel, bytes);
    return new Plan(present, entries, content);
  }

  private void checkSpace(WorkloadRef w, SnapshotId id, Map<String, Path> targets, Selection sel,
      Map<String, Long> bytes) {
    Map<FileStore, Long> need = new HashMap<>();
    Map<FileStore, Path> where = new HashMap<>();
    try {
      for (String volume : sel.volumes().keySet()) {
        Path probe = existingAncestor(targets.get(volume));
        FileStore store = Files.getFileStore(probe);
        need.merge(store, bytes.getOrDefault(volume, 0L), Long::sum);
        where.putIfAbsent(store, probe);
      }
      for (Map.Entry<FileStore, Long> n : need.entrySet()) {
        long free = n.getKey().getUsableSpace();
        long wanted = n.getValue() + headroom;
        if (free < wanted) {
          throw new SnapshotException(ErrorCode.INSUFFICIENT_STORAGE, "not enough disk space at " + where.get(n.getKey())
              + " to restore snapshot " + id + ": it needs about " + wanted + " bytes (" + headroom
              + " of them headroom) and " + free + " are free; free some space and retry")
              .withSnapshot(id).withWorkload(w);
        }
      }
    } catch (IOException e) {
      throw SnapshotException.wrap("checking free disk space", e);
    }
  }

  /** Every existing directory from {@code live} down to {@code parent} must be a real directory. */
  private static Optional<String> parentProblem(Path live, Path parent) {
    List<Path> chain = new ArrayList<>();
    for (Path cur = parent; cur != null && cur.startsWith(live); cur = cur.getParent()) {
      chain.add(0, cur);
    }
    for (Path cur : chain) {
      Optional<BasicFileAttributes> a = attributes(cur);
      if (a.isEmpty()) {
        return Optional.empty();
      }
      if (!a.get().isDirectory() || a.get().isSymbolicLink()) {
        return Optional.of(cur + " is a " + (a.get().isSymbolicLink() ? "symlink" : "file")
            + ", so nothing is restored beneath it");
      }
    }
    return Optional.empty();
  }

  /** The topmost directory missing on the way from {@code live} down to {@code dir}, or null. */
  private static Path firstMissing(Path live, Path dir) {
    Path cur = dir;
    Path missing = null;
    while (cur != null && cur.startsWith(live) && !AtomicFiles.exists(cur)) {
      missing = cur;
      cur = cur.getParent();
    }
    return missing;
  }

  private static Optional<BasicFileAttributes> attributes(Path p) {
    try {
      return Optional.of(Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw SnapshotException.wrap("reading the attributes of " + p, e);
    }
  }

  private static Path existingAncestor(Path p) {
    Path cur = p;
    while (cur != null && !Files.exists(cur)) {
      cur = cur.getParent();
    }
    return cur == null ? p.getRoot() : cur;
  }

  // ----------------------------------------------------------------- additive

  /**
   * As {@link #additive(WorkloadRef, SnapshotId, Map, Selection, List, List)}, for a caller that
   * reports no warnings.
   */
  public int[] additive(WorkloadRef w, SnapshotId id, Map<String, Path> targets, Selection sel,
      List<RestoreFailure> failures) {
    return additive(w, id, targets, sel, failures, new ArrayList<>());
  }

  /**
   * Creates what the volumes lack; returns {created, skipped} and collects, per entry that could
   * not be written, what failed, why and its code (CORRUPT for damaged stored content,
   * INSUFFICIENT_STORAGE for a full disk); the other entries are still written. Adds to {@code
   * warnings} what was not restored as recorded ({@link #ownershipWarning}).
   */
  public int[] additive(WorkloadRef w, SnapshotId id, Map<String, Path> targets, Selection sel,
      List<RestoreFailure> failures, List<String> warnings) {
    int[] counts = {0, 0};
    Map<String, SafeTree> trees = new HashMap<>();
    // a write answers its failure, or null when it was written
    try (ManifestFile.Reader r = repo.entries(w, id);
        OrderedWork<RestoreFailure> writes = new OrderedWork<>(executor, WRITE_WINDOW, failure -> {
          if (failure == null) {
            counts[0]++;
          } else {
            failures.add(failure);
          }
        })) {
      try {
        while (r.hasNext()) {
          Entry e = r.next();
          if (!sel.covers(e) || !targets.containsKey(e.volume())) {
            continue;
          }
          Path root = targets.get(e.volume());
          SafeTree tree = trees.get(e.volume());
          if (tree == null) {
            try {
              Files.createDirectories(root);
            } catch (IOException ex) {
              throw SnapshotException.wrap("creating volume directory " + root, ex);
            }
            tree = SafeTree.rootedAt(root, limits, SafeTree.Origin.STORED);
            trees.put(e.volume(), tree);
          }
          Path path = RawNames.resolve(root, e.path());
          if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            counts[1]++;
            continue;
          }
          Optional<Work<String>> content;
          try {
            content = write(tree, e.path(), e);
          } catch (SnapshotException ex) {
            writes.done(RestoreFailure.of(e.key(), ex));
            continue;
          }
          if (content.isEmpty()) {
            writes.done(null);
          } else {
            Work<String> write = content.get();
            writes.submit(() -> {
              try {
                write.run();
                return null;
              } catch (SnapshotException ex) {
                deleteQuietly(path);
                return RestoreFailure.of(e.key(), ex);
              }
            });
          }
        }
        writes.finish();
      } catch (IOException ex) {
        throw SnapshotException.wrap("restoring snapshot " + id, ex);
      }
    } finally {
      trees.values().forEach(SafeTree::finish);
    }
    ownershipWarning(trees.values()).ifPresent(warnings::add);
    return counts;
  }

  /**
   * The one warning line for entries a restore could not give their recorded owner, or whose
   * setuid or setgid bit it dropped for that reason (see {@link SafeTree}), if any.
   */
  static Optional<String> ownershipWarning(Collection<SafeTree> trees) {
    long stripped = trees.stream().mapToLong(SafeTree::specialBitsStripped).sum();
    long notOwned = trees.stream().mapToLong(SafeTree::ownersNotSet).sum();
    if (stripped == 0 && notOwned == 0) {
      return Optional.empty();
    }
    List<String> parts = new ArrayList<>();
    if (notOwned > 0) {
      parts.add(notOwned + " entries could not be given the owner they were captured with (an id this system "
          + "cannot hold?) and belong to the restoring user");
    }
    if (stripped > 0) {
      parts.add(stripped + " entries were restored without their setuid or setgid bit, because they do not belong "
          + "to the owner they were captured with: " + (SafeTree.writesAsRoot()
              ? "the snapshot records no owner for them (captured before owners were recorded, or imported), or "
                  + "their owner could not be set"
              : "the restore did not run as root, so they belong to the restoring user")
          + "; such a bit is only restored for the owner it was captured with, never for another user");
    }
    return Optional.of(String.join("; ", parts));
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      LOG.warn("could not remove {} after a failed write", p, e);
    }
  }

  /**
   * Writes one entry at {@code path} under a tree: a directory or link now; a file is checked and
   * its parents created now, and its content is returned as work to run on any thread (its
   * result is always null).
   */
  private Optional<Work<String>> write(SafeTree tree, String path, Entry e) {
    FileTime mtime = FileTime.from(Entry.instant(e.mtimeNanos()));
    switch (e.type()) {
      case DIRECTORY -> tree.directory(path, e.mode(), e.uid(), e.gid(), mtime);
      case SYMLINK -> tree.symlink(path, e.linkTarget(), e.uid(), e.gid(), mtime);
      case FILE -> {
        SafeTree.PendingFile file = tree.reserveFile(path, e.size());
        return Optional.of(() -> {
          try (InputStream in = repo.content().open(e.digest())) {
            long n = file.write(in, e.mode(), e.uid(), e.gid(), mtime);
            if (n != e.size()) {
              throw ContentStore.corrupt(e.digest(), null);
            }
          } catch (IOException ex) {
            throw SnapshotException.wrap("restoring " + e.key(), ex);
          }
          return null;
        });
      }
    }
    return Optional.empty();
  }

  // ------------------------------------------------------------------ replace

  /**
   * The journaled replace restore of {@code sel} into {@code targets} (volume name to directory;
   * the live volumes, or another place to restore into). A whole selected volume becomes exactly
   * the snapshot's; a selected path inside a volume becomes exactly the snapshot's (removed if
   * the snapshot lacks it) while the rest of the volume is left alone.
   *
   * <p>On return every unit holds the snapshot and the work directories are gone. On a throw
   * every unit holds its original data, the work directories are gone and the journal is
   * removed; only if that rollback itself fails does the journal stay, for {@link #recoverAll()}.
   *
   * @return the number of entries restored
   * @throws SnapshotException as {@link #preflight}; CORRUPT if stored content fails its digest;
   *     INSUFFICIENT_STORAGE if a filesystem fills up; INTERNAL (cause kept) for another I/O
   *     failure; the volumes are on their original data
   */
  public int replace(WorkloadRef w, SnapshotId id, Map<String, Path> targets, Selection sel, RestoreListener listener) {
    return replace(w, id, targets, sel, listener, new ArrayList<>());
  }

  /**
   * As {@link #replace(WorkloadRef, SnapshotId, Map, Selection, RestoreListener)}, adding to
   * {@code warnings} what was not restored as recorded ({@link #ownershipWarning}).
   */
  public int replace(WorkloadRef w, SnapshotId id, Map<String, Path> targets, Selection sel, RestoreListener listener,
      List<String> warnings) {
    Plan plan = plan(w, id, targets, sel);
    refuseMountPoints(w, id, targets, sel);
    String token = freshToken(targets, sel);
    List<Journal.Unit> units = new ArrayList<>();
    for (Map.Entry<String, List<String>> s : sel.volumes().entrySet()) {
      Path live = targets.get(s.getKey());
      Path work = live.getParent().resolve("." + live.getFileName() + WORK_MARK + token);
      if (s.getValue().isEmpty()) {
        Journal.Unit u = new Journal.Unit(s.getKey(), "", live, work, units.size());
        u.inSnapshot = true;
        units.add(u);
      } else {
        for (String p : s.getValue()) {
          Journal.Unit u = new Journal.Unit(s.getKey(), p, RawNames.resolve(live, p), work, units.size());
          u.inSnapshot = plan.present().contains(s.getKey() + ":" + p);
          units.add(u);
        }
      }
    }
    Journal journal = new Journal(repo.journalDir().resolve("restore-" + token + Journal.SUFFIX), w.key(),
        id.value(), Journal.State.STAGING, units);
    int entries;
    String phase = "staging";
    try {
      for (Journal.Unit u : units) {
        Files.createDirectories(targets.get(u.volume).getParent());
      }
      durable.write(journal);
      entries = stage(w, id, journal, targets, sel, plan.caps(), warnings);
      listener.reached(RestoreStep.STAGED, 0);
      phase = "preparing the swap";
      for (Journal.Unit u : units) {
        Optional<BasicFileAttributes> a = attributes(u.live);
        u.hadLive = a.isPresent();
        if (u.path.isEmpty() && a.isPresent() && (!a.get().isDirectory() || a.get().isSymbolicLink())) {
          throw SnapshotException.invalid("volume '" + u.volume + "' at " + u.live
              + " became a file or a symlink during the restore; fix the volume mapping and retry");
        }
      }
      journal.state = Journal.State.PREPARED;
      durable.write(journal);
      listener.reached(RestoreStep.JOURNALED, 0);
      phase = "swapping";
      int swapped = 0;
      for (Journal.Unit u : units) {
        swap(journal, u, targets.get(u.volume));
        listener.reached(RestoreStep.VOLUME_SWAPPED, ++swapped);
      }
      journal.state = Journal.State.COMMITTED;
      durable.write(journal);
    } catch (Throwable t) {
      throw rollBackAfter(t, journal, phase, w, id);
    }
    try {
      listener.reached(RestoreStep.COMMITTED, units.size());
    } catch (RuntimeException e) {
      LOG.warn("restore listener failed after snapshot {} was committed; the restore stands", id, e);
    }
    try {
      recover(journal);
    } catch (IOException e) {
      LOG.warn("snapshot {} is restored but removing the set-aside originals failed; start-up recovery "
          + "will retry", id, e);
    }
    LOG.info("restored snapshot {} of {} over {} unit(s) ({} entries)", id, w, units.size(), entries);
    return entries;
  }

  /**
   * A token naming this restore's journal and work directories that no other restore uses:
   * recovery deletes the work directories a journal names, so two restores must never share one.
   */
  private String freshToken(Map<String, Path> targets, Selection sel) {
    while (true) {
      String token = UUID.randomUUID().toString().replace("-", "").substring(0, 16);
      boolean taken = AtomicFiles.exists(repo.journalDir().resolve("restore-" + token + Journal.SUFFIX));
      for (String v : sel.volumes().keySet()) {
        Path live = targets.get(v);
        taken |= AtomicFiles.exists(live.getParent().resolve("." + live.getFileName() + WORK_MARK + token));
      }
      if (!taken) {
        return token;
      }
    }
  }

  /**
   * A replace restore renames what it swaps, which a mount point (a bind-mounted volume, say)
   * does not allow; say so before touching anything rather than failing mid-swap.
   */
  private static void refuseMountPoints(WorkloadRef w, SnapshotId id, Map<String, Path> targets, Selection sel) {
    List<String> mounts = new ArrayList<>();
    try {
      for (Map.Entry<String, List<String>> s : sel.volumes().entrySet()) {
        Path volume = targets.get(s.getKey());
        List<Path> swapped = new ArrayList<>();
        if (s.getValue().isEmpty()) {
          swapped.add(volume);
        } else {
          s.getValue().forEach(p -> swapped.add(RawNames.resolve(volume, p)));
        }
        for (Path p : swapped) {
          if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)
              && !Files.getFileStore(p).equals(Files.getFileStore(p.getParent()))) {
            mounts.add(p.toString());
          }
        }
      }
    } catch (IOException e) {
      throw SnapshotException.wrap("checking for mount points", e);
    }
    if (!mounts.isEmpty()) {
      throw SnapshotException.invalid("cannot replace-restore snapshot " + id + ": " + mounts + " are mount points, "
          + "and a replace restore swaps directories by renaming them; use an ADDITIVE restore, restore into a "
          + "target directory, or map the volume to a directory inside the mount").withSnapshot(id).withWorkload(w);
    }
  }

  private RuntimeException rollBackAfter(Throwable t, Journal journal, String phase, WorkloadRef w,
      SnapshotId id) {
    // An interrupt (which may be what failed the restore) would make every FileChannel the
    // rollback opens fail too; roll back with the flag clear and set it again afterwards.
    boolean interrupted = Thread.interrupted();
    try {
      if (journal.state == Journal.State.COMMITTED) {
        // Writing COMMITTED failed after every swap, perhaps after its rename reached the disk:
        // record the decision to roll back first, or a crash mid-rollback would roll forward
        // over half-restored volumes. If even that cannot be written, touch nothing: the journal
        // on disk (PREPARED or COMMITTED) is consistent either way, and recovery settles it.
        journal.state = Journal.State.PREPARED;
        durable.write(journal);
      }
      recover(journal);
    } catch (IOException | RuntimeException r) {
      t.addSuppressed(r);
      LOG.error("rolling back the restore of snapshot {} failed; the journal {} stays so start-up recovery "
          + "finishes it", id, journal.file, r);
      if (t instanceof Error err) {
        throw err;
      }
      return new SnapshotException(ErrorCode.INTERNAL, "replace restore of snapshot " + id + " failed while "
          + phase + " and rolling it back failed too; restart the agent so start-up recovery puts every volume "
          + "back on its original data (journal " + journal.file + ")", t).withWorkload(w).withSnapshot(id);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    if (t instanceof Error err) {
      throw err;
    }
    Optional<String> full = SnapshotException.outOfSpace(t);
    if (full.isPresent()) {
      return new SnapshotException(ErrorCode.INSUFFICIENT_STORAGE, "replace restore of snapshot " + id
          + " ran out of space while " + phase + ": " + full.get() + "; every volume was left on its original "
          + "data and the staged copy was removed; free some space and retry", t).withWorkload(w).withSnapshot(id);
    }
    if (t instanceof SnapshotException se) {
      // the cause says what failed; add what became of the volumes (their original data)
      return new SnapshotException(se.code(), se.getMessage() + " (the replace restore was rolled back: every "
          + "volume is on its original data)", se).withWorkload(w).withSnapshot(id);
    }
    return new SnapshotException(ErrorCode.INTERNAL, "replace restore of snapshot " + id + " failed while " + phase
        + " (" + t + "); every volume was left on its original data; fix the cause and retry", t)
        .withWorkload(w).withSnapshot(id);
  }

  /** Extracts every unit into its work directory and makes it durable. */
  private int stage(WorkloadRef w, SnapshotId id, Journal journal, Map<String, Path> targets, Selection sel,
      Limits caps, List<String> warnings) throws IOException {
    for (Path work : journal.workDirs()) {
      Files.createDirectory(work);
      Files.createDirectory(work.resolve("new"));
      Files.createDirectory(work.resolve("old"));
      Files.createDirectory(work.resolve("drop"));
    }
    Map<String, SafeTree> trees = new HashMap<>();
    Map<String, Journal.Unit> byKey = new LinkedHashMap<>();
    Map<Path, Map<String, Object>> rootModes = new HashMap<>();
    for (Journal.Unit u : journal.units) {
      byKey.put(u.volume + ":" + u.path, u);
      trees.computeIfAbsent(u.volume, v -> SafeTree.rootedAt(u.work.resolve("new"), caps, SafeTree.Origin.STORED));
      if (u.path.isEmpty()) {
        // a volume root keeps the live root's mode, and as root its owner (the snapshot records
        // neither), applied once its children are written, in case it is read-only
        Path root = Files.createDirectory(u.staged());
        Path live = targets.get(u.volume);
        if (Files.isDirectory(live, LinkOption.NOFOLLOW_LINKS)) {
          rootModes.put(root, Files.readAttributes(live, "unix:mode,uid,gid", LinkOption.NOFOLLOW_LINKS));
        }
      }
    }
    int n = 0;
    try (ManifestFile.Reader r = repo.entries(w, id);
        OrderedWork<String> writes = new OrderedWork<>(executor, WRITE_WINDOW, ignored -> { })) {
      while (r.hasNext()) {
        Entry e = r.next();
        Optional<String> unit = sel.unitOf(e);
        if (unit.isEmpty()) {
          continue;
        }
        Journal.Unit u = byKey.get(e.volume() + ":" + unit.get());
        String index = Integer.toString(u.index);
        String mapped;
        if (u.path.isEmpty()) {
          mapped = index + "/" + e.path();
        } else if (e.path().equals(u.path)) {
          mapped = index;
        } else {
          mapped = index + "/" + e.path().substring(u.path.length() + 1);
        }
        Optional<Work<String>> content = write(trees.get(e.volume()), mapped, e);
        if (content.isPresent()) {
          writes.submit(content.get());
        }
        n++;
      }
      writes.finish();
    }
    for (SafeTree t : trees.values()) {
      t.finish();
    }
    for (Map.Entry<Path, Map<String, Object>> m : rootModes.entrySet()) {
      if (SafeTree.writesAsRoot()) {
        Files.setAttribute(m.getKey(), "unix:uid", m.getValue().get("uid"), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(m.getKey(), "unix:gid", m.getValue().get("gid"), LinkOption.NOFOLLOW_LINKS);
      }
      Files.setAttribute(m.getKey(), "unix:mode", (Integer) m.getValue().get("mode") & 07777);
    }
    ownershipWarning(trees.values()).ifPresent(warnings::add);
    // Staged contents are left to the kernel's writeback rather than fsynced file by file: 20,000
    // fsyncs took about 60 s on the test VM, more than the whole restore. A process crash loses
    // nothing either way; see the README for the power-loss trade-off. The work directories
    // themselves are fsynced, so the renames that follow have durable names to act on.
    for (Path work : journal.workDirs()) {
      durable.sync(work.resolve("new"));
      durable.sync(work);
      durable.sync(work.getParent());
    }
    return n;
  }

  /** Swaps one unit: live aside, staged into place, checkpoint. */
  private void swap(Journal journal, Journal.Unit u, Path volumeRoot) throws IOException {
    if (!u.path.isEmpty()) {
      Path parent = u.live.getParent();
      Optional<String> problem = parentProblem(volumeRoot, parent);
      if (problem.isPresent()) {
        throw SnapshotException.invalid("cannot restore " + u.describe() + ": " + problem.get());
      }
      Path missing = firstMissing(volumeRoot.getParent(), parent);
      // Only a path the snapshot has needs its parents: one it lacks stays absent, and creating
      // its parents would leave directories the snapshot never had.
      if (missing != null && u.inSnapshot) {
        u.created = missing;
        durable.write(journal);
        Files.createDirectories(parent);
        durable.sync(missing.getParent());
      }
    }
    if (u.hadLive) {
      durable.move(u.live, u.backup());
    }
    if (u.inSnapshot) {
      durable.move(u.staged(), u.live);
    }
    u.swapped = true;
    durable.write(journal);
  }

  // ----------------------------------------------------------------- recovery

  /**
   * Replays every journal left in the repository by an interrupted restore (see {@link Journal}
   * for what each state means) and removes half-written journal temp files. Run it at start-up,
   * before any restore.
   *
   * @return what was done, one sentence per replayed journal ({@link Journal#recoveryOutcome()})
   * @throws SnapshotException CORRUPT if a journal is unreadable (it is left for a person to
   *     inspect); INTERNAL if a volume cannot be put back (its journal stays for the next run)
   */
  public List<String> recoverAll() {
    List<String> done = new ArrayList<>();
    List<Path> journals = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(repo.journalDir())) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (name.startsWith(".tmp-")) {
          Files.deleteIfExists(f);
        } else if (name.endsWith(Journal.SUFFIX)) {
          journals.add(f);
        }
      }
    } catch (NoSuchFileException e) {
      return done;
    } catch (IOException e) {
      throw SnapshotException.wrap("restore recovery", e);
    }
    journals.sort(null);
    for (Path f : journals) {
      Journal j;
      try {
        j = Journal.read(f);
      } catch (IOException | RuntimeException e) {
        throw new SnapshotException(ErrorCode.CORRUPT, "the restore journal " + f + " is unreadable, so an "
            + "interrupted restore cannot be replayed; inspect the volumes it names and remove it by hand", e);
      }
      LOG.warn("replaying the interrupted restore of snapshot {} for {} (state {}): {}", j.snapshot, j.workload,
          j.state, j.state == Journal.State.COMMITTED ? "keeping the restored data" : "putting the original data back");
      try {
        recover(j);
      } catch (IOException e) {
        throw new SnapshotException(ErrorCode.INTERNAL, "replaying the restore journal " + f + " failed; the "
            + "journal stays and the next start retries; inspect the volumes it names", e);
      }
      done.add(j.recoveryOutcome());
    }
    return done;
  }

  /**
   * Brings every unit of a journal to a consistent end: {@code COMMITTED} rolls forward (restored
   * data stays); anything earlier rolls back (original data returns). Then removes the work
   * directories and, last, the journal. Idempotent, so a crash during recovery is repaired by
   * running it again.
   *
   * @throws IOException if a unit cannot be put back; the work directories and the journal stay
   */
  void recover(Journal j) throws IOException {
    if (j.state == Journal.State.PREPARED) {
      List<Journal.Unit> reversed = new ArrayList<>(j.units);
      Collections.reverse(reversed);
      for (Journal.Unit u : reversed) {
        rollBack(u);
      }
    }
    for (Path work : j.workDirs()) {
      AtomicFiles.deleteTree(work);
      if (Files.isDirectory(work.getParent())) {
        durable.sync(work.getParent());
      }
    }
    Files.deleteIfExists(j.file);
    durable.sync(j.file.getParent());
  }

  /**
   * Puts one unit's original back, whatever point of its swap (or of an earlier rollback) a crash
   * interrupted: only the swap's second rename puts something at the live path while the original
   * is set aside, and the original is only ever at the live path or at the backup.
   */
  private void rollBack(Journal.Unit u) throws IOException {
    Path backup = u.backup();
    Path drop = u.drop();
    if (u.hadLive) {
      if (AtomicFiles.exists(backup)) {
        if (AtomicFiles.exists(u.live)) {
          park(u.live, drop);
        }
        durable.move(backup, u.live);
      } else if (!AtomicFiles.exists(u.live)) {
        throw new IOException(u.describe() + ": neither " + u.live + " nor its set-aside original " + backup
            + " exists; the original cannot be put back");
      }
    } else if (AtomicFiles.exists(u.live)) {
      park(u.live, drop);
    }
    AtomicFiles.deleteTree(drop);
    AtomicFiles.deleteTree(u.staged());
    if (u.created != null) {
      removeEmptyDirectories(u.live.getParent(), u.created);
    }
  }

  private void park(Path live, Path drop) throws IOException {
    AtomicFiles.deleteTree(drop);
    Files.createDirectories(drop.getParent());
    durable.move(live, drop);
  }

  /** Removes {@code from} and its parents up to and including {@code top}, as long as they are empty. */
  private static void removeEmptyDirectories(Path from, Path top) throws IOException {
    if (!from.startsWith(top)) {
      return;
    }
    Path cur = from;
    while (cur != null && cur.startsWith(top)) {
      try {
        Files.deleteIfExists(cur);
      } catch (DirectoryNotEmptyException e) {
        return;
      }
      cur = cur.getParent();
    }
    if (cur != null && Files.isDirectory(cur)) {
      AtomicFiles.fsyncDirectory(cur);
    }
  }
}
