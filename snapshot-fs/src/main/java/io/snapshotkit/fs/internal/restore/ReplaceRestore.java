package io.snapshotkit.fs.internal.restore;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.FileType;
import io.snapshotkit.fs.RestoreListener;
import io.snapshotkit.fs.RestoreStep;
import io.snapshotkit.fs.SnapshotArchive.Limits;
import io.snapshotkit.fs.internal.files.AtomicFiles;
import io.snapshotkit.fs.internal.files.Modes;
import io.snapshotkit.fs.internal.files.OrderedWork.Work;
import io.snapshotkit.fs.internal.files.OrderedWork;
import io.snapshotkit.fs.internal.files.RawNames;
import io.snapshotkit.fs.internal.files.SafeTree;
import io.snapshotkit.fs.internal.repo.Entry;
import io.snapshotkit.fs.internal.repo.FsRepository;
import io.snapshotkit.fs.internal.repo.TreeReader;
import io.snapshotkit.spi.ProgressTracker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The journaled replace restore. In order: pre-flight that touches nothing ({@link Preflight}: every
 * selected volume resolves to a real directory or to nothing, the content is present, the
 * restore fits the size limits and the free space); journal {@code STAGING}; extract every unit
 * (a whole volume, or one selected path) into a work directory beside its live volume directory,
 * so the later renames stay on one filesystem; journal {@code PREPARED}; per unit,
 * rename live aside and staged into place, then checkpoint the journal; journal {@code
 * COMMITTED}; remove the set-aside originals and the journal. A failure before {@code COMMITTED}
 * rolls every unit back to its original data, removes the work directories and rethrows; a
 * crash is repaired the same way by {@link Recovery#recoverAll()} at start-up.
 *
 * <p><b>Thread-safety:</b> thread-safe; the caller (the engine, through the workload lock) makes
 * sure one workload is restored by one thread at a time. {@link Recovery#recoverAll()} must run before
 * any restore starts.
 */
public final class ReplaceRestore {
  private static final Logger LOG = LoggerFactory.getLogger(ReplaceRestore.class);
  /** Marks the hidden work directory a replace restore keeps beside a live volume directory. */
  static final String WORK_MARK = ".sk-restore-";

  private final FsRepository repo;
  private final Preflight preflight;
  private final Recovery recovery;
  private final Durable durable;
  private final Executor executor;

  ReplaceRestore(FsRepository repo, Preflight preflight, Recovery recovery, Durable durable, Executor executor) {
    this.repo = repo;
    this.preflight = preflight;
    this.recovery = recovery;
    this.durable = durable;
    this.executor = executor;
  }

  /**
   * What a replace restore did.
   *
   * @param entries the number of entries restored
   * @param warnings what was not restored as recorded (owners, setuid and setgid bits), at most one line
   */
  public record Result(int entries, List<String> warnings) {
    /** Copies. */
    public Result {
      warnings = List.copyOf(warnings);
    }
  }

  /**
   * The journaled replace restore of {@code sel} into {@code targets} (volume name to directory;
   * the live volumes, or another place to restore into). A whole selected volume becomes exactly
   * the snapshot's; a selected path inside a volume becomes exactly the snapshot's (removed if
   * the snapshot lacks it) while the rest of the volume is left alone.
   *
   * <p>On return every unit holds the snapshot and the work directories are gone. On a throw
   * every unit holds its original data, the work directories are gone and the journal is
   * removed; only if that rollback itself fails does the journal stay, for {@link Recovery#recoverAll()}.
   *
   * @return the number of entries restored, and what was not restored as recorded
   * @throws SnapshotException as {@link Preflight#check}; CORRUPT if stored content fails its digest;
   *     INSUFFICIENT_STORAGE if a filesystem fills up; INTERNAL (cause kept) for another I/O
   *     failure; the volumes are on their original data
   */
  Result restore(WorkloadRef w, SnapshotId id, Map<String, Path> targets, Selection sel,
      RestoreListener listener, ProgressTracker progress) {
    List<String> warnings = new ArrayList<>();
    Preflight.Plan plan = preflight.plan(w, id, targets, sel);
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
      progress.phase("stage");
      entries = stage(w, id, journal, targets, sel, plan.caps(), warnings, progress);
      listener.reached(RestoreStep.STAGED, 0);
      phase = "preparing the swap";
      for (Journal.Unit u : units) {
        Optional<BasicFileAttributes> a = Preflight.attributes(u.live);
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
      progress.phase("swap");
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
      recovery.recover(journal);
    } catch (IOException e) {
      LOG.warn("snapshot {} is restored but removing the set-aside originals failed; start-up recovery "
          + "will retry", id, e);
    }
    LOG.info("restored snapshot {} of {} over {} unit(s) ({} entries)", id, w, units.size(), entries);
    return new Result(entries, warnings);
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
      recovery.recover(journal);
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
      Limits caps, List<String> warnings, ProgressTracker progress) throws IOException {
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
    try (TreeReader r = repo.entries(w, id);
        // each entry is counted as done once written, in order, on this thread
        OrderedWork<Entry> writes = new OrderedWork<>(executor, StoredEntries.WRITE_WINDOW,
            e -> progress.advance(1, e.type() == FileType.FILE ? e.size() : 0, e.key()))) {
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
        Optional<Work<String>> content = StoredEntries.write(repo, trees.get(e.volume()), mapped, e);
        if (content.isPresent()) {
          Work<String> write = content.get();
          writes.submit(() -> {
            write.run();
            return e;
          });
        } else {
          writes.done(e);
        }
        n++;
      }
      writes.finish();
    }
    for (SafeTree t : trees.values()) {
      t.finish();
    }
    for (Map.Entry<Path, Map<String, Object>> m : rootModes.entrySet()) {
      if (Modes.writesAsRoot()) {
        Files.setAttribute(m.getKey(), "unix:uid", m.getValue().get("uid"), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(m.getKey(), "unix:gid", m.getValue().get("gid"), LinkOption.NOFOLLOW_LINKS);
      }
      Files.setAttribute(m.getKey(), "unix:mode", (Integer) m.getValue().get("mode") & 07777);
    }
    StoredEntries.ownershipWarning(trees.values()).ifPresent(warnings::add);
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
      Optional<String> problem = Preflight.parentProblem(volumeRoot, parent);
      if (problem.isPresent()) {
        throw SnapshotException.invalid("cannot restore " + u.describe() + ": " + problem.get());
      }
      Path missing = Preflight.firstMissing(volumeRoot.getParent(), parent);
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
}
