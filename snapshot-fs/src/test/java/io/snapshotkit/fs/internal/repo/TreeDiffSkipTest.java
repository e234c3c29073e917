package io.snapshotkit.fs.internal.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.fs.FileChange;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A diff of two snapshots walks their trees in step and never opens a subtree whose digest is
 * the same on both sides, and reports exactly what a diff of every entry reports ({@code
 * TreeDiffSkipIT} measures what it reads on a million files).
 */
class TreeDiffSkipTest {
  @Test
  @DisplayName("a diff that skips equal subtrees reports the same changes as one that reads every entry")
  void skippingDiffEqualsFullDiff() {
    MemoryTrees store = new MemoryTrees();
    List<Entry> before = TreeFormatPropertyTest.entries("v", List.of("a/b/c", "a/b/d", "a/e", "f/g", "h"), 1, 0);
    List<Entry> after = new ArrayList<>(TreeFormatPropertyTest.entries("v",
        List.of("a/b/c", "a/b/d", "a/e", "f/g/i", "h2"), 1, 0));
    SortedMap<String, Digest> x = store.build(before, List.of("v"), 1, 2);
    SortedMap<String, Digest> y = store.build(after, List.of("v"), 1, 2);
    List<FileChange> skipping = new ArrayList<>();
    try (TreeReader older = new TreeReader(store, x); TreeReader newer = new TreeReader(store, y)) {
      TreeDiff diff = new TreeDiff(older, skipping::add);
      diff.newer(newer);
      diff.finish(false);
    }
    List<FileChange> full = new ArrayList<>();
    try (TreeReader older = new TreeReader(store, x); TreeReader newer = new TreeReader(store, y)) {
      TreeDiff diff = new TreeDiff(older, full::add);
      newer.forEachRemaining(diff::newer);
      diff.finish(false);
    }
    assertEquals(full, skipping);
    assertTrue(full.size() >= 3, full.toString());
  }
}
