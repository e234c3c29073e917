package io.snapshotkit.fs.internal.repo;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.snapshotkit.Change;
import io.snapshotkit.Excludes;
import io.snapshotkit.Resource;
import io.snapshotkit.fs.DiffSummary;
import io.snapshotkit.fs.FileChange;
import io.snapshotkit.fs.FileEntry;
import io.snapshotkit.fs.FileType;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Merges two streams of entries in {@link FileEntry#ORDER} into file-level changes, holding one
 * entry of each side at a time. The older side is pulled from a snapshot's {@link TreeReader};
 * the newer side is pushed from a live scan ({@link #newer}), or pulled from another snapshot's
 * trees ({@link #newer(TreeReader)}), walking both in step and never opening a directory whose
 * tree digest is the same on both sides. Confined to one thread.
 */
public final class TreeDiff {
  private final TreeReader older;
  private final Consumer<FileChange> sink;
  private long added;
  private long removed;
  private long modified;
  private long typeChanged;
  private long modeChanged;
  private Excludes ignored = Excludes.none();

  public TreeDiff(TreeReader older, Consumer<FileChange> sink) {
    this.older = older;
    this.sink = sink;
  }

  /**
   * Reports no change of a path {@code patterns} exclude (the path itself or a directory above it):
   * what either side's capture left out is not a difference.
   */
  public TreeDiff ignoring(Excludes patterns) {
    this.ignored = patterns;
    return this;
  }

  private boolean ignored(Entry e) {
    return ignored.excludes(e.path(), e.type() == FileType.DIRECTORY);
  }

  /**
   * Diffs the whole of the newer snapshot's trees against the older side: a directory present on
   * both sides with the same tree digest is compared as an entry, and its subtree is skipped
   * unread on both sides (equal digests mean equal subtrees). Call {@link #finish} after.
   */
  public void newer(TreeReader newer) {
    while (newer.hasNext()) {
      Entry n = newer.next();
      Digest newerTree = newer.lastTree();
      Entry o;
      while ((o = older.peek()) != null && o.compareKey(n) < 0) {
        removed(older.next());
      }
      if (o != null && o.compareKey(n) == 0) {
        older.next();
        compare(o, n);
        if (newerTree != null && newerTree.equals(older.lastTree())) {
          older.skipChildren();
          newer.skipChildren();
        }
      } else {
        added(n);
      }
    }
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
      added(n);
    }
  }

  private void added(Entry n) {
    if (ignored(n)) {
      return;
    }
    added++;
    sink.accept(new FileChange(FileChange.Kind.ADDED, Optional.empty(), Optional.of(n.toPublic())));
  }

  /** Drains the older side: whatever remains was removed. */
  public DiffSummary finish(boolean partial) {
    while (older.hasNext()) {
      removed(older.next());
    }
    return new DiffSummary(added, removed, modified, typeChanged, modeChanged, partial);
  }

  private void removed(Entry o) {
    if (ignored(o)) {
      return;
    }
    removed++;
    sink.accept(new FileChange(FileChange.Kind.REMOVED, Optional.of(o.toPublic()), Optional.empty()));
  }

  private void compare(Entry o, Entry n) {
    if (ignored(o) || ignored(n)) {
      return;
    }
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

  /**
   * A file change as the engine's diff reports it: resource key {@code volume:path}, document
   * {@code type, mode, size}, {@code uid} and {@code gid} when recorded, and {@code digest} or
   * {@code target}.
   */
  public static Change toChange(FileChange c) {
    return switch (c.kind()) {
      case ADDED -> new Change.Added(resource(c.after().orElseThrow()));
      case REMOVED -> new Change.Removed(resource(c.before().orElseThrow()));
      default -> new Change.Changed(resource(c.before().orElseThrow()), resource(c.after().orElseThrow()));
    };
  }

  private static Resource resource(FileEntry e) {
    ObjectNode doc = JsonNodeFactory.instance.objectNode();
    doc.put("type", e.type().name().toLowerCase(Locale.ROOT));
    doc.put("mode", String.format("%04o", e.mode()));
    e.owner().ifPresent(o -> {
      doc.put("uid", Integer.toUnsignedLong(o.uid()));
      doc.put("gid", Integer.toUnsignedLong(o.gid()));
    });
    doc.put("size", e.size());
    e.digest().ifPresent(d -> doc.put("digest", d));
    e.linkTarget().ifPresent(t -> doc.put("target", t));
    return new Resource(e.key(), e.key(), doc);
  }
}
