package io.snapshotkit.fs.internal.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The content layer of repository format 2: chunked contents, their digests, and the format file. */
class ChunkedContentTest {
  @TempDir
  Path dir;
  private final ExecutorService pool = Executors.newFixedThreadPool(2);

  @AfterEach
  void stop() {
    pool.shutdownNow();
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new SplittableRandom(seed).nextBytes(b);
    return b;
  }

  private static byte[] readAll(InputStream in) throws IOException {
    try (in) {
      return in.readAllBytes();
    }
  }

  private FsRepository open() {
    return FsRepository.open(dir.resolve("repo"), 1, ContentStore.SMALL, pool);
  }

  @Test
  @DisplayName("a large content is stored as chunks on the executor, opens byte for byte, and an insertion stores only a few new chunks")
  void chunkedContentRoundTripsAndDedupsAfterInsertion() throws IOException {
    byte[] v1 = random(8 << 20, 1);
    byte[] v2 = new byte[v1.length + 1000];
    System.arraycopy(v1, 0, v2, 0, 4 << 20);
    System.arraycopy(random(1000, 2), 0, v2, 4 << 20, 1000);
    System.arraycopy(v1, 4 << 20, v2, (4 << 20) + 1000, v1.length - (4 << 20));
    try (FsRepository repo = open()) {
      Digest d1;
      Digest d2;
      long first;
      long second;
      try (ContentSession s = repo.content().session()) {
        d1 = s.storeStream(new ByteArrayInputStream(v1), pool);
        s.flush();
        first = s.storedBytes();
      }
      try (ContentSession s = repo.content().session()) {
        d2 = s.storeStream(new ByteArrayInputStream(v2), pool);
        s.flush();
        second = s.storedBytes();
      }
      assertTrue(repo.content().isList(d1));
      assertArrayEquals(v1, readAll(repo.content().open(d1)));
      assertArrayEquals(v2, readAll(repo.content().open(d2)));
      assertTrue(first > v1.length, "random data does not compress: " + first);
      assertTrue(second < 3 * io.snapshotkit.fs.internal.chunk.FastCdc.MAX,
          "a 1000-byte insertion stores the one or two chunks around it and a new list, not " + second + " bytes");
      assertEquals(Digest.hash(v2, 0, v2.length), repo.content().sha256(d2), "archives get the file's SHA-256");
    }
  }

  @Test
  @DisplayName("the same bytes get the same digest whichever call stores or only digests them; a small content is named by its SHA-256")
  void sameBytesSameDigest() throws IOException {
    byte[] big = random(3 << 20, 3);
    byte[] small = "a small file".getBytes(StandardCharsets.UTF_8);
    try (FsRepository repo = open(); ContentSession s = repo.content().session()) {
      Digest streamed = s.storeStream(new ByteArrayInputStream(big), null);
      assertEquals(streamed, s.storeSmall(big, big.length));
      assertEquals(streamed, ContentSession.digestOf(new ByteArrayInputStream(big), ContentStore.SMALL, pool));
      assertEquals(streamed, s.storeStream(new ByteArrayInputStream(big), pool));
      assertNotEquals(Digest.hash(big, 0, big.length), streamed);
      assertEquals(Digest.hash(small, 0, small.length), s.storeSmall(small, small.length));
      assertEquals(Digest.hash(small, 0, small.length), s.storeStream(new ByteArrayInputStream(small), pool),
          "a stream under the threshold is stored whole");
    }
  }

  @Test
  @DisplayName("a chunk list's digest is not the SHA-256 of its encoding, so a file with those bytes never shares it")
  void listDigestIsDomainSeparated() throws IOException {
    byte[] big = random(2 << 20, 4);
    try (FsRepository repo = open(); ContentSession s = repo.content().session()) {
      Digest list = s.storeStream(new ByteArrayInputStream(big), null);
      s.flush();
      byte[] encoding = repo.content().object(list);
      Digest asFile = s.storeSmall(encoding, encoding.length);
      s.flush();
      assertNotEquals(list, asFile);
      assertArrayEquals(encoding, readAll(repo.content().open(asFile)), "the look-alike file reads as its own bytes");
      assertArrayEquals(big, readAll(repo.content().open(list)));
    }
  }

  @Test
  @DisplayName("a chunked content whose chunk is gone is not contained and opens as CORRUPT")
  void missingChunkMeansNotContained() throws IOException {
    byte[] big = random(2 << 20, 5);
    try (FsRepository repo = open()) {
      Digest list;
      try (ContentSession s = repo.content().session()) {
        list = s.storeStream(new ByteArrayInputStream(big), null);
        s.flush();
      }
      assertTrue(repo.content().contains(list));
      // a sweep that marks the list alone (not through mark, which would add its chunks) drops the chunks
      Set<Digest> marked = new HashSet<>(Set.of(list));
      repo.content().sweep(repo.content().generation(), marked, m -> { });
      assertFalse(repo.content().contains(list));
      SnapshotException e = assertThrows(SnapshotException.class, () -> readAll(repo.content().open(list)));
      assertEquals(ErrorCode.CORRUPT, e.code());
      Set<Digest> viaMark = new HashSet<>();
      repo.content().mark(list, viaMark, null);
      assertEquals(repo.content().list(list).chunks().size() + 1, viaMark.size(), "mark adds the list and its chunks");
    }
  }

  @Test
  @DisplayName("packs start with magic, format and an empty key id; every repository file is a write-once object")
  void packHeaderLeavesRoomForAKeyId() throws IOException {
    try (FsRepository repo = open(); ContentSession s = repo.content().session()) {
      s.storeSmall(new byte[] {1, 2, 3}, 3);
      s.flush();
    }
    Path pack;
    try (Stream<Path> packs = Files.list(dir.resolve("repo/packs"))) {
      pack = packs.findFirst().orElseThrow();
    }
    byte[] head = new byte[6];
    try (InputStream in = Files.newInputStream(pack)) {
      assertEquals(6, in.readNBytes(head, 0, 6));
    }
    assertArrayEquals(new byte[] {'S', 'K', 'P', '2', 1, 0}, head);
    try (Stream<Path> idx = Files.list(dir.resolve("repo/index"))) {
      assertEquals(1, idx.count());
    }
    assertEquals(RepositoryFormat.CURRENT, Files.readString(dir.resolve("repo/format")));
  }

  @Test
  @DisplayName("a format-1 repository (data, no format file) and an unknown format are refused with CONFLICT saying what to do")
  void otherFormatsAreRefused() throws IOException {
    Path v1 = dir.resolve("v1");
    Files.createDirectories(v1.resolve("packs"));
    Files.write(v1.resolve("packs/p-1.pack"), new byte[10]);
    SnapshotException e = assertThrows(SnapshotException.class, () -> FsRepository.open(v1, 1));
    assertEquals(ErrorCode.CONFLICT, e.code());
    assertTrue(e.getMessage().contains("format 1") && e.getMessage().contains("new, empty repository"), e.getMessage());
    assertTrue(Files.exists(v1.resolve("packs/p-1.pack")), "nothing of the old repository is touched");

    Path v3 = dir.resolve("v3");
    Files.createDirectories(v3);
    Files.writeString(v3.resolve("format"), "snapshotkit-repository 3\n");
    e = assertThrows(SnapshotException.class, () -> FsRepository.open(v3, 1));
    assertEquals(ErrorCode.CONFLICT, e.code());
    assertTrue(e.getMessage().contains("snapshotkit-repository 3"), e.getMessage());

    FsRepository.open(dir.resolve("fresh"), 1).close();
    FsRepository.open(dir.resolve("fresh"), 1).close();
    assertEquals(List.of("snapshotkit-repository 2"), Files.readAllLines(dir.resolve("fresh/format")));
  }

  @Test
  @DisplayName("a chunk list no snapshot refers to whose chunks are gone (a gc killed between packs) is garbage, not missing")
  void unreferencedListWithoutItsChunksIsNotMissing() throws IOException {
    byte[] big = random(2 << 20, 8);
    try (FsRepository repo = open()) {
      Digest list;
      try (ContentSession s = repo.content().session()) {
        list = s.storeStream(new ByteArrayInputStream(big), null);
        s.flush();
      }
      // what a gc killed after deleting the chunks' pack and before the list's leaves behind: the
      // list's record without its chunks, and no snapshot (S3CrashIT kills gcs on S3 so)
      repo.content().sweep(repo.content().generation(), new HashSet<>(Set.of(list)), m -> { });
      assertFalse(repo.content().contains(list), "its chunks are gone");
      io.snapshotkit.fs.CheckReport report = repo.check(false);
      assertTrue(report.ok(), "nothing a snapshot refers to is missing: " + report);
      repo.gc();
      assertFalse(repo.content().location(list).isPresent(), "the next gc removes the list");
    }
  }

  @Test
  @DisplayName("gc merges the index files into one that leaves removed contents out, so they stay gone after a reopen")
  void gcMergesIndexesWithoutRemovedContent() throws IOException {
    byte[] kept = random(3 << 20, 6);
    byte[] dropped = random(3 << 20, 7);
    Digest k;
    Digest d;
    try (FsRepository repo = open()) {
      try (ContentSession s = repo.content().session()) {
        k = s.storeStream(new ByteArrayInputStream(kept), pool);
        s.flush();
      }
      try (ContentSession s = repo.content().session()) {
        d = s.storeStream(new ByteArrayInputStream(dropped), pool);
        s.flush();
      }
      try (Stream<Path> idx = Files.list(dir.resolve("repo/index"))) {
        assertEquals(2, idx.count(), "one index per sealed pack");
      }
      Set<Digest> marked = new HashSet<>();
      repo.content().mark(k, marked, null);
      long[] swept = repo.content().sweep(repo.content().generation(), marked, m -> { });
      assertEquals(repo.content().list(k).chunks().size() + 0L, marked.size() - 1L);
      assertTrue(swept[1] > 1, "the dropped content's chunks and list: " + swept[1]);
      assertFalse(repo.content().contains(d));
    }
    try (Stream<Path> idx = Files.list(dir.resolve("repo/index"))) {
      assertEquals(1, idx.count(), "gc merged the index files");
    }
    try (Stream<Path> packs = Files.list(dir.resolve("repo/packs"))) {
      assertEquals(1, packs.count(), "the dropped content's pack was deleted");
    }
    try (FsRepository repo = open()) {
      assertFalse(repo.content().location(d).isPresent(), "removed content does not come back after a reopen");
      assertArrayEquals(kept, readAll(repo.content().open(k)));
    }
  }

  @Test
  @DisplayName("an executor that never runs anything stalls neither a chunked store nor a chunked read: the work runs in line")
  void stalledExecutorCannotDeadlock() throws IOException {
    java.util.concurrent.Executor stalled = task -> { };
    byte[] big = random(5 << 20, 8);
    try (FsRepository repo = FsRepository.open(dir.resolve("stalled"), 1, ContentStore.SMALL, stalled);
        ContentSession s = repo.content().session()) {
      Digest d = s.storeStream(new ByteArrayInputStream(big), stalled);
      s.flush();
      assertArrayEquals(big, readAll(repo.content().open(d)));
    }
  }
}
