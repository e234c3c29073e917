package io.snapshotkit.fs.internal.restore;

import io.snapshotkit.ProgressEvent;
import io.snapshotkit.ProgressListener;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.RestoreListener;
import io.snapshotkit.fs.SnapshotArchive.Limits;
import io.snapshotkit.fs.internal.repo.FsRepository;
import io.snapshotkit.fs.internal.repo.Summary;
import io.snapshotkit.spi.ProgressTracker;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
/**
 * Writes snapshots back to directories: where the restore parts of one repository are assembled
 * ({@link Preflight}, {@link AdditiveRestore}, {@link ReplaceRestore}, {@link Recovery}), with
 * one set of settings. Each method delegates in one line.
 *
 * <p>Settings are given by the {@code with}-style methods, each returning a new restorer: {@link
 * #on} starts without headroom or size limits, with real durability and on the caller's thread.
 *
 * <p><b>Thread-safety:</b> immutable; the caller (the engine, through the workload lock) makes
 * sure one workload is restored by one thread at a time. {@link #recoverAll()} must run before
 * any restore starts.
 */
public final class Restorer {
  /** No size policy: a restore may be as large as its snapshot. */
  static final Limits UNLIMITED = new Limits(Long.MAX_VALUE, Long.MAX_VALUE, 4096);

  private final FsRepository repo;
  private final long headroom;
  private final Limits limits;
  private final Durable durable;
  private final Executor executor;
  private final Preflight preflight;
  private final AdditiveRestore additive;
  private final Recovery recovery;
  private final ReplaceRestore replace;

  private Restorer(FsRepository repo, long headroom, Limits limits, Durable durable, Executor executor) {
    this.repo = Objects.requireNonNull(repo, "repo");
    this.headroom = headroom;
    this.limits = Objects.requireNonNull(limits, "limits");
    this.durable = Objects.requireNonNull(durable, "durable");
    this.executor = executor;
    this.preflight = new Preflight(repo, headroom, limits);
    this.additive = new AdditiveRestore(repo, limits, executor);
    this.recovery = new Recovery(repo, durable);
    this.replace = new ReplaceRestore(repo, preflight, recovery, durable, executor);
  }

  /**
   * A restorer onto {@code repo} without a size policy or headroom, with real durability, writing
   * on the caller's thread. Each restore still caps what it writes at what the snapshot's manifest
   * declares (entries and bytes), so a damaged content stream cannot write past it.
   */
  public static Restorer on(FsRepository repo) {
    return new Restorer(repo, 0, UNLIMITED, Durable.REAL, null);
  }

  /** This restorer, keeping {@code bytes} free on each filesystem beyond what a restore writes. */
  public Restorer headroom(long bytes) {
    return new Restorer(repo, bytes, limits, durable, executor);
  }

  /** This restorer, refusing in pre-flight any restore larger than {@code caps}. */
  Restorer limits(Limits caps) {
    return new Restorer(repo, headroom, caps, durable, executor);
  }

  /** This restorer, making its renames and journal writes through {@code steps} (a test's crash seam). */
  Restorer durable(Durable steps) {
    return new Restorer(repo, headroom, limits, steps, executor);
  }

  /**
   * This restorer, decompressing, verifying and writing file contents on {@code pool}, several at
   * once (directories and links are created in manifest order on the restoring thread); null
   * writes every file on the restoring thread.
   */
  public Restorer executor(Executor pool) {
    return new Restorer(repo, headroom, limits, durable, pool);
  }

  /** @see Preflight#check(WorkloadRef, SnapshotId, Map, Selection) */
  void preflight(WorkloadRef w, SnapshotId id, Map<String, Path> targets, Selection sel) {
    preflight.check(w, id, targets, sel);
  }

  /** @see Preflight#check(WorkloadRef, SnapshotId, Map, Selection, Summary) */
  Preflight.Plan preflight(WorkloadRef w, SnapshotId id, Map<String, Path> targets, Selection sel,
      Summary summary) {
    return preflight.check(w, id, targets, sel, summary);
  }

  /** @see AdditiveRestore#restore, reporting no progress */
  public AdditiveRestore.Result additive(WorkloadRef w, SnapshotId id, Map<String, Path> targets, Selection sel) {
    return additive(w, id, targets, sel, silent());
  }

  /** @see ReplaceRestore#restore, reporting no progress */
  public ReplaceRestore.Result replace(WorkloadRef w, SnapshotId id, Map<String, Path> targets, Selection sel,
      RestoreListener listener) {
    return replace(w, id, targets, sel, listener, silent());
  }

  private static ProgressTracker silent() {
    return ProgressTracker.start(ProgressEvent.Operation.RESTORE, ProgressListener.NONE);
  }

  /** @see AdditiveRestore#restore */
  public AdditiveRestore.Result additive(WorkloadRef w, SnapshotId id, Map<String, Path> targets, Selection sel,
      ProgressTracker progress) {
    return additive.restore(w, id, targets, sel, progress);
  }

  /** @see ReplaceRestore#restore */
  public ReplaceRestore.Result replace(WorkloadRef w, SnapshotId id, Map<String, Path> targets, Selection sel,
      RestoreListener listener, ProgressTracker progress) {
    return replace.restore(w, id, targets, sel, listener, progress);
  }

  /** @see Recovery#recoverAll() */
  public List<String> recoverAll() {
    return recovery.recoverAll();
  }
}
