package io.snapshotkit.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.fs.store.ObjectStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upload's bytes wait in the cache file being filled (packs and index files) or in memory
 * (other objects, or when the cache cannot take the file): either way every size around the part
 * size, written in pieces of any length, arrives byte for byte, as one PUT or as a multipart
 * upload, and the cached copy is the object.
 */
@ExtendWith(SharedS3Proxy.class)
class S3UploadIT {
  private static final int PART = 5 << 20;
  /** Sizes around one and two parts: one PUT up to a part, multipart above it. */
  private static final List<Integer> SIZES = List.of(0, 1, PART - 1, PART, PART + 1, 2 * PART, 2 * PART + 12_345);
  static S3ProxyServer server;
  @TempDir Path dir;

  @BeforeAll
  static void startServer() {
    server = SharedS3Proxy.server();
  }

  /** Writes {@code data} in pieces of 1 byte to 3 parts, the way a pack's records arrive (and larger). */
  private static void writeInPieces(ObjectStore.Upload u, byte[] data, long seed) throws Exception {
    SplittableRandom r = new SplittableRandom(seed);
    int at = 0;
    while (at < data.length) {
      int n = Math.min(data.length - at, switch (r.nextInt(4)) {
        case 0 -> 1;
        case 1 -> r.nextInt(1, 70_000);
        case 2 -> r.nextInt(1, 1 << 20);
        default -> r.nextInt(1, 3 * PART); // one write spanning parts
      });
      u.out().write(data, at, n);
      at += n;
    }
    assertEquals(data.length, u.written());
  }

  private void roundTrip(S3ObjectStore.Builder builder, String bucket, String prefix) throws Exception {
    try (S3ObjectStore store = builder.build()) {
      for (int i = 0; i < SIZES.size(); i++) {
        byte[] data = Tree.random(i, SIZES.get(i));
        try (ObjectStore.Upload u = store.uploadUnique(prefix + i)) {
          writeInPieces(u, data, i);
          assertTrue(u.publish());
        }
      }
    }
    try (S3ObjectStore fresh = server.store(bucket).cacheDirectory(dir.resolve("fresh-" + prefix.replace('/', '-')))
        .build()) {
      for (int i = 0; i < SIZES.size(); i++) {
        byte[] data = Tree.random(i, SIZES.get(i));
        assertEquals(data.length, fresh.size(prefix + i), prefix + i + "'s size in the bucket");
        assertArrayEquals(data, fresh.get(prefix + i), prefix + i + " read from the bucket by a store with an empty cache");
      }
    }
  }

  @Test
  @DisplayName("packs spooled to the cache file: every size around the part size arrives whole, and the cached copy is it")
  void cachedObjectsUploadFromTheCacheFile() throws Exception {
    String bucket = server.newBucket();
    Path cache = dir.resolve("cache");
    roundTrip(server.store(bucket).partSize(PART).cacheDirectory(cache), bucket, "packs/p-");
    for (int i = 0; i < SIZES.size(); i++) {
      assertArrayEquals(Tree.random(i, SIZES.get(i)), Files.readAllBytes(cache.resolve("packs/p-" + i)),
          "the cached copy of packs/p-" + i);
    }
    try (var left = Files.list(cache.resolve("packs"))) {
      assertFalse(left.anyMatch(p -> p.getFileName().toString().startsWith(".part-")), "no spool file is left");
    }
  }

  @Test
  @DisplayName("a cache that cannot take the file: packs wait in memory and arrive whole")
  void packsWaitInMemoryWhenTheCacheFails() throws Exception {
    String bucket = server.newBucket();
    Path cache = dir.resolve("broken-cache");
    Files.createDirectories(cache);
    Files.writeString(cache.resolve("packs"), "a file where the cache wants a directory");
    roundTrip(server.store(bucket).partSize(PART).cacheDirectory(cache), bucket, "packs/p-");
  }

  @Test
  @DisplayName("objects the cache does not keep (roots) wait in memory, up to a part, and arrive whole")
  void uncachedObjectsWaitInMemory() throws Exception {
    String bucket = server.newBucket();
    roundTrip(server.store(bucket).partSize(PART).cacheDirectory(dir.resolve("cache")), bucket, "snapshots/t/w/r-");
  }
}
