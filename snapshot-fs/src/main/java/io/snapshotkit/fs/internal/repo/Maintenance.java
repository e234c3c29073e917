package io.snapshotkit.fs.internal.repo;

import io.snapshotkit.ProgressEvent;
import io.snapshotkit.spi.ProgressTracker;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.fs.CheckReport;
import io.snapshotkit.fs.GcReport;
import io.snapshotkit.fs.store.ObjectStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Repository maintenance: the mark-and-sweep collection of content no snapshot refers to, and
 * the check of stored content against its digests. Both list every committed snapshot root file
 * in the object store, while captures and deletes may run, and walk its directory trees
 * ({@link Reachability}): what is marked live is every tree object and every content digest a
 * root references.
 *
 * <p><b>Thread-safety:</b> safe for concurrent use; collections run one at a time, under the
 * repository's collection lock (which a snapshot delete's reclaim also takes). On a store other
 * agents share, a collection deletes only under an exclusive lease ({@link SharedLeases}): while
 * another agent captures or collects, gc reports nothing removed and a later gc collects.
 */
final class Maintenance {
  private static final Logger LOG = LoggerFactory.getLogger(Maintenance.class);

  private final ContentStore content;
  private final ObjectStore objects;
  private final ReentrantLock gcLock;
  private final TreeReader.Source trees;
  /** Null unless other agents share the store. */
  private final SharedLeases leases;
  private final AtomicInteger sampleSlice = new AtomicInteger();

  Maintenance(ContentStore content, ObjectStore objects, ReentrantLock gcLock, TreeReader.Source trees,
      SharedLeases leases) {
    this.content = content;
    this.objects = objects;
    this.gcLock = gcLock;
    this.trees = trees;
    this.leases = leases;
  }

  /**
   * On a shared store, the right to delete (see {@link SharedLeases}); on a store of its own,
   * always granted (the process lock and the pins suffice).
   *
   * @return empty if another agent's capture or collection runs: delete nothing now
   */
  private Optional<AutoCloseable> deleteRight() throws IOException {
    if (leases == null) {
      return Optional.of(() -> { });
    }
    Optional<AutoCloseable> lease = leases.exclusive().map(l -> (AutoCloseable) l);
    if (lease.isPresent()) {
      content.refresh();
    }
    return lease;
  }

  private static void release(AutoCloseable right) {
    try {
      right.close();
    } catch (Exception e) {
      LOG.warn("releasing the gc lease", e);
    }
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
    Optional<AutoCloseable> right = Optional.empty();
    try {
      right = deleteRight();
      if (right.isEmpty()) {
        return new GcReport(0, 0, 0);
      }
      long start = content.generation();
      List<String> roots = manifestFiles();
      progress.totals(roots.size(), ProgressEvent.UNKNOWN);
      progress.phase("mark");
      // a root file is identified by its file, not its name: a capture retried under the same id
      // replaces the file (a new inode) and must be marked again
      Set<Object> seen = new HashSet<>();
      Set<Digest> marked = new HashSet<>();
      Reachability reach = new Reachability(trees);
      for (String m : roots) {
        Optional<Root> r = root(m);
        if (r.isPresent() && seen.add(r.get().identity())) {
          mark(reach, r.get().file(), marked, null);
        }
        progress.advance(1, 0, m);
      }
      progress.phase("sweep");
      long[] snapshotsMarked = {seen.size()};
      long[] swept = content.sweep(start, marked, more -> {
        for (String m : manifestFiles()) {
          Optional<Root> r = root(m);
          if (r.isPresent() && seen.add(r.get().identity())) {
            mark(reach, r.get().file(), more, null);
            snapshotsMarked[0]++;
          }
        }
      });
      long orphans = content.removeUnindexedPacks();
      discardAbandonedUploads();
      GcReport report = new GcReport(snapshotsMarked[0], swept[1], swept[0] + orphans);
      LOG.info("repository gc: kept content of {} snapshots, removed {} contents, reclaimed {} bytes",
          report.snapshots(), report.contentsRemoved(), report.bytesReclaimed());
      return report;
    } catch (IOException e) {
      throw SnapshotException.wrap("repository gc", e);
    } catch (UncheckedIOException e) {
      throw SnapshotException.wrap("repository gc", e.getCause());
    } finally {
      right.ifPresent(Maintenance::release);
      gcLock.unlock();
    }
  }

  /**
   * On a shared store, under the exclusive lease: removes uploads that dead writers left
   * unfinished (S3 multipart uploads of a killed process). A store that cannot list them (a server
   * without the call) logs why and leaves them to the bucket's lifecycle rules.
   */
  private void discardAbandonedUploads() throws IOException {
    if (leases == null) {
      return;
    }
    int discarded = objects.discardAbandonedUploads(leases.abandonedBefore());
    if (discarded > 0) {
      LOG.info("repository gc: removed {} uploads that writers which died left unfinished", discarded);
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
    Optional<AutoCloseable> right = Optional.empty();
    try {
      right = deleteRight();
      if (right.isEmpty()) {
        throw new IllegalStateException("another agent works on the shared repository; the next gc removes the content");
      }
      long start = content.generation();
      Set<Digest> marked = new HashSet<>();
      Set<Object> seen = new HashSet<>();
      Reachability reach = new Reachability(trees);
      for (String m : manifestFiles()) {
        Optional<Root> r = root(m);
        if (r.isPresent() && seen.add(r.get().identity())) {
          mark(reach, r.get().file(), marked, candidates);
        }
      }
      long[] swept = content.sweep(start, marked, more -> {
        for (String m : manifestFiles()) {
          Optional<Root> r = root(m);
          if (r.isPresent() && seen.add(r.get().identity())) {
            mark(reach, r.get().file(), more, candidates);
          }
        }
      }, candidates);
      LOG.info("removed {} contents ({} bytes) an abandoned capture had stored", swept[1], swept[0]);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      right.ifPresent(Maintenance::release);
      gcLock.unlock();
    }
  }

  /** A root file as read once: its name, its bytes' identity and its parsed content. */
  private record Root(String identity, RootFile file) {}

  /**
   * Reads a listed root file. Its identity is its name and the digest of its bytes: a capture
   * retried under the same id replaces the object and must be marked again.
   *
   * @return empty if it was deleted since it was listed (its content may go)
   * @throws SnapshotException CORRUPT if it is damaged: what lies under it cannot be told apart
   *     from garbage, so the collection fails
   */
  private Optional<Root> root(String name) {
    byte[] bytes;
    try {
      bytes = objects.get(name);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Optional.of(new Root(name + "@" + Digest.hash(bytes, 0, bytes.length).hex(), RootFile.read(name, bytes)));
  }

  /**
   * Marks the trees and content a root file references (a chunk list with its chunks), only those
   * in {@code only} (all when null). A damaged tree fails the collection (CORRUPT).
   */
  private void mark(Reachability reach, RootFile root, Set<Digest> marked, Set<Digest> only) {
    reach.walk(root, d -> content.mark(d, marked, only));
  }

  /**
   * Every committed root file, as the object names {@code snapshots/<tenant>/<workload>/<id>.root}.
   * Root files committed or deleted meanwhile (captures and deletes run during gc and checks) never
   * fail the listing.
   */
  private List<String> manifestFiles() {
    try {
      return FsRepository.listRoots(objects, FsRepository.SNAPSHOTS);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
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
      content.refresh();
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
    // a chunked content is damaged when its list or any of its chunks is. Its missing chunks are
    // reported only if a snapshot refers to the list: a list nothing refers to is garbage, which a
    // gc killed between deleting its chunks' pack and rewriting its own leaves, and the next gc removes
    Set<Digest> missing = new TreeSet<>();
    Set<Digest> badLists = new HashSet<>();
    Map<Digest, List<Digest>> missingChunks = new HashMap<>();
    for (Digest d : lists) {
      if (corrupt.contains(d)) {
        continue;
      }
      try {
        for (Digest c : content.list(d).chunks()) {
          if (corrupt.contains(c)) {
            badLists.add(d);
          } else if (content.location(c).isEmpty()) {
            missingChunks.computeIfAbsent(d, k -> new ArrayList<>()).add(c);
            badLists.add(d);
          }
        }
      } catch (SnapshotException ex) {
        badLists.add(d);
      }
    }
    List<String> damaged = new ArrayList<>();
    progress.phase("snapshots");
    for (String m : manifestFiles()) {
      boolean[] bad = {false};
      try {
        Optional<Root> r = root(m);
        if (r.isEmpty()) {
          continue;
        }
        // each snapshot walks its trees afresh, so every snapshot sharing a damaged tree is named
        new Reachability(trees).walk(r.get().file(), d -> {
          if (corrupt.contains(d) || badLists.contains(d)) {
            missing.addAll(missingChunks.getOrDefault(d, List.of()));
            bad[0] = true;
          } else if (content.location(d).isEmpty()) {
            missing.add(d);
            bad[0] = true;
          }
        });
      } catch (UncheckedIOException | SnapshotException e) {
        bad[0] = true;
      }
      if (bad[0]) {
        String n = m.substring(FsRepository.SNAPSHOTS.length());
        damaged.add(n.substring(0, n.length() - FsRepository.ROOT.length()));
      }
    }
    damaged.sort(null);
    return new CheckReport(checked[0], corrupt.stream().map(Digest::hex).toList(),
        missing.stream().map(Digest::hex).toList(), damaged);
  }
}
