package io.snapshotkit.fs.internal.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ContentSession#reuseReferenced}: a capture's unchanged files are pinned without an index
 * lookup while nothing was hidden from the index since the session began, and looked up (and
 * stored again when gone) after a sweep or on a store found damaged at open.
 */
class ReuseReferencedTest {
  @TempDir
  Path dir;
  private final ExecutorService pool = Executors.newFixedThreadPool(2);

  @AfterEach
  void stop() {
    pool.shutdownNow();
  }

  private FsRepository open() {
    return FsRepository.open(dir.resolve("repo"), 1, ContentStore.SMALL, pool);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static Digest hash(String text) {
    byte[] b = bytes(text);
    return Digest.hash(b, 0, b.length);
  }

  private static Digest store(ContentStore store, String text) throws IOException {
    try (ContentSession s = store.session()) {
      byte[] b = bytes(text);
      Digest d = s.storeSmall(b, b.length);
      s.flush();
      return d;
    }
  }

  @Test
  @DisplayName("while nothing was hidden since the session began, a referenced digest is taken as stored: no lookup")
  void trustsWithoutLookingUp() throws IOException {
    try (FsRepository repo = open()) {
      store(repo.content(), "stored");
      Digest neverStored = hash("never stored");
      try (ContentSession s = repo.content().session()) {
        // the caller's promise (a root read after the session began refers to it) is what is
        // trusted; a lookup would have answered false
        assertTrue(s.reuseReferenced(neverStored));
        assertFalse(s.reuse(neverStored), "reuse looks the digest up");
      }
    }
  }

  @Test
  @DisplayName("after a sweep hid content, a referenced digest is looked up: removed content is stored again")
  void looksUpAfterASweep() throws IOException {
    try (FsRepository repo = open()) {
      // one pack, mostly live: the sweep only hides the dropped record (the pack stays, no pack is
      // deleted), so nothing but the tombstone tells the session
      Digest kept;
      Digest dropped;
      try (ContentSession s = repo.content().session()) {
        byte[] k = bytes("kept ".repeat(2000));
        kept = s.storeSmall(k, k.length);
        byte[] d = bytes("dropped");
        dropped = s.storeSmall(d, d.length);
        s.flush();
      }
      try (ContentSession s = repo.content().session()) {
        Set<Digest> marked = new HashSet<>();
        repo.content().mark(kept, marked, null);
        long[] swept = repo.content().sweep(repo.content().generation(), marked, m -> { });
        assertEquals(1, swept[1], "the sweep removed the unmarked content");
        assertFalse(s.reuseReferenced(dropped), "gone since the session began: store it again");
        assertTrue(s.reuseReferenced(kept), "still stored, found by the lookup");
      }
      try (Stream<Path> packs = Files.list(dir.resolve("repo/packs"))) {
        assertEquals(1, packs.count(), "the pack was kept whole");
      }
    }
  }

  @Test
  @DisplayName("a sweep that removes nothing leaves the fast path on")
  void anEmptySweepChangesNothing() throws IOException {
    try (FsRepository repo = open()) {
      Digest kept = store(repo.content(), "kept");
      try (ContentSession s = repo.content().session()) {
        Set<Digest> marked = new HashSet<>();
        repo.content().mark(kept, marked, null);
        assertEquals(0, repo.content().sweep(repo.content().generation(), marked, m -> { })[1]);
        assertTrue(s.reuseReferenced(hash("never stored")), "nothing was hidden: still trusted");
      }
    }
  }

  @Test
  @DisplayName("a digest pinned on the fast path survives a sweep that does not mark it")
  void theFastPathPins() throws IOException {
    try (FsRepository repo = open()) {
      Digest d = store(repo.content(), "pinned by the capture");
      try (ContentSession s = repo.content().session()) {
        assertTrue(s.reuseReferenced(d));
        repo.content().sweep(repo.content().generation(), new HashSet<>(), m -> { });
        assertTrue(repo.content().contains(d), "the sweep marked the session's pin");
      }
    }
  }

  @Test
  @DisplayName("a store whose index names a pack that is gone looks every referenced digest up")
  void aDamagedStoreIsNotTrusted() throws IOException {
    Digest lost;
    String pack;
    try (FsRepository repo = open()) {
      store(repo.content(), "kept");
      lost = store(repo.content(), "in a pack deleted by hand");
      assertTrue(repo.content().trustReferences(), "a whole store is trusted");
      pack = repo.content().location(lost).orElseThrow().pack();
    }
    Files.delete(dir.resolve("repo").resolve(pack));
    try (FsRepository repo = open(); ContentSession s = repo.content().session()) {
      assertFalse(repo.content().trustReferences(), "the index names a pack that is gone");
      assertFalse(s.reuseReferenced(lost), "looked up, not trusted: the capture stores it again");
    }
  }

  @Test
  @DisplayName("on a shared store, a reload that finds a pack gone under an index file turns the trust off until it is whole")
  void aSharedStoreReloadFindingAPackGoneIsNotTrusted() throws IOException {
    io.snapshotkit.fs.internal.store.LocalObjectStore objects =
        new io.snapshotkit.fs.internal.store.LocalObjectStore(dir.resolve("shared"));
    ContentStore store = new ContentStore(objects, 1, ContentStore.SMALL, Runnable::run, true);
    Digest kept = store(store, "kept");
    Digest lost = store(store, "in a pack another host lost");
    store.refresh();
    assertTrue(store.trustReferences(), "every index file's packs exist");
    objects.delete(store.location(lost).orElseThrow().pack());
    store.refresh();
    assertFalse(store.trustReferences());
    try (ContentSession s = store.session()) {
      assertFalse(s.reuseReferenced(lost), "looked up: gone");
      assertTrue(s.reuseReferenced(kept), "looked up: still there");
    }
  }
}
