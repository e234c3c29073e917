package io.snapshotkit.fs.internal.restore;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.FileType;
import io.snapshotkit.fs.SnapshotArchive.Limits;
import io.snapshotkit.fs.internal.files.AtomicFiles;
import io.snapshotkit.fs.internal.files.RawNames;
import io.snapshotkit.fs.internal.repo.Entry;
import io.snapshotkit.fs.internal.repo.FsRepository;
import io.snapshotkit.fs.internal.repo.Summary;
import io.snapshotkit.fs.internal.repo.TreeReader;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The pre-flight of a restore: checks, touching nothing, that a restore of a selection into a set
 * of target directories can run (targets are real directories or absent and do not nest, the
 * content is present, the restore fits the size limits and each filesystem has room), and learns
 * what the replace restore needs to know (which selected paths the snapshot has, how much it
 * writes).
 *
 * <p><b>Thread-safety:</b> immutable; safe for concurrent use.
 */
final class Preflight {
  /** The allocation unit a restore's size estimate rounds each entry up to. */
  private static final long BLOCK = 4096;

  private final FsRepository repo;
  private final long headroom;
  private final Limits limits;

  /**
   * @param headroom bytes each filesystem must keep free beyond what the restore writes
   * @param limits the largest restore allowed (entries, content bytes)
   */
  Preflight(FsRepository repo, long headroom, Limits limits) {
    this.repo = repo;
    this.headroom = headroom;
    this.limits = limits;
  }

  /** What pre-flight learned: which selected paths the snapshot has. */
  record Plan(Set<String> present, long entries, long bytes) {
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
  void check(WorkloadRef w, SnapshotId id, Map<String, Path> targets, Selection sel) {
    plan(w, id, targets, sel);
  }

  /**
   * As {@link #check(WorkloadRef, SnapshotId, Map, Selection)}, with the snapshot's summary already
   * read; answers what the restore will write (its entries and bytes, a restore's progress totals).
   */
  Plan check(WorkloadRef w, SnapshotId id, Map<String, Path> targets, Selection sel,
      Summary summary) {
    return plan(w, id, targets, sel, summary);
  }

  Plan plan(WorkloadRef w, SnapshotId id, Map<String, Path> targets, Selection sel) {
    Summary summary = repo.summary(w, id).orElseThrow(() -> SnapshotException.notFound("snapshot "
        + id + " of " + w + " is not on this host; list the workload's snapshots to find one that is")
        .withSnapshot(id).withWorkload(w));
    return plan(w, id, targets, sel, summary);
  }

  Plan plan(WorkloadRef w, SnapshotId id, Map<String, Path> targets, Selection sel,
      Summary summary) {
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
    try (TreeReader r = repo.entries(w, id)) {
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
  static Optional<String> parentProblem(Path live, Path parent) {
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
  static Path firstMissing(Path live, Path dir) {
    Path cur = dir;
    Path missing = null;
    while (cur != null && cur.startsWith(live) && !AtomicFiles.exists(cur)) {
      missing = cur;
      cur = cur.getParent();
    }
    return missing;
  }

  static Optional<BasicFileAttributes> attributes(Path p) {
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
}
