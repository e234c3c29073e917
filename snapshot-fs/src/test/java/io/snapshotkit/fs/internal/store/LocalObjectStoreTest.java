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
}
