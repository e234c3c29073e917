package io.snapshotkit.fs.internal.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.fs.DiffSummary;
import io.snapshotkit.fs.FileChange;
import io.snapshotkit.fs.FileType;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A diff of two snapshots walks their trees in step and never opens a subtree whose digest is
 * the same on both sides: what it reads is proportional to what changed, not to the trees' size.
 * Every tree object read goes through a counting source. An IT: building two million-file trees
 * takes tens of seconds on a loaded machine.
 */
class TreeDiffSkipIT {
  private static final int FANOUT = 100;

  /** 100 directories of 100 directories of 100 files (1,000,000 files); {@code changed} files get other content. */
  private static SortedMap<String, Digest> tree(MemoryTrees store, Set<Integer> changed) {
    TreeBuilder b = new TreeBuilder(store);
    for (int i = 0; i < FANOUT; i++) {
      String d1 = "d" + two(i);
      b.add(dir(d1));
      for (int j = 0; j < FANOUT; j++) {
        String d2 = d1 + "/e" + two(j);
        b.add(dir(d2));
        for (int k = 0; k < FANOUT; k++) {
          int n = (i * FANOUT + j) * FANOUT + k;
          byte[] content = ByteBuffer.allocate(8).putInt(n).putInt(changed.contains(n) ? 1 : 0).array();
          b.add(new Entry("data", d2 + "/f" + two(k), FileType.FILE, 0644, 8, 1_000, n, 2_000,
              Digest.hash(content, 0, 8), null, false, 1000, 1000));
        }
      }
    }
    return new TreeMap<>(b.finish(List.of("data")));
  }

  private static String two(int n) {
    return n < 10 ? "0" + n : Integer.toString(n);
  }

  private static Entry dir(String path) {
    return new Entry("data", path, FileType.DIRECTORY, 0755, 0, 1_000, path.hashCode(), 2_000, null, null, false, 1000,
        1000);
  }

  @Test
  @DisplayName("two 1,000,000-file snapshots differing in 10 files diff reading under 1% of their trees' bytes")
  void diffOfTenChangesInAMillionFilesReadsUnderOnePercent() {
    MemoryTrees store = new MemoryTrees();
    Set<Integer> changed = Set.of(7, 123_456, 200_000, 333_333, 500_001, 612_345, 777_777, 800_000, 901_234, 999_999);
    SortedMap<String, Digest> a = tree(store, Set.of());
    SortedMap<String, Digest> b = tree(store, changed);
    long treeBytes = store.treeBytes(a) + store.treeBytes(b);

    List<FileChange> changes = new ArrayList<>();
    DiffSummary s;
    try (TreeReader older = new TreeReader(store, a); TreeReader newer = new TreeReader(store, b)) {
      TreeDiff diff = new TreeDiff(older, changes::add);
      diff.newer(newer);
      s = diff.finish(false);
    }
    long read = store.bytesRead.get();
    assertEquals(10, s.modified(), changes.toString());
    assertEquals(10, changes.size());
    assertTrue(changes.stream().allMatch(c -> c.kind() == FileChange.Kind.MODIFIED), changes.toString());
    assertTrue(read * 100 <= treeBytes, "the diff read " + read + " of " + treeBytes + " tree bytes");
  }

}
