package io.snapshotkit.fs.internal.capture;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Excludes;
import io.snapshotkit.Manifest;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.internal.repo.Entry;
import io.snapshotkit.fs.internal.repo.FsRepository;
import io.snapshotkit.fs.internal.repo.SnapshotWriter;
import io.snapshotkit.fs.internal.repo.Summary;
import io.snapshotkit.fs.internal.repo.VolumeStats;
import io.snapshotkit.fs.internal.repo.TreeReader;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.CaptureResult;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.spi.ProgressTracker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Capture of a workload's volumes into the repository: a {@link Scanner} walks each volume,
 * reading (and storing, through a repository snapshot writer's content session) only files whose
 * stat changed since the parent snapshot, and the writer commits its trees and root file. Also the live
 * scans that store nothing ({@link #describe}, and the live side of a diff).
 *
 * <p><b>Thread-safety:</b> safe for concurrent use on different workloads; the engine's workload
 * lock keeps one capture per workload.
 */
public final class Capture {
  private static final Logger LOG = LoggerFactory.getLogger(Capture.class);

  /**
   * How recent (before a capture starts, in filesystem time) a file's change may be for its stat
   * to be trusted by the next capture. Covers coarse kernel timestamp ticks and 2-second FAT times.
   */
  public static final long RACY_WINDOW_NANOS = 2_000_000_000L;

  private final FsRepository repo;
  private final Executor executor;
  private final Scanner.ReadHook readHook;
  private final LongSupplier racyCutoff;
  private final Clock clock;
  private final String hostId;

  /**
   * Captures into {@code repo}.
   *
   * @param executor reads, hashes and compresses files; null for the caller's thread
   * @param readHook a test seam run before each file read, or null
   * @param racyCutoff the filesystem time before which a file's stat is trusted, or null to probe
   *     the filesystem's clock before each capture
   * @param clock stamps the capture time
   * @param hostId this host's id, for messages
   */
  public Capture(FsRepository repo, Executor executor, Scanner.ReadHook readHook, LongSupplier racyCutoff,
      Clock clock, String hostId) {
    this.repo = repo;
    this.executor = executor;
    this.readHook = readHook;
    this.racyCutoff = racyCutoff;
    this.clock = clock;
    this.hostId = hostId;
  }

  /** The filesystem's own time now (a fresh file's mtime), less the racy window. */
  private long racyCutoff() {
    if (racyCutoff != null) {
      return racyCutoff.getAsLong();
    }
    Path tmp = repo.root().resolve("tmp");
    try {
      Path probe = Files.createTempFile(tmp, "clock-", ".probe");
      try {
        return Entry.nanos(Files.getLastModifiedTime(probe).toInstant()) - RACY_WINDOW_NANOS;
      } finally {
        Files.deleteIfExists(probe);
      }
    } catch (IOException e) {
      throw SnapshotException.wrap("reading the filesystem time in " + tmp, e);
    }
  }

  /**
   * Captures the volumes {@code vols} of the request's workload as a new snapshot, leaving out of
   * every volume what {@code excludes} match (the snapshot records the patterns); see {@code
   * HostAgent.capture} for the contract. Reports phases {@code count} (only when {@code progress}
   * is active and there is no parent snapshot to take the totals from), {@code scan} and
   * {@code commit}; the caller finishes {@code progress}.
   */
  public CaptureResult capture(CaptureRequest request, Map<String, Path> vols, Excludes excludes,
      ProgressTracker progress) {
    WorkloadRef w = request.workload();
    SnapshotId id = request.snapshotId();
    Optional<SnapshotId> parent = previous(w, request.parent(), Optional.of(id));
    if (progress.active()) {
      // Totals for a percentage, only when someone listens: the parent's entries and bytes when
      // there is a parent (free, and exact unless the tree changed since), else a stat walk of the
      // volumes (phase count), which would double the work of an incremental capture.
      Optional<Summary> base = parent.flatMap(p -> repo.summary(w, p));
      if (base.isPresent()) {
        progress.totals(base.get().entries(), base.get().fileBytes());
      } else {
        progress.phase("count");
        TreeCount total = TreeCount.of(vols.values(), excludes);
        progress.totals(total.entries(), total.bytes());
      }
    }
    progress.phase("scan");
    // begun before the parent's root is read, which lets the scan pin the parent's unchanged
    // content without index lookups (ContentSession.reuseReferenced)
    SnapshotWriter writer = repo.begin(w, id);
    try (writer; TreeReader previous = parent.flatMap(p -> openQuietly(w, p)).orElse(null)) {
      Scanner scanner = new Scanner(writer.session(), executor, readHook, request.fullRescan(),
          racyCutoff()).excluding(excludes).reportingTo(progress);
      writer.excludes(excludes.patterns());
      for (Map.Entry<String, Path> v : vols.entrySet()) {
        writer.volume(v.getKey());
        scanner.scan(v.getKey(), v.getValue(), previous, writer::add);
      }
      progress.phase("commit");
      Summary s = writer.commit(clock.instant(), scanner.partial());
      if (scanner.partial()) {
        LOG.warn("snapshot {} of {} on host {} is partial: {}", id, w, hostId, scanner.problems());
      }
      LOG.debug("captured snapshot {} of {} on host {}: {} entries, {} new bytes (parent {})", id, w, hostId,
          s.entries(), s.storedBytes(), parent.map(SnapshotId::value).orElse("none"));
      return new CaptureResult(s.toManifest(w), s.storedBytes());
    } catch (IOException | RuntimeException e) {
      Optional<String> full = SnapshotException.outOfSpace(e);
      if (full.isPresent()) {
        // the writer is closed by now: it removed what the capture stored, unless that failed too
        throw new SnapshotException(ErrorCode.INSUFFICIENT_STORAGE, "the repository " + repo.root() + " on host "
            + hostId + " ran out of space while capturing snapshot " + id + ": " + full.get() + "; "
            + (writer.abandonedContentRemoved() ? "the content it had stored was removed again"
                : "the content it had stored stays until the next gc")
            + "; free space (delete old snapshots, then run gc) and capture again", e)
            .withWorkload(w).withSnapshot(id);
      }
      if (e instanceof SnapshotException se) {
        throw se;
      }
      throw SnapshotException.wrap("capture of " + id + " on host " + hostId, e).withWorkload(w).withSnapshot(id);
    }
  }

  /** The snapshot to compare stats against: the given one if held, else the newest held. */
  private Optional<SnapshotId> previous(WorkloadRef w, Optional<SnapshotId> wanted, Optional<SnapshotId> exclude) {
    if (wanted.isPresent() && !wanted.equals(exclude) && repo.exists(w, wanted.get())) {
      return wanted;
    }
    List<SnapshotId> held = repo.snapshots(w);
    for (int i = held.size() - 1; i >= 0; i--) {
      if (exclude.isEmpty() || !held.get(i).equals(exclude.get())) {
        return Optional.of(held.get(i));
      }
    }
    return Optional.empty();
  }

  private Optional<TreeReader> openQuietly(WorkloadRef w, SnapshotId id) {
    try {
      return Optional.of(repo.entries(w, id));
    } catch (SnapshotException e) {
      LOG.debug("previous snapshot {} is gone; reading every file", id, e);
      return Optional.empty();
    }
  }

  /** The compact manifest the live volumes {@code vols} would capture as, storing nothing. */
  public Manifest describe(WorkloadRef workload, Map<String, Path> vols, Excludes excludes) {
    Map<String, VolumeStats> stats = new TreeMap<>();
    long[] count = {0};
    Optional<SnapshotId> newest = previous(workload, Optional.empty(), Optional.empty());
    boolean partial = scanLive(workload, vols, newest, excludes, e -> {
      stats.computeIfAbsent(e.volume(), n -> new VolumeStats()).add(e);
      count[0]++;
    });
    vols.keySet().forEach(v -> stats.computeIfAbsent(v, n -> new VolumeStats()));
    return new Summary(clock.instant(), partial, 0, count[0], stats, excludes.patterns())
        .toManifest(workload);
  }

  /**
   * Scans the live volumes without storing, reading only files whose stat changed since {@code
   * statBase}, leaving out what {@code excludes} match.
   *
   * @return whether the scan was partial
   */
  public boolean scanLive(WorkloadRef w, Map<String, Path> vols, Optional<SnapshotId> statBase, Excludes excludes,
      Consumer<Entry> sink) {
    try (TreeReader previous = statBase.flatMap(p -> openQuietly(w, p)).orElse(null)) {
      Scanner scanner = new Scanner(null, executor, readHook, false, Long.MAX_VALUE, repo.content().smallLimit())
          .excluding(excludes);
      for (Map.Entry<String, Path> v : vols.entrySet()) {
        scanner.scan(v.getKey(), v.getValue(), previous, sink);
      }
      return scanner.partial();
    } catch (IOException | UncheckedIOException e) {
      throw SnapshotException.wrap("scanning the volumes of " + w, e).withWorkload(w);
    }
  }
}
