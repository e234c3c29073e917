package io.snapshotkit.fs.internal.repo;

import io.snapshotkit.fs.FileType;
import java.io.Closeable;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.SortedMap;

/**
 * Streams a snapshot's entries from its directory trees, depth first, in {@link
 * io.snapshotkit.fs.FileEntry#ORDER}, the same order the entries were captured in. Memory holds
 * one leaf and its index path per open directory on the current path. A directory's children are
 * loaded only when the reader moves into them, so {@link #skipChildren()} right after {@link
 * #next()} returned a directory passes over its subtree without reading it (a diff does so where
 * both sides have the same {@link #lastTree()}). Confined to one thread.
 */
public final class TreeReader implements Iterator<Entry>, Closeable {
  /** Loads a tree object's bytes by digest. */
  public interface Source {
    /**
     * The tree object's bytes.
     *
     * @throws io.snapshotkit.SnapshotException CORRUPT if it is missing or damaged
     */
    byte[] load(Digest tree);
  }

  private final Source source;
  private final Iterator<Map.Entry<String, Digest>> volumes;
  private final Deque<Frame> stack = new ArrayDeque<>();
  private Entry next;
  private Digest nextTree;
  private Digest lastTree;
  private boolean lastWasDirectory;
  private Entry last;
  private boolean done;

  /** Reads the trees {@code roots} (volume name to root tree), volumes in name order. */
  public TreeReader(Source source, SortedMap<String, Digest> roots) {
    this.source = source;
    this.volumes = roots.entrySet().iterator();
  }

  @Override
  public boolean hasNext() {
    if (next == null && !done) {
      lastWasDirectory = false;
      advance();
    }
    return next != null;
  }

  @Override
  public Entry next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    Entry e = next;
    next = null;
    lastTree = nextTree;
    lastWasDirectory = e.type() == FileType.DIRECTORY;
    return e;
  }

  /** The next entry without consuming it, or null at the end. */
  public Entry peek() {
    return hasNext() ? next : null;
  }

  /** The tree digest of the directory {@link #next()} returned last (null if it was not a directory). */
  public Digest lastTree() {
    return lastWasDirectory ? lastTree : null;
  }

  /**
   * Passes over the children of the directory {@link #next()} just returned, without loading
   * them. Valid only before the next {@link #hasNext()} or {@link #peek()}.
   *
   * @throws IllegalStateException if the last entry was not a directory or the reader moved on
   */
  public void skipChildren() {
    if (!lastWasDirectory || next != null || stack.isEmpty() || stack.peek().loaded) {
      throw new IllegalStateException("skipChildren must follow next() returning a directory");
    }
    stack.pop();
    lastWasDirectory = false;
  }

  private void advance() {
    while (true) {
      Frame f = stack.peek();
      if (f == null) {
        if (!volumes.hasNext()) {
          done = true;
          return;
        }
        Map.Entry<String, Digest> v = volumes.next();
        stack.push(new Frame(v.getKey(), "", v.getValue()));
        continue;
      }
      TreeNode.Item item = f.nextItem(source);
      if (item == null) {
        stack.pop();
        continue;
      }
      String path = f.prefix.isEmpty() ? item.name() : f.prefix + "/" + item.name();
      Entry e = item.entry(f.volume, path);
      if (last != null && last.compareKey(e) >= 0) {
        throw TreeNode.corrupt(f.root);
      }
      last = e;
      if (item.type() == FileType.DIRECTORY) {
        stack.push(new Frame(f.volume, path, item.tree()));
      }
      if (item.implicit()) {
        continue;
      }
      next = e;
      nextTree = item.tree();
      return;
    }
  }

  @Override
  public void close() {
    stack.clear();
    done = true;
    next = null;
  }

  /** One directory being read: the index nodes on the way to its current leaf, and that leaf. */
  private static final class Frame {
    final String volume;
    final String prefix;
    final Digest root;
    boolean loaded;
    private final Deque<Cursor<TreeNode.Part>> indexes = new ArrayDeque<>();
    private Cursor<TreeNode.Item> leaf;

    Frame(String volume, String prefix, Digest root) {
      this.volume = volume;
      this.prefix = prefix;
      this.root = root;
    }

    TreeNode.Item nextItem(Source source) {
      if (!loaded) {
        loaded = true;
        descend(source, root);
      }
      while (true) {
        if (leaf != null && leaf.hasNext()) {
          return leaf.next();
        }
        leaf = null;
        while (!indexes.isEmpty() && !indexes.peek().hasNext()) {
          indexes.pop();
        }
        if (indexes.isEmpty()) {
          return null;
        }
        descend(source, indexes.peek().next().digest());
      }
    }

    private void descend(Source source, Digest digest) {
      for (int depth = 0; ; depth++) {
        if (depth > 8) {
          throw TreeNode.corrupt(digest);
        }
        TreeNode.Decoded node = TreeNode.decode(digest, source.load(digest));
        if (node.leaf()) {
          leaf = new Cursor<>(node.items());
          return;
        }
        Cursor<TreeNode.Part> c = new Cursor<>(node.parts());
        indexes.push(c);
        digest = c.next().digest();
      }
    }
  }

  private static final class Cursor<T> {
    private final List<T> items;
    private int pos;

    Cursor(List<T> items) {
      this.items = items;
    }

    boolean hasNext() {
      return pos < items.size();
    }

    T next() {
      return items.get(pos++);
    }
  }
}
