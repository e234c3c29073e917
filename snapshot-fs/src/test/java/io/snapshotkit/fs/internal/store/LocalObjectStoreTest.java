package io.snapshotkit.fs.internal.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.fs.store.ObjectStore;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalObjectStoreTest {
  private static final int OPEN = LocalObjectStore.OPEN_FOR_READS;
  @TempDir
  Path dir;

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  @DisplayName("a put never replaces an object: the second put of a name returns false and the first bytes stay")
  void putIfAbsentNeverReplaces() throws IOException {
    LocalObjectStore store = new LocalObjectStore(dir);
    assertTrue(store.putIfAbsent("packs/a.pack", bytes("first")));
    assertFalse(store.putIfAbsent("packs/a.pack", bytes("second")));
    assertArrayEquals(bytes("first"), store.get("packs/a.pack"));
    assertEquals(List.of("packs/a.pack"), store.list("packs/"), "no temporary file is left or listed");
    try (Stream<Path> files = Files.list(dir.resolve("packs"))) {
      assertEquals(1, files.count());
    }
  }

  @Test
  @DisplayName("putUnique creates the object; discard deletes it and takes a missing name silently (the interface's defaults)")
  void putUniqueAndDiscard() throws IOException {
    LocalObjectStore store = new LocalObjectStore(dir);
    store.putUnique("leases/capture.1.u.h", bytes("h"));
    assertArrayEquals(bytes("h"), store.get("leases/capture.1.u.h"));
    store.discard("leases/capture.1.u.h");
    store.discard("leases/capture.1.u.h");
    assertEquals(List.of(), store.list("leases/"));
  }

  @Test
  @DisplayName("an upload is invisible until published, and a discarded upload leaves nothing")
  void uploadVisibleOnlyWhenPublished() throws IOException {
    LocalObjectStore store = new LocalObjectStore(dir);
    try (ObjectStore.Upload u = store.upload("packs/b.pack")) {
      u.out().write(bytes("hello "));
      u.out().write(bytes("world"));
      assertEquals(11, u.written());
      assertEquals(List.of(), store.list("packs/"));
      assertTrue(u.publish());
    }
    assertArrayEquals(bytes("world"), store.getRange("packs/b.pack", 6, 5));
    assertEquals(11, store.size("packs/b.pack"));
    try (ObjectStore.Upload u = store.upload("packs/c.pack")) {
      u.out().write(bytes("abandoned"));
    }
    assertEquals(List.of("packs/b.pack"), store.list("packs/"));
    try (ObjectStore.Upload u = store.upload("packs/b.pack")) {
      u.out().write(bytes("other"));
      assertFalse(u.publish(), "a published name is never replaced");
    }
    assertArrayEquals(bytes("hello world"), store.get("packs/b.pack"));
    try (Stream<Path> files = Files.list(dir.resolve("packs"))) {
      assertEquals(1, files.count(), "no temporary file is left");
    }
  }

  @Test
  @DisplayName("list filters by prefix within a directory, get of a missing object and a range past the end fail")
  void listAndMissing() throws IOException {
    LocalObjectStore store = new LocalObjectStore(dir);
    store.putIfAbsent("index/i-2.idx", bytes("2"));
    store.putIfAbsent("index/i-1.idx", bytes("1"));
    store.putIfAbsent("index/x.idx", bytes("x"));
    store.putIfAbsent("format", bytes("v"));
    assertEquals(List.of("index/i-1.idx", "index/i-2.idx"), store.list("index/i-"));
    assertEquals(List.of("format", "index"), store.list(""));
    assertEquals(List.of(), store.list("nothing/"));
    assertThrows(NoSuchFileException.class, () -> store.get("index/none"));
    assertThrows(EOFException.class, () -> store.getRange("index/x.idx", 0, 2));
    assertTrue(store.delete("index/x.idx"));
    assertFalse(store.delete("index/x.idx"));
    assertThrows(IllegalArgumentException.class, () -> store.get("../escape"));
    assertThrows(IllegalArgumentException.class, () -> store.get("index/.tmp-x"));
    assertThrows(IllegalArgumentException.class, () -> store.get("a//b"));
  }

  @Test
  @DisplayName("removeTemporaries clears what an interrupted put left, and nothing else")
  void removeTemporariesClearsInterruptedPuts() throws IOException {
    LocalObjectStore store = new LocalObjectStore(dir);
    store.putIfAbsent("packs/kept.pack", bytes("k"));
    Files.write(dir.resolve("packs/.tmp-kept.pack-123"), bytes("torn"));
    store.removeTemporaries("packs");
    try (Stream<Path> files = Files.list(dir.resolve("packs"))) {
      assertEquals(List.of(dir.resolve("packs/kept.pack")), files.toList());
    }
  }

  /** The files under {@code dir} this process has open (Linux: /proc/self/fd). */
  private List<Path> openFilesUnder(Path under) throws IOException {
    List<Path> open = new java.util.ArrayList<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : fds.toList()) {
        try {
          Path target = Files.readSymbolicLink(fd);
          if (target.startsWith(under)) {
            open.add(target);
          }
        } catch (IOException e) {
          // the descriptor closed meanwhile
        }
      }
    }
    return open;
  }

  @Test
  @DisplayName("an exclusive store reads many ranges of a file through one open channel, keeps at most "
      + OPEN + " files open, closes a file's channel before deleting it and all of them on close")
  void anExclusiveStoreKeepsRecentlyReadFilesOpen() throws IOException {
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "Linux only");
    Path root = dir.toRealPath();
    LocalObjectStore store = LocalObjectStore.exclusive(root);
    for (int i = 0; i < LocalObjectStore.OPEN_FOR_READS + 4; i++) {
      assertTrue(store.putIfAbsent("packs/p" + i + ".pack", bytes("pack number " + i + " of several")));
    }
    for (int k = 0; k < 100; k++) {
      assertArrayEquals(bytes("number 0"), store.getRange("packs/p0.pack", 5, 8));
    }
    assertEquals(1, store.openForReads());
    assertEquals(List.of(root.resolve("packs/p0.pack")), openFilesUnder(root));
    for (int i = 0; i < LocalObjectStore.OPEN_FOR_READS + 4; i++) {
      assertArrayEquals(bytes("number " + i), store.getRange("packs/p" + i + ".pack", 5, 7 + String.valueOf(i).length()));
    }
    assertEquals(LocalObjectStore.OPEN_FOR_READS, store.openForReads());
    assertEquals(LocalObjectStore.OPEN_FOR_READS, openFilesUnder(root).size());

    String last = "packs/p" + (LocalObjectStore.OPEN_FOR_READS + 3) + ".pack";
    assertTrue(store.delete(last));
    assertFalse(openFilesUnder(root).contains(root.resolve(last)), "a deleted file is still held open");
    assertThrows(NoSuchFileException.class, () -> store.getRange(last, 0, 4), "read a deleted object");

    store.close();
    assertEquals(List.of(), openFilesUnder(root));
    assertArrayEquals(bytes("pack"), store.getRange("packs/p1.pack", 0, 4), "a closed store still reads, one open each");
    assertEquals(List.of(), openFilesUnder(root));
  }

  @Test
  @DisplayName("threads reading more files than are kept open, while others are deleted, get the right bytes or "
      + "NoSuchFileException, never a closed channel")
  void concurrentReadsEvictionsAndDeletes() throws Exception {
    LocalObjectStore store = LocalObjectStore.exclusive(dir);
    int files = LocalObjectStore.OPEN_FOR_READS * 3;
    for (int i = 0; i < files; i++) {
      store.putIfAbsent("packs/p" + i + ".pack", bytes(String.format("%08d", i).repeat(64)));
    }
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<Integer>> readers = new java.util.ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int seed = t;
        readers.add(pool.submit(() -> {
          java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
          int gone = 0;
          for (int k = 0; k < 3_000; k++) {
            int i = random.nextInt(files);
            try {
              byte[] got = store.getRange("packs/p" + i + ".pack", 8L * random.nextInt(64), 8);
              assertArrayEquals(bytes(String.format("%08d", i)), got);
            } catch (NoSuchFileException e) {
              gone++;
            }
          }
          return gone;
        }));
      }
      for (int i = 0; i < files; i += 3) {
        store.delete("packs/p" + i + ".pack");
        Thread.yield();
      }
      for (java.util.concurrent.Future<Integer> f : readers) {
        f.get(60, java.util.concurrent.TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
      store.close();
    }
  }
}
