package io.snapshotkit.fs.internal.repo;

import io.snapshotkit.ProgressEvent;
import io.snapshotkit.spi.ProgressTracker;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.fs.CheckReport;
import io.snapshotkit.fs.GcReport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Repository maintenance: the mark-and-sweep collection of content no snapshot refers to, and
 * the check of stored content against its digests. Both list every committed snapshot root file
 * with directory streams, so captures and deletes may run meanwhile, and walk its directory trees
 * ({@link Reachability}): what is marked live is every tree object and every content digest a
 * root references.
 *
 * <p><b>Thread-safety:</b> safe for concurrent use; collections run one at a time, under the
 * repository's collection lock (which a snapshot delete's reclaim also takes).
 */
final class Maintenance {
  private static final Logger LOG = LoggerFactory.getLogger(Maintenance.class);

  private final ContentStore content;
  private final Path snapshots;
  private final ReentrantLock gcLock;
  private final TreeReader.Source trees;
  private final AtomicInteger sampleSlice = new AtomicInteger();

  Maintenance(ContentStore content, Path snapshots, ReentrantLock gcLock, TreeReader.Source trees) {
    this.content = content;
    this.snapshots = snapshots;
    this.gcLock = gcLock;
    this.trees = trees;
  }

  /**
   * Mark and sweep: removes stored content no snapshot refers to. Safe to run while captures
   * and restores run: content a running capture relies on or stored is pinned, and content
   * stored after the collection began is never removed. Collections run one at a time.
   * Reports phases {@code mark} (one file per snapshot whose trees were walked, of the snapshots
   * listed) and {@code sweep}.
   */
  GcReport gc(ProgressTracker progress) {
    gcLock.lock();
    try {
      long start = content.generation();
      List<Path> roots = manifestFiles();
      progress.totals(roots.size(), ProgressEvent.UNKNOWN);
      progress.phase("mark");
      // a root file is identified by its file, not its name: a capture retried under the same id
      // replaces the file (a new inode) and must be marked again
      Set<Object> seen = new HashSet<>();
      Set<Digest> marked = new HashSet<>();
      Reachability reach = new Reachability(trees);
      for (Path m : roots) {
        Object identity = identity(m);
        if (identity != null && mark(reach, m, marked, null)) {
          seen.add(identity);
        }
        progress.advance(1, 0, snapshots.relativize(m).toString());
      }
      progress.phase("sweep");
      long[] snapshotsMarked = {seen.size()};
      long[] swept = content.sweep(start, marked, more -> {
        for (Path m : manifestFiles()) {
          Object identity = identity(m);
          if (identity != null && !seen.contains(identity) && mark(reach, m, more, null)) {
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

  /**
   * Removes {@code candidates} (content an abandoned capture added) unless a snapshot or a
   * running capture refers to it: the sweep of {@link #gc()} limited to those contents.
   */
  void reclaim(Set<Digest> candidates) {
    if (candidates.isEmpty()) {
      return;
    }
    gcLock.lock();
    try {
      long start = content.generation();
      Set<Digest> marked = new HashSet<>();
      Set<Object> seen = new HashSet<>();
      Reachability reach = new Reachability(trees);
      for (Path m : manifestFiles()) {
        Object identity = identity(m);
        if (identity != null && mark(reach, m, marked, candidates)) {
          seen.add(identity);
        }
      }
      long[] swept = content.sweep(start, marked, more -> {
        for (Path m : manifestFiles()) {
          Object identity = identity(m);
          if (identity != null && !seen.contains(identity) && mark(reach, m, more, candidates)) {
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

  /**
   * Marks the trees and content a root file references (a chunk list with its chunks), only those
   * in {@code only} (all when null); false if it was deleted since it was listed (its content may
   * go). A damaged root file or tree fails the collection (CORRUPT): what lies under it cannot be
   * told apart from garbage.
   */
  private boolean mark(Reachability reach, Path root, Set<Digest> marked, Set<Digest> only) {
    try {
      return reach.walk(root, d -> content.mark(d, marked, only));
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
   * Every committed root file, as {@code snapshots/<tenant>/<workload>/<id>.root}. Listed with
   * directory streams, which do not stat their entries, so root files being committed, replaced or
   * deleted meanwhile (captures and deletes run during GC and checks) never fail the listing.
   */
  private List<Path> manifestFiles() {
    List<Path> out = new ArrayList<>();
    for (Path tenant : children(snapshots, "*")) {
      for (Path workload : children(tenant, "*")) {
        for (Path m : children(workload, "*" + FsRepository.ROOT)) {
          if (!m.getFileName().toString().startsWith(FsRepository.TMP_PREFIX)) {
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
   * reference anything corrupt or missing. Reports phases {@code verify} (one file and its raw
   * size per content read back; no totals) and {@code snapshots} (their trees walked).
   */
  CheckReport check(boolean sample, ProgressTracker progress) {
    progress.phase("verify");
    Set<Digest> corrupt = new TreeSet<>();
    Set<Digest> lists = new HashSet<>();
    long[] checked = {0};
    int slice = Math.floorMod(sampleSlice.getAndIncrement(), 16);
    try {
      content.forEachContent((r, loc) -> {
        Digest d = r.digest();
        if (loc.list()) {
          lists.add(d);
        }
        if (sample && Math.floorMod(d.hashCode(), 16) != slice) {
          return;
        }
        checked[0]++;
        progress.advance(1, r.rawSize(), "");
        try {
          content.object(d);
        } catch (SnapshotException ex) {
          if (ex.code() != ErrorCode.CORRUPT) {
            throw ex;
          }
          corrupt.add(d);
        }
      });
    } catch (IOException e) {
      throw SnapshotException.wrap("checking the repository", e);
    }
    // a chunked content is damaged when its list or any of its chunks is
    Set<Digest> missing = new TreeSet<>();
    Set<Digest> badLists = new HashSet<>();
    for (Digest d : lists) {
      if (corrupt.contains(d)) {
        continue;
      }
      try {
        for (Digest c : content.list(d).chunks()) {
          if (corrupt.contains(c)) {
            badLists.add(d);
          } else if (content.location(c).isEmpty()) {
            missing.add(c);
            badLists.add(d);
          }
        }
      } catch (SnapshotException ex) {
        badLists.add(d);
      }
    }
    List<String> damaged = new ArrayList<>();
    progress.phase("snapshots");
    for (Path m : manifestFiles()) {
      boolean[] bad = {false};
      try {
        // each snapshot walks its trees afresh, so every snapshot sharing a damaged tree is named
        if (!new Reachability(trees).walk(m, d -> {
          if (corrupt.contains(d) || badLists.contains(d)) {
            bad[0] = true;
          } else if (content.location(d).isEmpty()) {
            missing.add(d);
            bad[0] = true;
          }
        })) {
          continue;
        }
      } catch (IOException | SnapshotException e) {
        bad[0] = true;
      }
      if (bad[0]) {
        Path rel = snapshots.relativize(m);
        String n = rel.toString();
        damaged.add(n.substring(0, n.length() - FsRepository.ROOT.length()));
      }
    }
    damaged.sort(null);
    return new CheckReport(checked[0], corrupt.stream().map(Digest::hex).toList(),
        missing.stream().map(Digest::hex).toList(), damaged);
  }
}
