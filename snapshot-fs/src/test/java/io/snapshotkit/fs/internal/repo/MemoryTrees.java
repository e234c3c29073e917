package io.snapshotkit.fs.internal.repo;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/** Tree objects kept in memory, for tests of the tree format: a store and a source that counts what it reads. */
final class MemoryTrees implements TreeBuilder.Store, TreeReader.Source {
  final Map<Digest, byte[]> objects = new HashMap<>();
  final AtomicLong bytesRead = new AtomicLong();

  @Override
  public Digest store(byte[] node) {
    Digest d = Digest.hash(node, 0, node.length);
    objects.putIfAbsent(d, node);
    return d;
  }

  @Override
  public byte[] load(Digest tree) {
    byte[] b = objects.get(tree);
    if (b == null) {
      throw TreeNode.corrupt(tree);
    }
    bytesRead.addAndGet(b.length);
    return b;
  }

  /** Builds the trees of {@code entries} (in order) with the given leaf and index sizes. */
  SortedMap<String, Digest> build(List<Entry> entries, List<String> volumes, int leafEntries, int fanout) {
    TreeBuilder b = new TreeBuilder(this, leafEntries, fanout);
    entries.forEach(b::add);
    return new TreeMap<>(b.finish(volumes));
  }

  /** Bytes of every tree object reachable from {@code roots}. */
  long treeBytes(SortedMap<String, Digest> roots) {
    long[] total = {0};
    Reachability r = new Reachability(this);
    roots.values().forEach(root -> r.walkTree(root, d -> {
      byte[] b = objects.get(d);
      if (b != null) {
        total[0] += b.length;
      }
    }));
    bytesRead.set(0);
    return total[0];
  }
}
