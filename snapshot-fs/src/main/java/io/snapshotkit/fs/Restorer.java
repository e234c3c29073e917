package io.snapshotkit.fs;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.internal.SafeTree;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes snapshots back to directories: additive restore into live volumes, and the journaled
 * replace restore (staging beside each live directory, rename swap, rollback) with its recovery.
 * Thread-safe (stateless apart from the repository it uses).
 */
final class Restorer {
  private static final Logger LOG = LoggerFactory.getLogger(Restorer.class);
  private static final String JOURNAL = ".journal";

  private final FsRepository repo;
  private final long headroom;

  Restorer(FsRepository repo, long headroom) {
    this.repo = repo;
    this.headroom = headroom;
  }

  /** Which entries a restore covers: per volume, path prefixes (an empty list: the whole volume). */
  record Selection(Map<String, List<String>> volumes) {
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

    boolean whole(String volume) {
      List<String> p = volumes.get(volume);
      return p != null && p.isEmpty();
    }
  }

  // ---------------------------------------------------------------- preflight

  /** Checks content presence and free space, touching nothing. */
  void preflight(WorkloadRef w, SnapshotId id, Map<String, Path> targets, Selection sel,
      FsRepository.Summary summary) {
    try (ManifestFile.Reader r = repo.entries(w, id)) {
      while (r.hasNext()) {
        Entry e = r.next();
        if (e.digest() != null && sel.covers(e) && !repo.content().contains(e.digest())) {
          throw new SnapshotException(ErrorCode.CORRUPT, "snapshot " + id + " references content that is "
              + "missing from the repository; run the repository check and restore another snapshot")
              .withSnapshot(id).withWorkload(w);
        }
      }
    }
    Map<FileStore, Long> need = new HashMap<>();
    Map<FileStore, Path> where = new HashMap<>();
    try {
      for (Map.Entry<String, Path> t : targets.entrySet()) {
        FsRepository.VolumeStats stats = summary.volumes().get(t.getKey());
        long bytes = stats == null ? 0 : stats.bytes;
        Path probe = existingAncestor(t.getValue());
        FileStore store = Files.getFileStore(probe);
        need.merge(store, bytes, Long::sum);
        where.putIfAbsent(store, probe);
      }
      for (Map.Entry<FileStore, Long> n : need.entrySet()) {
        long free = n.getKey().getUsableSpace();
        if (free < n.getValue() + headroom) {
          throw new SnapshotException(ErrorCode.CONFLICT, "not enough disk space at " + where.get(n.getKey())
              + " to restore snapshot " + id + ": it needs about " + (n.getValue() + headroom)
              + " bytes and " + free + " are free; free some space and retry").withSnapshot(id).withWorkload(w);
        }
      }
    } catch (IOException e) {
      throw SnapshotException.wrap("checking free disk space", e);
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

  /** Creates what the volumes lack; returns {created, skipped} and collects per-entry errors. */
  int[] additive(WorkloadRef w, SnapshotId id, Map<String, Path> targets, Selection sel, List<String> errors) {
    int created = 0;
    int skipped = 0;
    Map<String, SafeTree> trees = new HashMap<>();
    try (ManifestFile.Reader r = repo.entries(w, id)) {
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
          tree = SafeTree.rootedAt(root, SafeTree.Limits.defaults(), SafeTree.Origin.STORED);
          trees.put(e.volume(), tree);
        }
        Path path = root.resolve(e.path());
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
          skipped++;
          continue;
        }
        try {
          write(tree, root, e);
          created++;
        } catch (SnapshotException ex) {
          if (e.type() == FileType.FILE) {
            deleteQuietly(path);
          }
          errors.add(e.key() + ": " + ex.getMessage());
        }
      }
    } finally {
      trees.values().forEach(SafeTree::finish);
    }
    return new int[] {created, skipped};
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      LOG.warn("could not remove {} after a failed write", p, e);
    }
  }

  /** Writes one entry under a tree; symlinks pointing outside it are written verbatim but never followed. */
  private void write(SafeTree tree, Path root, Entry e) {
    FileTime mtime = FileTime.from(Entry.instant(e.mtimeNanos()));
    switch (e.type()) {
      case DIRECTORY -> tree.directory(e.path(), e.mode(), mtime);
      case FILE -> {
        try (InputStream in = repo.content().open(e.digest())) {
          long n = tree.file(e.path(), in, e.size(), e.mode(), mtime);
          if (n != e.size()) {
            throw ContentStore.corrupt(e.digest(), null);
          }
        } catch (IOException ex) {
          throw SnapshotException.wrap("restoring " + e.path(), ex);
        }
      }
      case SYMLINK -> {
        if (SafeTree.symlinkTargetProblem(e.path(), e.linkTarget(), 4096).isEmpty()) {
          tree.symlink(e.path(), e.linkTarget(), mtime);
        } else {
          outsideLink(tree, root, e, mtime);
        }
      }
    }
  }

  /**
   * A symlink whose target leaves the volume (an absolute path, say) is the user's own data and
   * is restored as it was; every parent is checked to be a real directory so the link itself is
   * never created through another link, and nothing is ever written through it afterwards
   * (SafeTree refuses to).
   */
  private static void outsideLink(SafeTree tree, Path root, Entry e, FileTime mtime) {
    Path target = tree.resolve(e.path());
    Path rel = root.relativize(target);
    Path cur = root;
    try {
      for (int i = 0; i < rel.getNameCount() - 1; i++) {
        cur = cur.resolve(rel.getName(i));
        if (!Files.exists(cur, LinkOption.NOFOLLOW_LINKS)) {
          tree.directory(root.relativize(cur).toString(), 0755, FileTime.fromMillis(0));
        }
        BasicFileAttributes a = Files.readAttributes(cur, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!a.isDirectory() || a.isSymbolicLink()) {
          throw tree.unsafe("symlink '" + e.path() + "' would be created through '" + root.relativize(cur) + "'");
        }
      }
      Files.createSymbolicLink(target, Path.of(e.linkTarget()));
      Files.getFileAttributeView(target, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
          .setTimes(mtime, null, null);
    } catch (IOException ex) {
      throw SnapshotException.wrap("restoring symlink " + e.path(), ex);
    }
  }

  // ------------------------------------------------------------------ replace

  /**
   * The journaled replace restore. On return every selected volume holds the snapshot; on a
   * throw every volume holds its original data (and no staging or backup directory remains).
   */
  int replace(WorkloadRef w, SnapshotId id, Map<String, Path> targets, Selection sel, RestoreListener listener) {
    String token = UUID.randomUUID().toString().substring(0, 8);
    List<Journal.Volume> vols = new ArrayList<>();
    for (Map.Entry<String, Path> t : targets.entrySet()) {
      Path live = t.getValue();
      Path parent = live.getParent();
      String base = "." + live.getFileName() + ".sk-";
      vols.add(new Journal.Volume(t.getKey(), live, parent.resolve(base + "stage-" + token),
          parent.resolve(base + "old-" + token), parent.resolve(base + "drop-" + token), false, false));
    }
    Journal journal = new Journal(repo.journalDir().resolve("restore-" + token + JOURNAL), w.key(), id.value(),
        Journal.State.STAGING, vols);
    int entries;
    try {
      for (Journal.Volume v : vols) {
        Files.createDirectories(v.live.getParent());
      }
      journal.write();
      entries = stage(w, id, vols, sel);
      listener.reached(RestoreStep.STAGED, 0);
      for (Journal.Volume v : vols) {
        v.hadLive = Files.exists(v.live, LinkOption.NOFOLLOW_LINKS);
        if (v.hadLive && !Files.isDirectory(v.live, LinkOption.NOFOLLOW_LINKS)) {
          throw SnapshotException.invalid("volume '" + v.name + "' at " + v.live
              + " is not a real directory (a file or a symlink); fix the volume mapping");
        }
      }
      journal.state = Journal.State.PREPARED;
      journal.write();
      listener.reached(RestoreStep.JOURNALED, 0);
      int swapped = 0;
      for (Journal.Volume v : vols) {
        if (v.hadLive) {
          AtomicFiles.move(v.live, v.backup);
        }
        AtomicFiles.move(v.staging, v.live);
        v.swapped = true;
        journal.write();
        listener.reached(RestoreStep.VOLUME_SWAPPED, ++swapped);
      }
      journal.state = Journal.State.COMMITTED;
      journal.write();
    } catch (Throwable t) {
      try {
        recover(journal);
      } catch (IOException | RuntimeException r) {
        t.addSuppressed(r);
        LOG.error("rolling back restore {} failed; the journal {} stays for start-up recovery", token,
            journal.file, r);
        throw fail(t, w, id);
      }
      throw fail(t, w, id);
    }
    listener.reached(RestoreStep.COMMITTED, vols.size());
    try {
      recover(journal);
    } catch (IOException e) {
      LOG.warn("restore {} is complete but removing its backups failed; start-up recovery will retry", token, e);
    }
    return entries;
  }

  private static SnapshotException fail(Throwable t, WorkloadRef w, SnapshotId id) {
    if (t instanceof Error err) {
      throw err;
    }
    return SnapshotException.wrap("replace restore of " + id, t).withWorkload(w).withSnapshot(id);
  }

  private int stage(WorkloadRef w, SnapshotId id, List<Journal.Volume> vols, Selection sel) throws IOException {
    Map<String, SafeTree> trees = new HashMap<>();
    for (Journal.Volume v : vols) {
      Files.createDirectory(v.staging);
      if (Files.isDirectory(v.live, LinkOption.NOFOLLOW_LINKS)) {
        Files.setPosixFilePermissions(v.staging, Files.getPosixFilePermissions(v.live, LinkOption.NOFOLLOW_LINKS));
      }
      trees.put(v.name, SafeTree.rootedAt(v.staging, SafeTree.Limits.defaults(), SafeTree.Origin.STORED));
    }
    int n = 0;
    try (ManifestFile.Reader r = repo.entries(w, id)) {
      while (r.hasNext()) {
        Entry e = r.next();
        SafeTree tree = trees.get(e.volume());
        if (tree != null && sel.covers(e)) {
          write(tree, tree.root(), e);
          n++;
        }
      }
    }
    for (SafeTree t : trees.values()) {
      t.finish();
      AtomicFiles.fsyncDirectory(t.root());
    }
    return n;
  }

  // ----------------------------------------------------------------- recovery

  /** Replays every journal left in the repository; returns how many. */
  int recoverAll() {
    int n = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(repo.journalDir(), "*" + JOURNAL)) {
      for (Path f : files) {
        Journal j;
        try {
          j = Journal.read(f);
        } catch (IOException | RuntimeException e) {
          throw new SnapshotException(ErrorCode.CORRUPT, "the restore journal " + f + " is unreadable, so an "
              + "interrupted restore cannot be replayed; inspect the volumes it names and remove it by hand", e);
        }
        LOG.warn("replaying interrupted restore of snapshot {} for {} (state {})", j.snapshot, j.workload, j.state);
        recover(j);
        n++;
      }
    } catch (NoSuchFileException e) {
      return 0;
    } catch (IOException e) {
      throw SnapshotException.wrap("restore recovery", e);
    }
    return n;
  }

  /**
   * Brings every volume of a journal to a consistent end: COMMITTED rolls forward (restored data
   * stays, backups go); anything earlier rolls back (original data returns). Idempotent, so a
   * crash during recovery is repaired by running it again. Deletes the journal last.
   */
  static void recover(Journal j) throws IOException {
    for (Journal.Volume v : j.volumes) {
      switch (j.state) {
        case STAGING -> AtomicFiles.deleteTree(v.staging);
        case PREPARED -> rollBack(v);
        case COMMITTED -> {
          AtomicFiles.deleteTree(v.backup);
          AtomicFiles.deleteTree(v.drop);
          AtomicFiles.deleteTree(v.staging);
        }
      }
    }
    Files.deleteIfExists(j.file);
    AtomicFiles.fsyncDirectory(j.file.getParent());
  }

  private static void rollBack(Journal.Volume v) throws IOException {
    boolean live = AtomicFiles.exists(v.live);
    boolean backup = AtomicFiles.exists(v.backup);
    if (AtomicFiles.exists(v.drop)) {
      // interrupted while rolling back: the restored tree was set aside already
      if (!live && backup) {
        AtomicFiles.move(v.backup, v.live);
      }
      AtomicFiles.deleteTree(v.drop);
    } else if (!AtomicFiles.exists(v.staging)) {
      // staging was renamed to live: live holds the restored tree
      if (v.hadLive && !backup) {
        LOG.error("volume '{}': staging {} and backup {} are both gone; leaving {} as it is", v.name, v.staging,
            v.backup, v.live);
      } else {
        if (live) {
          AtomicFiles.move(v.live, v.drop);
        }
        if (v.hadLive) {
          AtomicFiles.move(v.backup, v.live);
        }
        AtomicFiles.deleteTree(v.drop);
      }
    } else if (!live && backup) {
      // set aside, but staging not yet renamed: put the original back
      AtomicFiles.move(v.backup, v.live);
    }
    AtomicFiles.deleteTree(v.staging);
  }

  static Optional<Path> volumeParentProblem(Path live) {
    Path parent = live.getParent();
    return parent == null ? Optional.of(live) : Optional.empty();
  }
}
