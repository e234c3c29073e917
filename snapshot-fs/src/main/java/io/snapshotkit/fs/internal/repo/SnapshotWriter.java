package io.snapshotkit.fs.internal.repo;

import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one snapshot: content and directory trees (built bottom-up as entries stream in)
 * through a session, then the root file, written once the trees and content are durable. Trees
 * go through a session of their own, so they are packed apart from file content (as restic
 * does): a damaged data pack fails the files in it, not the listing of the whole snapshot.
 * Made by {@link FsRepository#begin}.
 *
 * <p><b>Thread-safety:</b> confined to one capture; its sessions take entries from the capture's threads.
 */
public final class SnapshotWriter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FsRepository.class);

  private final FsRepository repo;
  private final WorkloadRef workload;
  private final SnapshotId id;
  private final ContentSession session;
  private final ContentSession treeSession;
  private final TreeBuilder trees;
  private final Map<String, VolumeStats> volumes = new TreeMap<>();
  private long count;
  private List<String> excludes = List.of();
  private final SharedLeases.Lease lease;
  private boolean committed;
  private boolean abandonedContentRemoved;

  SnapshotWriter(FsRepository repo, WorkloadRef workload, SnapshotId id, SharedLeases.Lease lease) {
    this.repo = repo;
    this.workload = workload;
    this.id = id;
    this.lease = lease;
    this.session = repo.content().session();
    this.treeSession = repo.content().session();
    this.trees = new TreeBuilder(node -> treeSession.storeSmall(node, node.length));
  }

  public ContentSession session() {
    return session;
  }

  /** Records the exclude patterns the capture applied, so restores and diffs leave those paths alone. */
  public void excludes(List<String> patterns) {
    this.excludes = List.copyOf(patterns);
  }

  /** Declares a volume, so an empty one still appears in the snapshot. */
  public void volume(String name) {
    volumes.computeIfAbsent(name, n -> new VolumeStats());
  }

  public void add(Entry e) {
    trees.add(e);
    count++;
    volumes.computeIfAbsent(e.volume(), n -> new VolumeStats()).add(e);
  }

  /** Makes the snapshot durable and visible; a retry with the same id replaces it. */
  public Summary commit(Instant capturedAt, boolean partial) throws IOException {
    Map<String, Digest> roots;
    try {
      roots = trees.finish(volumes.keySet());
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    // publication order: content and trees (packs, then their indexes), then the root file
    session.flush();
    treeSession.flush();
    long stored = session.storedBytes() + treeSession.storedBytes();
    Summary draft = new Summary(capturedAt, partial, stored, count, new TreeMap<>(volumes), excludes);
    long rootBytes = new RootFile(draft, new TreeMap<>(roots)).format().length;
    Summary s = new Summary(capturedAt, partial, stored + rootBytes, count, new TreeMap<>(volumes), excludes);
    // a root is written once; a retry with the same id (whose earlier attempt the engine never
    // made READY) replaces the earlier attempt's root
    byte[] rootObject = new RootFile(s, new TreeMap<>(roots)).format();
    if (lease != null) {
      lease.checkHeld();
    }
    repo.publishRoot(workload, id, rootObject);
    committed = true;
    return s;
  }

  /**
   * Whether an abandoned writer's content is gone again: true once {@link #close()} removed
   * every content this capture added that no snapshot refers to, false if some of it stays
   * until {@link FsRepository#gc()} (removing it failed, or nothing was tried yet).
   */
  public boolean abandonedContentRemoved() {
    return abandonedContentRemoved;
  }

  /**
   * Ends the writer. The content (and trees) an uncommitted snapshot added to the repository
   * that no snapshot refers to is removed (a failed capture must not keep its
   * space, least of all on a full disk); if that fails the content waits for the next gc.
   */
  @Override
  public void close() {
    Set<Digest> added = Set.of();
    if (!committed) {
      added = new java.util.HashSet<>(session.published());
      added.addAll(treeSession.published());
    }
    session.close();
    treeSession.close();
    try {
      if (!committed) {
        try {
          repo.reclaim(added);
          abandonedContentRemoved = true;
        } catch (RuntimeException e) {
          LOG.warn("could not remove the content abandoned snapshot {} of {} stored; the next gc removes it",
              id, workload, e);
        }
      }
    } finally {
      if (lease != null) {
        lease.close();
      }
    }
  }
}
