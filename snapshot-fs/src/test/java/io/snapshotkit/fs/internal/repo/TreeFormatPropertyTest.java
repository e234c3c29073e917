package io.snapshotkit.fs.internal.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.fs.FileType;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The directory tree format: any entry stream in order (any names, any field values, parents
 * listed or not) reads back exactly, in the same order, however directories are cut into leaves
 * and index levels, and the same entries always make the same digests.
 */
class TreeFormatPropertyTest {

  @Provide
  Arbitrary<String> names() {
    // any char but '/' and NUL: surrogates (paired or not), supplementary characters, controls
    return Arbitraries.strings().all().excludeChars('/', '\0').ofMinLength(1).ofMaxLength(12);
  }

  @Provide
  Arbitrary<List<String>> paths() {
    return names().list().ofMinSize(1).ofMaxSize(4).map(l -> String.join("/", l)).list().ofMinSize(1).ofMaxSize(60);
  }

  /**
   * Entries for {@code paths}: each path's parents are directories, listed unless {@code
   * hideEvery} picks them; leaves get a type by position.
   */
  static List<Entry> entries(String volume, List<String> paths, long seed, int hideEvery) {
    Set<String> all = new TreeSet<>(PathOrder::compare);
    for (String p : paths) {
      all.add(p);
      for (int i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) {
        all.add(p.substring(0, i));
      }
    }
    List<Entry> out = new ArrayList<>();
    int i = 0;
    List<String> sorted = new ArrayList<>(all);
    for (int k = 0; k < sorted.size(); k++) {
      String p = sorted.get(k);
      boolean parent = k + 1 < sorted.size() && sorted.get(k + 1).startsWith(p + "/");
      i++;
      if (parent && hideEvery > 0 && i % hideEvery == 0) {
        continue;
      }
      FileType type = parent ? FileType.DIRECTORY : FileType.values()[Math.floorMod(seed + i, 3)];
      boolean owner = (seed + i) % 4 != 3;
      out.add(new Entry(volume, p, type, (int) ((seed * 31 + i * 273) & 07777), type == FileType.FILE ? i * 1000L : 0,
          seed + i, seed - i, i % 5 == 0 ? Entry.UNKNOWN : seed ^ i,
          type == FileType.FILE ? Digest.hash(p.getBytes(StandardCharsets.UTF_8), 0, p.length() > 0 ? 1 : 0) : null,
          type == FileType.SYMLINK ? p + "-target" : null, type == FileType.FILE && i % 7 == 6,
          owner ? (int) (seed & 0xFFFF) : Entry.NO_OWNER, owner ? i : Entry.NO_OWNER));
    }
    return out;
  }

  private static List<Entry> read(MemoryTrees store, SortedMap<String, Digest> roots) {
    List<Entry> read = new ArrayList<>();
    try (TreeReader r = new TreeReader(store, roots)) {
      r.forEachRemaining(read::add);
    }
    return read;
  }

  @Property(tries = 300)
  @Label("every entry reads back exactly and in order, for any leaf and index size, parents listed or implicit")
  void roundTrip(@ForAll("paths") List<String> a, @ForAll("paths") List<String> b, @ForAll long seed,
      @ForAll @IntRange(min = 0, max = 4) int hideEvery, @ForAll @IntRange(min = 1, max = 5) int leaf,
      @ForAll @IntRange(min = 2, max = 4) int fanout) {
    List<Entry> entries = new ArrayList<>(entries("a", a, seed, hideEvery));
    entries.addAll(entries("b.v", b, seed + 1, 0));
    MemoryTrees store = new MemoryTrees();
    List<String> volumes = List.of("a", "b.v", "empty");
    SortedMap<String, Digest> small = store.build(entries, volumes, leaf, fanout);
    SortedMap<String, Digest> standard = store.build(entries, volumes, TreeNode.LEAF_ENTRIES, TreeNode.FANOUT);
    assertEquals(entries, read(store, small));
    assertEquals(entries, read(store, standard));
    assertEquals(small, store.build(entries, volumes, leaf, fanout), "the same entries make the same trees");
    assertEquals(volumes, List.copyOf(standard.keySet()), "an empty volume still has its (empty) tree");
  }

  @Property(tries = 100)
  @Label("changing one entry changes its tree and every tree above it, and no other")
  void oneChangeChangesOnlyTheTreesAboveIt(@ForAll("paths") List<String> paths, @ForAll long seed,
      @ForAll @IntRange(min = 0, max = 1000) int pick) {
    List<Entry> entries = entries("v", paths, seed, 0);
    MemoryTrees store = new MemoryTrees();
    SortedMap<String, Digest> before = store.build(entries, List.of("v"), 2, 2);
    int i = pick % entries.size();
    Entry e = entries.get(i);
    List<Entry> changed = new ArrayList<>(entries);
    changed.set(i, new Entry(e.volume(), e.path(), e.type(), e.mode() ^ 01, e.size(), e.mtimeNanos(), e.inode(),
        e.ctimeNanos(), e.digest(), e.linkTarget(), e.torn(), e.uid(), e.gid()));
    int objects = store.objects.size();
    SortedMap<String, Digest> after = store.build(changed, List.of("v"), 2, 2);
    assertNotEquals(before, after);
    assertEquals(changed, read(store, after));
    int depth = (int) e.path().chars().filter(c -> c == '/').count() + 1;
    // per directory on the way: at most its leaf and the index nodes above it (small trees: a few)
    int added = store.objects.size() - objects;
    assertEquals(true, added <= depth * 8, added + " new objects for one change at depth " + depth);
  }

  @Example
  @Label("a directory of 250,000 entries is cut into leaves and two index levels, and reads back in order")
  void largeDirectoryIsSplitIntoBoundedObjects() {
    List<Entry> entries = new ArrayList<>();
    entries.add(new Entry("v", "big", FileType.DIRECTORY, 0755, 0, 1, 2, 3, null, null, false, 0, 0));
    for (int i = 0; i < 250_000; i++) {
      String p = "big/f" + i;
      entries.add(new Entry("v", p, FileType.SYMLINK, 0777, 1, i, i, i, null, "t", false, 0, 0));
    }
    entries.sort((x, y) -> x.compareKey(y));
    MemoryTrees store = new MemoryTrees();
    SortedMap<String, Digest> roots = store.build(entries, List.of("v"), 100, 50);
    int largest = store.objects.values().stream().mapToInt(o -> o.length).max().orElseThrow();
    assertEquals(true, largest < 16 << 10, "largest tree object " + largest + " bytes");
    List<Entry> read = read(store, roots);
    assertEquals(entries.size(), read.size());
    assertEquals(entries, read);
  }

  @Example
  @Label("an entry under a file, or a damaged tree object, is refused")
  void entryUnderAFileAndDamagedObjectsAreRefused() {
    MemoryTrees store = new MemoryTrees();
    TreeBuilder b = new TreeBuilder(store);
    b.add(new Entry("v", "a", FileType.FILE, 0644, 0, 0, 0, 0, Digest.hash(new byte[0], 0, 0), null, false, 0, 0));
    b.add(new Entry("v", "a/b", FileType.SYMLINK, 0777, 1, 0, 0, 0, null, "x", false, 0, 0));
    SnapshotException e = assertThrows(SnapshotException.class, () -> b.finish(List.of("v")));
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), e.getMessage());

    SortedMap<String, Digest> roots = store.build(entries("v", List.of("x/y", "z"), 1, 0), List.of("v"), 1000, 1000);
    Digest root = roots.get("v");
    byte[] bytes = store.objects.get(root);
    for (int cut : new int[] {3, bytes.length / 2, bytes.length - 1}) {
      store.objects.put(root, java.util.Arrays.copyOf(bytes, cut));
      SnapshotException damaged = assertThrows(SnapshotException.class, () -> read(store, roots));
      assertEquals(ErrorCode.CORRUPT, damaged.code());
    }
  }
}
