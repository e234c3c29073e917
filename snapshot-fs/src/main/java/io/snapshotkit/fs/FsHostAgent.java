package io.snapshotkit.fs;

import io.snapshotkit.Change;
import io.snapshotkit.DiffResult;
import io.snapshotkit.Excludes;
import io.snapshotkit.Manifest;
import io.snapshotkit.ProgressEvent.Operation;
import io.snapshotkit.ProgressListener;
import io.snapshotkit.RestoreMode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotFile;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.internal.archive.DirectoryTar;
import io.snapshotkit.fs.internal.archive.RepositoryArchive;
import io.snapshotkit.fs.internal.capture.Capture;
import io.snapshotkit.fs.internal.capture.Scanner;
import io.snapshotkit.fs.internal.fork.Fork;
import io.snapshotkit.fs.internal.repo.FsRepository;
import io.snapshotkit.fs.internal.repo.SnapshotBrowser;
import io.snapshotkit.fs.internal.repo.SnapshotVerifier;
import io.snapshotkit.fs.internal.repo.Volumes;
import io.snapshotkit.fs.internal.restore.RestorePlanner;
import io.snapshotkit.fs.internal.restore.Restorer;
import io.snapshotkit.fs.store.ObjectStore;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.CaptureResult;
import io.snapshotkit.spi.DeleteOutcome;
import io.snapshotkit.spi.ForkRequest;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.spi.HostBrowse;
import io.snapshotkit.spi.HostDiff;
import io.snapshotkit.spi.HostFork;
import io.snapshotkit.spi.HostVerify;
import io.snapshotkit.spi.ProgressTracker;
import io.snapshotkit.spi.RestoreOutcome;
import io.snapshotkit.spi.RestoreRequest;
import io.snapshotkit.spi.VerifyOutcome;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * A {@link HostAgent} for workloads made of named volumes (directories on this host), backed by
 * a content-addressed repository directory.
 *
 * <pre>{@code
 * try (FsHostAgent agent = FsHostAgent.builder()
 *     .repository(Path.of("/var/lib/snapshots"))
 *     .build()) {
 *   agent.track(workload, Map.of("data", Path.of("/srv/app/data")));
 *   CaptureResult r = agent.capture(new CaptureRequest(workload, id, Optional.empty(), Optional.empty(), false));
 * }
 * }</pre>
 *
 * <p><b>Manifests.</b> A snapshot's {@link Manifest} is compact: family {@value #FAMILY}, one
 * resource per volume (key = volume name, document = {@code files, dirs, symlinks, bytes,
 * treeDigest}); the per-file detail lives in the repository. {@link #diff(WorkloadRef, SnapshotId,
 * Optional)} reaches every file (family {@value #FILES_FAMILY}, key {@code volume:path}), and
 * {@link #diff(WorkloadRef, SnapshotId, Optional, Consumer)} streams file changes in bounded memory.
 *
 * <p><b>Capture</b> is incremental: a regular file whose size, mtime, inode and ctime equal its
 * entry in the previous snapshot (the request's parent, else the workload's newest snapshot here)
 * is not read again; {@link CaptureRequest#fullRescan()} reads everything. A file changed less
 * than two seconds (filesystem time) before a capture is read again by the next one, since a
 * same-size rewrite within one timestamp tick would leave its stat unchanged. A file that keeps
 * changing while it is read is recorded and the snapshot is marked partial, never silently torn.
 *
 * <p><b>Restore.</b> {@link RestoreMode#ADDITIVE} creates what the volumes lack;
 * {@link RestoreMode#REPLACE} is journaled and all-or-nothing (staging beside each live
 * directory, rename swap, rollback; {@link #recover()} replays journals left by a crash and runs
 * when the agent is built). {@link RestoreRequest#target()} names a directory to restore into
 * instead (each volume into {@code target/<volume>}, refused CONFLICT when that is, contains or is
 * inside another tracked workload's volume); {@link RestoreRequest#paths()} selects
 * {@code volume} or {@code volume:path} prefixes; a REPLACE of a selected path makes exactly that
 * path the snapshot's (removing it if the snapshot lacks it) and leaves the rest of the volume alone.
 *
 * <p><b>Excludes.</b> Gitignore-style patterns tracked with the volumes ({@link #track(WorkloadRef,
 * Map, Excludes)}) or given to one capture ({@link CaptureRequest#excludes()}) leave what they
 * match out of the snapshot, which records them; a replace restore of it leaves those paths on disk
 * exactly as they are, and diffs do not report them (see the module README, "Excludes").
 *
 * <p><b>Thread-safety:</b> thread-safe. Different workloads may be captured and restored at once;
 * one workload is worked on by one operation at a time (the engine's workload lock).
 * {@link #gc()} may run during captures. One agent per repository directory: the directory is
 * locked while the agent is open; {@link #close()} releases it. Agents on several hosts may share
 * one {@link Builder#objectStore object store}, each with its own directory. Given an executor ({@link
 * Builder#executor}), a capture reads, hashes and compresses, and a restore decompresses, verifies
 * and writes, several files at once on it; the calling thread takes part and handles any file the
 * executor has not started, so an executor shared with the caller cannot deadlock.
 *
 * <p><b>Progress.</b> Capture, restore, export, import, gc and check each have an overload taking
 * a {@link ProgressListener}; the one without reports nothing and does no extra work. Phases:
 * capture {@code count} (a stat walk of the volumes for the totals, only when someone listens and
 * there is no parent snapshot whose entries and bytes serve instead),
 * {@code scan}, {@code commit}; restore {@code plan}, then {@code write} (additive) or
 * {@code stage} and {@code swap} (replace), with the selection's entries and bytes as totals;
 * export {@code write}; import {@code unpack}, {@code store}; gc {@code mark}, {@code sweep};
 * check {@code verify}, {@code snapshots}. Paths are {@code volume:path}. A listener that throws
 * never fails the operation.
 */
public final class FsHostAgent implements HostAgent, HostDiff, HostVerify, HostBrowse, HostFork, AutoCloseable {

  /** The manifest family holding one resource per volume. */
  public static final String FAMILY = FsRepository.FAMILY;
  /** The diff family holding one resource per file, keyed {@code volume:path}. */
  public static final String FILES_FAMILY = "files";

  private final String hostId;
  private final FsRepository repo;
  private final WorkloadVolumes volumes;
  private final HeldSnapshots held;
  private final RepositoryArchive archive;
  private final Capture capture;
  private final Restores restores;
  private final Diffs diffs;
  private final SnapshotBrowser browser;
  private final Fork fork;
  /** What start-up recovery did when this agent was built. */
  private List<String> recoveredAtStart = List.of();

  /** Assembles the agent's operations over the opened repository; called by {@link AgentBuilderState#build()}. */
  FsHostAgent(AgentBuilderState b, FsRepository repo) {
    this.hostId = b.hostId;
    this.repo = repo;
    Volumes tracked = new Volumes(repo.workloadsDir(), repo.root());
    this.volumes = new WorkloadVolumes(tracked, Optional.ofNullable(b.resolver), b.hostId);
    this.held = new HeldSnapshots(repo, b.hostId);
    Restorer restorer = Restorer.on(repo).headroom(b.headroom).executor(b.executor);
    this.archive = new RepositoryArchive(repo, b.executor, b.clock, b.hostId);
    this.capture = new Capture(repo, b.executor, b.readHook, b.racyCutoff, b.clock, b.hostId);
    RestorePlanner planner = new RestorePlanner(repo, restorer, b.hostId);
    this.restores = new Restores(repo, restorer, planner, b.listener, volumes, held, b.hostId);
    this.diffs = new Diffs(repo, capture, volumes, held);
    this.browser = new SnapshotBrowser(repo);
    this.fork = new Fork(repo, tracked, planner, restorer, b.listener, b.hostId);
  }

  /** Replays the restores a crash interrupted, once, as the agent is built; what it did is {@link #startupRecovery()}. */
  List<String> replayInterruptedRestores() {
    recoveredAtStart = List.copyOf(restores.recover());
    return recoveredAtStart;
  }

  /** A builder; {@link Builder#repository} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * An agent on the repository at {@code repository} with every other setting at its default:
   * tracked volumes only, host id {@code local}, zstd level 2, reads on the calling thread, the
   * system UTC clock.
   */
  public static FsHostAgent rootedAt(Path repository) {
    return builder().repository(repository).build();
  }

  /** This agent's host id, as given to the builder. */
  public String hostId() {
    return hostId;
  }

  /** The repository, for the tests of this package: not API (its type is internal). */
  FsRepository repository() {
    return repo;
  }

  // ------------------------------------------------------------------ volumes

  /**
   * Maps a workload to its volumes (name → absolute directory) and persists the map in the
   * repository, replacing any earlier one. A {@link VolumeResolver}'s answer takes precedence.
   *
   * @throws SnapshotException INVALID_ARGUMENT for a bad name, a relative path or overlapping
   *     volumes (all problems at once); CONFLICT if a directory is, contains or is inside (after
   *     resolving links) a volume another tracked workload holds, naming both workloads and both
   *     directories; untrack that workload first or choose another directory
   */
  public void track(WorkloadRef workload, Map<String, Path> volumeMap) {
    track(workload, volumeMap, Excludes.none());
  }

  /**
   * Tracks the workload's volumes as {@link #track(WorkloadRef, Map)} does, with exclude patterns
   * stored beside them (replacing any earlier ones): every capture of the workload leaves out what
   * they match, in each volume, and a replace restore leaves those paths on disk as they are.
   *
   * @throws SnapshotException as {@link #track(WorkloadRef, Map)}
   */
  public void track(WorkloadRef workload, Map<String, Path> volumeMap, Excludes excludes) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(excludes, "excludes");
    volumes.track(workload, volumeMap, excludes);
  }

  /**
   * The workload's exclude patterns: the resolver's when it maps the workload, else those tracked
   * with its volumes; none if neither knows it.
   */
  public Excludes excludes(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    return volumes.excludes(workload);
  }

  /**
   * Runs {@link #track}'s checks without tracking anything: for a tool that is about to fill
   * directories which will become {@code workload}'s volumes (an import) and must not write into
   * another workload's volumes first.
   *
   * @throws SnapshotException as {@link #track} would
   */
  public void checkTrackable(WorkloadRef workload, Map<String, Path> volumeMap) {
    Objects.requireNonNull(workload, "workload");
    volumes.checkTrackable(workload, volumeMap);
  }

  /**
   * Forgets a tracked workload's volume map; its snapshots stay.
   *
   * @return whether a map was tracked
   */
  public boolean untrack(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    return volumes.untrack(workload);
  }

  /**
   * The workload's volumes: the resolver's answer if it has one, else the tracked map.
   *
   * @return empty if this host does not know the workload
   */
  public Optional<Map<String, Path>> volumes(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    return volumes.volumes(workload);
  }

  // ------------------------------------------------------------------ capture

  @Override
  public CaptureResult capture(CaptureRequest request) {
    return capture(request, ProgressListener.NONE);
  }

  /**
   * {@inheritDoc} Leaves out what the workload's own patterns ({@link #excludes(WorkloadRef)}) and
   * then the request's ({@link CaptureRequest#excludes()}) match; the snapshot records both (its
   * manifest's volume documents list them under {@code excludes}). Phases {@code count} (only when
   * someone listens and there is no parent snapshot to take the totals from), {@code scan},
   * {@code commit}.
   */
  @Override
  public CaptureResult capture(CaptureRequest request, ProgressListener progress) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(progress, "progress");
    Map<String, Path> vols = volumes.require(request.workload());
    ProgressTracker tracker = ProgressTracker.start(Operation.CAPTURE, progress);
    CaptureResult result = capture.capture(request, vols, excludes(request.workload()).and(request.excludes()), tracker);
    tracker.finish();
    return result;
  }

  @Override
  public Manifest describe(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    return capture.describe(workload, volumes.require(workload), volumes.excludes(workload));
  }

  // ------------------------------------------------------------------ restore

  @Override
  public void preflight(RestoreRequest request) {
    restores.plan(request);
  }

  @Override
  public RestoreOutcome restore(RestoreRequest request) {
    return restore(request, ProgressListener.NONE);
  }

  /**
   * {@inheritDoc} Phases {@code plan}, then {@code write} (additive) or {@code stage} and
   * {@code swap} (replace); the totals are the selection's entries and file bytes.
   */
  @Override
  public RestoreOutcome restore(RestoreRequest request, ProgressListener progress) {
    Objects.requireNonNull(progress, "progress");
    return restores.restore(request, ProgressTracker.start(Operation.RESTORE, progress));
  }

  /**
   * Replays every restore journal left in the repository by a crash: each volume ends fully
   * original or fully restored, and staging debris is removed. Runs when the agent is built;
   * safe to call again (idempotent).
   *
   * @return how many interrupted restores were replayed
   */
  public int recover() {
    return restores.recover().size();
  }

  /**
   * What start-up recovery did when this agent was built, one sentence per interrupted replace
   * restore it replayed (naming the snapshot, the workload, its volumes and whether they were rolled
   * back to their original data or finished), so a caller can tell its user; empty if none was
   * interrupted.
   */
  public List<String> startupRecovery() {
    return recoveredAtStart;
  }

  // ------------------------------------------------------------------ fork

  /**
   * Makes the source snapshot the child workload's snapshot {@code request.childSnapshot()} by
   * writing one root file that names the source's directory trees: no content is copied, so a fork
   * adds a few hundred bytes to the repository. With {@link ForkRequest#target()} (an absolute
   * directory, absent or empty) the child is tracked at {@code target/<volume>} and its data
   * written there by the journaled replace restore. A retry into the same target after a crash
   * resumes.
   *
   * @throws SnapshotException NOT_FOUND if the repository does not hold the source snapshot;
   *     CONFLICT if the child already has volumes here (elsewhere than the target), the target is
   *     not empty or overlaps another workload's volumes; INVALID_ARGUMENT for a relative target
   */
  @Override
  public CaptureResult fork(ForkRequest request) {
    return fork(request, ProgressListener.NONE);
  }

  /** {@inheritDoc} Phases {@code root}, and with a target {@code plan}, {@code stage}, {@code swap}. */
  @Override
  public CaptureResult fork(ForkRequest request, ProgressListener progress) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(progress, "progress");
    ProgressTracker tracker = ProgressTracker.start(Operation.FORK, progress);
    CaptureResult result = fork.fork(request, volumes::volumes, tracker);
    tracker.finish();
    return result;
  }

  // ------------------------------------------------------------------ delete, size

  @Override
  public DeleteOutcome delete(WorkloadRef workload, SnapshotId snapshot) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(snapshot, "snapshot");
    return repo.delete(workload, snapshot) ? DeleteOutcome.DELETED : DeleteOutcome.NOT_FOUND;
  }

  @Override
  public OptionalLong sizeOf(WorkloadRef workload, SnapshotId snapshot) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(snapshot, "snapshot");
    return repo.summary(workload, snapshot).map(s -> OptionalLong.of(s.storedBytes())).orElse(OptionalLong.empty());
  }

  /**
   * Reads {@code sample} of the snapshot's stored contents back (all of them at {@code 1}) and checks
   * each against its digest; only this snapshot's contents, streamed, so it costs what the snapshot
   * holds. A content missing from the repository or failing its digest makes it DAMAGED, naming the
   * volume and path; a snapshot this host does not hold is MISSING.
   */
  @Override
  public VerifyOutcome verify(WorkloadRef workload, SnapshotId snapshot, double sample) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(snapshot, "snapshot");
    if (!(sample > 0 && sample <= 1)) {
      throw SnapshotException.invalid("sample must be above 0 and at most 1, not " + sample);
    }
    return SnapshotVerifier.verify(repo, workload, snapshot, sample);
  }

  // ------------------------------------------------------------------ browse

  /** Finds the entry by descending the snapshot's directory trees; only the trees on the way are read. */
  @Override
  public SnapshotFile stat(WorkloadRef workload, SnapshotId snapshot, String path) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(snapshot, "snapshot");
    Objects.requireNonNull(path, "path");
    return browser.find(workload, snapshot, path).file();
  }

  /** Streams the directory's tree one leaf at a time; subdirectories are not read. */
  @Override
  public void list(WorkloadRef workload, SnapshotId snapshot, String path, Consumer<SnapshotFile> sink) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(snapshot, "snapshot");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(sink, "sink");
    browser.list(workload, snapshot, path, sink);
  }

  /** Streams the file's content chunk by chunk (a few chunks decompressed ahead), verified as it is read. */
  @Override
  public void read(WorkloadRef workload, SnapshotId snapshot, String path, long offset, long length, OutputStream out)
      throws IOException {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(snapshot, "snapshot");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(out, "out");
    browser.read(workload, snapshot, path, offset, length, out);
  }

  /** Writes the directory as a plain tar in tree order, content streamed; names keep their bytes. */
  @Override
  public void tar(WorkloadRef workload, SnapshotId snapshot, String path, OutputStream out) throws IOException {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(snapshot, "snapshot");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(out, "out");
    DirectoryTar.write(browser, browser.directory(workload, snapshot, path, "dump as a tar"), out);
  }

  /**
   * A snapshot's compact manifest as this host holds it (family {@code volumes}: one resource per
   * volume with {@code files, dirs, symlinks, bytes, treeDigest}).
   *
   * @return empty if this host does not hold the snapshot
   */
  public Optional<Manifest> manifest(WorkloadRef workload, SnapshotId id) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(id, "id");
    return repo.manifest(workload, id);
  }

  /** The repository directory this agent holds open (and locked). */
  public Path repositoryRoot() {
    return repo.root();
  }

  /**
   * The workload's snapshots held on this host, oldest first.
   *
   * @return ids; empty if none
   */
  public List<SnapshotId> snapshots(WorkloadRef workload) {
    return repo.snapshots(workload);
  }

  // ------------------------------------------------------------------ diff

  /**
   * File-level differences (family {@value #FILES_FAMILY}, key {@code volume:path}, document
   * {@code type, mode, size}, {@code uid} and {@code gid} when recorded, and {@code digest} or
   * {@code target}). The result holds every change in memory; for very large trees use {@link
   * #diff(WorkloadRef, SnapshotId, Optional, Consumer)}.
   * A side that is a partial snapshot makes the result degraded.
   */
  @Override
  public DiffResult diff(WorkloadRef workload, SnapshotId from, Optional<SnapshotId> to) {
    return diffs.collect(workload, from, to);
  }

  /**
   * {@link #diff(WorkloadRef, SnapshotId, Optional)}'s changes (family {@value #FILES_FAMILY}),
   * streamed in bounded memory as {@link #diff(WorkloadRef, SnapshotId, Optional, Consumer)} does,
   * in {@link FileEntry#ORDER}.
   */
  @Override
  public DiffResult streamDiff(WorkloadRef workload, SnapshotId from, Optional<SnapshotId> to,
      BiConsumer<String, Change> sink) {
    Objects.requireNonNull(sink, "sink");
    return diffs.stream(workload, from, to, sink);
  }

  /**
   * Streams the file-level differences from snapshot {@code from} to snapshot {@code to} (or to
   * the live volumes when empty), in {@link FileEntry#ORDER}, in bounded memory: both sides are
   * merged as sorted streams, so two million-entry snapshots diff without holding either.
   * Against the live volumes, files whose stat is unchanged since {@code from} are not read.
   *
   * @param sink receives each change on the calling thread
   * @return the counts, and whether a side was partial
   * @throws SnapshotException NOT_FOUND if a snapshot is not held here or the workload is unknown
   *     (live diff); CORRUPT if a snapshot's root file or directory trees are damaged
   */
  public DiffSummary diff(WorkloadRef workload, SnapshotId from, Optional<SnapshotId> to,
      Consumer<FileChange> sink) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(sink, "sink");
    return diffs.diff(workload, from, to, sink);
  }

  // ------------------------------------------------------------------ export and import

  /**
   * Writes one snapshot as a standalone {@code tar.zst} (the {@link SnapshotArchive} format),
   * straight from the repository: no staging, content verified against its digest as it is
   * written, in bounded memory apart from the archive's compressed entry list.
   *
   * @param out where the archive goes; finished and flushed, not closed
   * @return the header as written
   * @throws SnapshotException NOT_FOUND if this host does not hold the snapshot; CORRUPT if stored
   *     content fails its digest (the archive is then incomplete and must be discarded)
   */
  public SnapshotArchive.Header exportSnapshot(WorkloadRef workload, SnapshotId id, OutputStream out) {
    return exportSnapshot(workload, id, out, ProgressListener.NONE);
  }

  /**
   * {@link #exportSnapshot(WorkloadRef, SnapshotId, OutputStream)}, reporting phase {@code write}
   * (files and bytes of the snapshot) to {@code progress}.
   */
  public SnapshotArchive.Header exportSnapshot(WorkloadRef workload, SnapshotId id, OutputStream out,
      ProgressListener progress) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(out, "out");
    Objects.requireNonNull(progress, "progress");
    ProgressTracker tracker = ProgressTracker.start(Operation.EXPORT, progress);
    SnapshotArchive.Header header = archive.export(workload, id, held.require(workload, id), out, tracker);
    tracker.finish();
    return header;
  }

  /**
   * Imports a {@code tar.zst} made by {@link #exportSnapshot} (or {@link SnapshotArchive}) as
   * snapshot {@code id} of {@code workload}. The archive is treated as hostile (see
   * {@link SnapshotArchive#importArchive}): it is unpacked into a staging directory inside the
   * repository, then stored like a capture of that directory, and the staging directory is
   * removed. The workload need not be tracked on this host. Setuid, setgid and sticky bits are
   * dropped and the snapshot records no owner (the archive is untrusted: its files belong to
   * whoever restores them); names, contents, permission bits, times and symlink targets are kept
   * exactly.
   *
   * @param in the archive; read to its end, not closed
   * @param limits caps on entries, bytes and path length
   * @return the new snapshot's manifest
   * @throws SnapshotException INVALID_ARGUMENT if the archive is unsafe, damaged or over the
   *     limits (nothing is stored); CONFLICT if this host already holds {@code id}
   */
  public Manifest importSnapshot(WorkloadRef workload, SnapshotId id, InputStream in,
      SnapshotArchive.Limits limits) {
    return importSnapshot(workload, id, in, limits, ProgressListener.NONE);
  }

  /**
   * {@link #importSnapshot(WorkloadRef, SnapshotId, InputStream, SnapshotArchive.Limits)},
   * reporting phases {@code unpack} and {@code store} (of the entries and bytes the archive
   * declares) to {@code progress}.
   */
  public Manifest importSnapshot(WorkloadRef workload, SnapshotId id, InputStream in,
      SnapshotArchive.Limits limits, ProgressListener progress) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(in, "in");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(progress, "progress");
    ProgressTracker tracker = ProgressTracker.start(Operation.IMPORT, progress);
    Manifest manifest = archive.importSnapshot(workload, id, in, limits, tracker);
    tracker.finish();
    return manifest;
  }

  // ------------------------------------------------------------------ maintenance

  /**
   * Reclaims content no snapshot references (mark and sweep). Safe while captures, restores and
   * deletes run: content a running capture relies on or stored is pinned, and content stored
   * after the collection began is never removed. Collections run one at a time.
   */
  public GcReport gc() {
    return gc(ProgressListener.NONE);
  }

  /** {@link #gc()}, reporting phases {@code mark} (snapshots walked, of those listed) and {@code sweep}. */
  public GcReport gc(ProgressListener progress) {
    Objects.requireNonNull(progress, "progress");
    ProgressTracker tracker = ProgressTracker.start(Operation.GC, progress);
    GcReport report = repo.gc(tracker);
    tracker.finish();
    return report;
  }

  /**
   * Verifies stored content against its digests, all of it or a sample (one sixteenth, a different
   * one each call, so sixteen sampled checks cover everything), and names the snapshots
   * that reference corrupt or missing content.
   */
  public CheckReport check(boolean sample) {
    return check(sample, ProgressListener.NONE);
  }

  /**
   * {@link #check(boolean)}, reporting phases {@code verify} (contents read back and their bytes;
   * no totals) and {@code snapshots} to {@code progress}.
   */
  public CheckReport check(boolean sample, ProgressListener progress) {
    Objects.requireNonNull(progress, "progress");
    ProgressTracker tracker = ProgressTracker.start(Operation.CHECK, progress);
    CheckReport report = repo.check(sample, tracker);
    tracker.finish();
    return report;
  }

  /** Releases the repository lock. The agent is unusable afterwards. */
  @Override
  public void close() {
    repo.close();
  }

  @Override
  public String toString() {
    return "FsHostAgent[" + hostId + " at " + repo.root() + "]";
  }

  // ------------------------------------------------------------------ builder

  /**
   * Configures an {@link FsHostAgent}. Each setting may be given once (a second call throws
   * {@link IllegalStateException}); a bad value throws {@link IllegalArgumentException} at once;
   * {@link #build()} reports every missing setting at once, and the builder cannot be changed or
   * reused after it.
   *
   * <p><b>Thread-safety:</b> not thread-safe; build on one thread.
   */
  public static final class Builder {
    private final AgentBuilderState state = new AgentBuilderState();

    private Builder() {}

    /**
     * The repository directory (created if missing); with an {@link #objectStore} it holds only
     * this host's working state. Required.
     */
    public Builder repository(Path repository) {
      state.repository(repository);
      return this;
    }

    /**
     * Keeps the repository's content, directory trees and snapshot roots in {@code store} (for
     * example a bucket, through {@code snapshot-s3}) instead of the repository directory, which
     * then holds only this host's working state: restore journals, the tracked volumes, temporary
     * files and the lock. Several agents, on several hosts, each with its own repository directory,
     * may share one store: content any of them captured dedups the others' captures, any of them
     * restores any snapshot, and gc on one never deletes what a capture on another relies on (see
     * {@link #leaseTime}). Start-up fails if the store cannot be read and written. The agent does
     * not close the store. Default: the repository directory holds everything.
     */
    public Builder objectStore(ObjectStore store) {
      state.objectStore(store);
      return this;
    }

    /**
     * With a shared {@link #objectStore}: how long a capture's lease (which keeps other hosts' gc
     * from deleting anything) lasts unless renewed; the agent renews it every third of that time.
     * An agent killed while capturing delays other hosts' gc by at most this long. Hosts' clocks
     * must agree to well within it. Default 2 minutes.
     */
    public Builder leaseTime(Duration time) {
      state.leaseTime(time);
      return this;
    }

    /** This host's id, used in messages and logs. Default {@code local}. */
    public Builder hostId(String hostId) {
      state.hostId(hostId);
      return this;
    }

    /** Maps workloads to volumes; consulted before the tracked maps. Default: tracked maps only. */
    public Builder volumes(VolumeResolver resolver) {
      state.volumes(resolver);
      return this;
    }

    /**
     * The zstd level for content and manifests, 1 (fastest) to 19. Default 2: 1.1% smaller packs
     * than level 1 for the same CPU (zstd's "dfast" strategy; measured on the S3 bench corpus, 5
     * captures each); level 3 costs a capture about a third more CPU for about 3% smaller content.
     */
    public Builder compressionLevel(int level) {
      state.compressionLevel(level);
      return this;
    }

    /**
     * Where the file work of a capture (reading, hashing, compressing) and of a restore
     * (decompressing, verifying, writing) runs, several files at once. The calling thread takes
     * part too and runs any file no pool thread has started, so an executor shared with the
     * caller cannot deadlock. Default: everything on the calling thread.
     */
    public Builder executor(Executor executor) {
      state.executor(executor);
      return this;
    }

    /** The clock for capture times. Default {@link Clock#systemUTC()}. */
    public Builder clock(Clock clock) {
      state.clock(clock);
      return this;
    }

    /** Free bytes a restore leaves on each filesystem beyond the snapshot's size. Default 64 MiB. */
    public Builder restoreHeadroom(long bytes) {
      state.restoreHeadroom(bytes);
      return this;
    }

    /** Observes the durable steps of every replace restore. Default: none. */
    public Builder restoreListener(RestoreListener listener) {
      state.restoreListener(listener);
      return this;
    }

    /** Test seam: observes every file read of a scan. */
    Builder readHook(Scanner.ReadHook hook) {
      state.readHook(hook);
      return this;
    }

    /** Test seam: contents smaller than this are stored whole (default 1 MiB), larger ones chunked, so tests can chunk cheaply. */
    Builder packLimit(int bytes) {
      state.packLimit(bytes);
      return this;
    }

    /** Test seam: the filesystem time from which file stats are not trusted by the next capture. */
    Builder racyCutoff(LongSupplier cutoff) {
      state.racyCutoff(cutoff);
      return this;
    }

    /**
     * Opens the repository, replays interrupted restores ({@link FsHostAgent#recover()}) and
     * returns the agent.
     *
     * @throws SnapshotException INVALID_ARGUMENT listing every missing setting; CONFLICT if another
     *     agent has the repository open; CORRUPT if a restore journal cannot be replayed
     */
    public FsHostAgent build() {
      return state.build();
    }
  }
}
