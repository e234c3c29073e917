package io.snapshotkit.fs.internal.restore;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.fs.internal.files.AtomicFiles;
import io.snapshotkit.fs.internal.repo.FsRepository;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Crash recovery of the replace restore: replays the journals an interrupted restore left (a
 * {@code COMMITTED} journal rolls forward, any earlier state rolls every unit back to its original
 * data), removes the work directories and, last, the journal. The replace restore calls the same
 * {@link #recover(Journal)} to roll back a failure or to clean up after success, so a crash and a
 * failure end the same way.
 *
 * <p><b>Thread-safety:</b> {@link #recoverAll()} must run before any restore starts; {@link
 * #recover(Journal)} is confined to the restore that owns the journal.
 */
final class Recovery {
  private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

  private final FsRepository repo;
  private final Durable durable;

  Recovery(FsRepository repo, Durable durable) {
    this.repo = repo;
    this.durable = durable;
  }

  /**
   * Replays every journal left in the repository by an interrupted restore (see {@link Journal}
   * for what each state means) and removes half-written journal temp files. Run it at start-up,
   * before any restore.
   *
   * @return what was done, one sentence per replayed journal ({@link Journal#recoveryOutcome()})
   * @throws SnapshotException CORRUPT if a journal is unreadable (it is left for a person to
   *     inspect); INTERNAL if a volume cannot be put back (its journal stays for the next run)
   */
  List<String> recoverAll() {
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
