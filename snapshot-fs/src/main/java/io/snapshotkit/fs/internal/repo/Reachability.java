package io.snapshotkit.fs.internal.repo;

import io.snapshotkit.fs.FileType;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The tree layer's side of gc and check: every digest a snapshot root file references, its tree
 * objects (every node of every directory) and the content digests its files name (for a chunked
 * file, the digest of its chunk list; the content store expands that). A tree this walker already
 * walked is not walked again, so the trees snapshots share are read once per collection. Confined
 * to one thread.
 */
final class Reachability {
  private final TreeReader.Source source;
  private final Set<Digest> walked = new HashSet<>();

  Reachability(TreeReader.Source source) {
    this.source = source;
  }

  /**
   * Hands {@code sink} every tree and content digest the root file references (trees walked by
   * this instance before are passed over, their digests included).
   *
   * @throws io.snapshotkit.SnapshotException CORRUPT if a tree is missing or damaged
   */
  void walk(RootFile root, Consumer<Digest> sink) {
    for (Digest tree : root.trees().values()) {
      walkTree(tree, sink);
    }
  }

  /** As {@link #walk(RootFile, Consumer)}, from one tree. */
  void walkTree(Digest top, Consumer<Digest> sink) {
    Deque<Digest> pending = new ArrayDeque<>();
    pending.push(top);
    while (!pending.isEmpty()) {
      Digest d = pending.pop();
      if (!walked.add(d)) {
        continue;
      }
      sink.accept(d);
      TreeNode.Decoded node = TreeNode.decode(d, source.load(d));
      if (!node.leaf()) {
        node.parts().forEach(p -> pending.push(p.digest()));
        continue;
      }
      for (TreeNode.Item item : node.items()) {
        if (item.type() == FileType.FILE) {
          sink.accept(item.digest());
        } else if (item.type() == FileType.DIRECTORY) {
          pending.push(item.tree());
        }
      }
    }
  }
}
