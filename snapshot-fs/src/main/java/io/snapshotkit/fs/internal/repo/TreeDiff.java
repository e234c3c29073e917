package io.snapshotkit.fs.internal.repo;

import io.snapshotkit.fs.DiffSummary;
import io.snapshotkit.fs.FileChange;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Merges two streams of entries in {@link io.snapshotkit.fs.FileEntry#ORDER} into file-level changes, holding one
 * entry of each side at a time. The older side is pulled from a manifest reader; the newer side
 * is pushed (from another reader or from a live scan). Confined to one thread.
 */
public final class TreeDiff {
  private final ManifestFile.Reader older;
  private final Consumer<FileChange> sink;
  private long added;
  private long removed;
  private long modified;
  private long typeChanged;
  private long modeChanged;

  public TreeDiff(ManifestFile.Reader older, Consumer<FileChange> sink) {
    this.older = older;
    this.sink = sink;
  }

  /** The next entry of the newer side; entries must arrive in order. */
  public void newer(Entry n) {
    Entry o;
    while ((o = older.peek()) != null && o.compareKey(n) < 0) {
      removed(older.next());
    }
    if (o != null && o.compareKey(n) == 0) {
      older.next();
      compare(o, n);
    } else {
      added++;
      sink.accept(new FileChange(FileChange.Kind.ADDED, Optional.empty(), Optional.of(n.toPublic())));
    }
  }

  /** Drains the older side: whatever remains was removed. */
  public DiffSummary finish(boolean partial) {
    while (older.hasNext()) {
      removed(older.next());
    }
    return new DiffSummary(added, removed, modified, typeChanged, modeChanged, partial);
  }

  private void removed(Entry o) {
    removed++;
    sink.accept(new FileChange(FileChange.Kind.REMOVED, Optional.of(o.toPublic()), Optional.empty()));
  }

  private void compare(Entry o, Entry n) {
    FileChange.Kind kind;
    if (o.type() != n.type()) {
      kind = FileChange.Kind.TYPE_CHANGED;
      typeChanged++;
    } else if (!o.sameContent(n)) {
      kind = FileChange.Kind.MODIFIED;
      modified++;
    } else if (o.mode() != n.mode() || (o.hasOwner() && n.hasOwner() && !o.sameOwner(n))) {
      // an owner recorded on one side only (a snapshot from before owners were captured, an
      // import) is unknown, not different
      kind = FileChange.Kind.MODE_CHANGED;
      modeChanged++;
    } else {
      return;
    }
    sink.accept(new FileChange(kind, Optional.of(o.toPublic()), Optional.of(n.toPublic())));
  }
}
