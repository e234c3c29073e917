package io.snapshotkit.fs.internal.repo;

import io.snapshotkit.SnapshotException;
import io.snapshotkit.fs.FileType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds a snapshot's directory trees bottom-up from its entries as they stream in ({@link
 * io.snapshotkit.fs.FileEntry#ORDER}, in which a directory's descendants follow it contiguously,
 * since {@code /} sorts first): a directory's tree object is stored as soon as its last
 * descendant has arrived, so memory holds only the open directories on the current path (each at
 * most one leaf and its part lists), however many entries a directory has. Entries whose parent
 * was never listed (an ingested stream) get {@link TreeNode#IMPLICIT} parents. Confined to one
 * thread.
 */
final class TreeBuilder {
  /** Where tree objects go: stores the bytes as a content object and returns its digest. */
  interface Store {
    Digest store(byte[] node) throws IOException;
  }

  private final Store store;
  private final int leafEntries;
  private final int fanout;
  private final Deque<Frame> stack = new ArrayDeque<>();
  private final Map<String, Digest> roots = new TreeMap<>();
  private String volume;
  private Entry previous;

  TreeBuilder(Store store) {
    this(store, TreeNode.LEAF_ENTRIES, TreeNode.FANOUT);
  }

  /** A builder cutting leaves at {@code leafEntries} and indexes at {@code fanout}: tests use small ones. */
  TreeBuilder(Store store, int leafEntries, int fanout) {
    if (leafEntries < 1 || fanout < 2) {
      throw new IllegalArgumentException("leaves hold at least 1 entry and indexes at least 2 parts");
    }
    this.store = store;
    this.leafEntries = leafEntries;
    this.fanout = fanout;
  }

  /** The next entry; entries must arrive in order. */
  void add(Entry e) {
    if (previous != null && previous.compareKey(e) >= 0) {
      throw new IllegalStateException("entries out of order: " + previous.key() + " then " + e.key());
    }
    if (e.path().isEmpty() || e.path().startsWith("/") || e.path().endsWith("/") || e.path().contains("//")) {
      throw SnapshotException.invalid("'" + e.key() + "' is not a relative path; nothing was stored");
    }
    previous = e;
    if (!e.volume().equals(volume)) {
      closeVolume();
      volume = e.volume();
      stack.push(new Frame("", null));
    }
    int slash = e.path().lastIndexOf('/');
    String parent = slash < 0 ? "" : e.path().substring(0, slash);
    while (!isAncestorOrSelf(stack.peek().path, parent)) {
      pop();
    }
    while (!stack.peek().path.equals(parent)) {
      String at = stack.peek().path;
      String rest = at.isEmpty() ? parent : parent.substring(at.length() + 1);
      int next = rest.indexOf('/');
      String component = next < 0 ? rest : rest.substring(0, next);
      stack.push(new Frame(at.isEmpty() ? component : at + "/" + component, null));
    }
    if (e.type() == FileType.DIRECTORY) {
      stack.push(new Frame(e.path(), e));
    } else {
      stack.peek().node.add(e.path().substring(slash + 1), e, null, false);
    }
  }

  /**
   * Stores what is still open and returns each volume's root tree; a volume in {@code declared}
   * without entries gets the empty tree.
   */
  Map<String, Digest> finish(Collection<String> declared) {
    closeVolume();
    for (String v : declared) {
      if (!roots.containsKey(v)) {
        roots.put(v, new NodeBuilder().finish());
      }
    }
    return roots;
  }

  private static boolean isAncestorOrSelf(String dir, String path) {
    return dir.isEmpty() || path.equals(dir) || path.startsWith(dir + "/");
  }

  private void closeVolume() {
    while (!stack.isEmpty()) {
      pop();
    }
  }

  private void pop() {
    Frame f = stack.pop();
    Digest tree = f.node.finish();
    Frame parent = stack.peek();
    if (parent == null) {
      roots.put(volume, tree);
      return;
    }
    Entry dir = f.entry != null ? f.entry
        : new Entry(volume, f.path, FileType.DIRECTORY, 0755, 0, 0, Entry.UNKNOWN, Entry.UNKNOWN, null, null, false,
            Entry.NO_OWNER, Entry.NO_OWNER);
    parent.node.add(f.path.substring(f.path.lastIndexOf('/') + 1), dir, tree, f.entry == null);
  }

  /** An open directory: its path, its own entry (null for a volume root or an implicit one), its node. */
  private final class Frame {
    final String path;
    final Entry entry;
    final NodeBuilder node = new NodeBuilder();

    Frame(String path, Entry entry) {
      this.path = path;
      this.entry = entry;
    }
  }

  /**
   * One directory's node, cut into leaves of bounded size as entries arrive; full part lists
   * become index nodes one level up.
   */
  private final class NodeBuilder {
    private final TreeNode.LeafWriter leaf = new TreeNode.LeafWriter();
    private final List<List<TreeNode.Part>> levels = new ArrayList<>();

    void add(String name, Entry e, Digest tree, boolean implicit) {
      if (leaf.count() >= leafEntries || leaf.bytes() >= TreeNode.LEAF_BYTES) {
        flushLeaf();
      }
      leaf.add(name, e, tree, implicit);
    }

    /** Stores the rest and returns the digest of the directory's top node. */
    Digest finish() {
      if (levels.isEmpty()) {
        return put(leaf.take());
      }
      if (leaf.count() > 0) {
        flushLeaf();
      }
      for (int i = 0; ; i++) {
        List<TreeNode.Part> parts = levels.get(i);
        boolean top = true;
        for (int j = i + 1; j < levels.size(); j++) {
          top &= levels.get(j).isEmpty();
        }
        if (top && parts.size() == 1) {
          return parts.get(0).digest();
        }
        if (!parts.isEmpty()) {
          TreeNode.Part part = new TreeNode.Part(parts.get(0).firstName(), put(TreeNode.index(parts)));
          parts.clear();
          addPart(i + 1, part);
        }
      }
    }

    private void flushLeaf() {
      String first = leaf.first();
      addPart(0, new TreeNode.Part(first, put(leaf.take())));
    }

    private void addPart(int level, TreeNode.Part part) {
      while (levels.size() <= level) {
        levels.add(new ArrayList<>());
      }
      List<TreeNode.Part> parts = levels.get(level);
      parts.add(part);
      if (parts.size() >= fanout) {
        TreeNode.Part up = new TreeNode.Part(parts.get(0).firstName(), put(TreeNode.index(parts)));
        parts.clear();
        addPart(level + 1, up);
      }
    }

    private Digest put(byte[] node) {
      try {
        return store.store(node);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
