package io.snapshotkit.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.SnapshotId;
import io.snapshotkit.fs.FsHostAgent;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the store asks the bucket for, counted from the S3 server's own request log: every request
 * is a round trip (and, in a fresh process, often the first of its kind, which the SDK pays extra
 * for), so the ones that tell the store nothing new are not sent.
 */
class S3RequestsIT {
  @TempDir static Path serverDir;
  static S3ProxyServer server;
  @TempDir Path dir;

  @BeforeAll
  static void startServer() throws Exception {
    server = new S3ProxyServer(serverDir).start();
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  /** The requests {@code action} sent, as {@code METHOD /bucket/key?query}. */
  static List<String> requestsOf(Action action) throws Exception {
    int before = server.requests().size();
    action.run();
    List<String> all = server.requests();
    return all.subList(before, all.size());
  }

  interface Action {
    void run() throws Exception;
  }

  static long count(List<String> requests, String start) {
    return requests.stream().filter(r -> r.startsWith(start)).count();
  }

  @Test
  @DisplayName("the start-up check of the bucket is four requests: list, and a probe object put, read, deleted")
  void startUpCheckIsFourRequests() throws Exception {
    String bucket = server.newBucket();
    S3ObjectStore[] store = new S3ObjectStore[1];
    List<String> sent = requestsOf(() -> store[0] = server.store(bucket).cacheDirectory(dir.resolve("cache")).build());
    store[0].close();
    assertEquals(4, sent.size(), "requests: " + sent);
    assertTrue(sent.get(0).startsWith("GET /" + bucket + "?list-type=2"), sent.get(0));
    assertTrue(sent.get(1).startsWith("PUT /" + bucket + "/probe-"), sent.get(1));
    assertTrue(sent.get(2).startsWith("GET /" + bucket + "/probe-"), sent.get(2));
    assertTrue(sent.get(3).startsWith("DELETE /" + bucket + "/probe-"), sent.get(3));
  }

  @Test
  @DisplayName("on an existing repository the start-up check reads its format object instead of a probe, and the agent's read of it costs no request")
  void startUpOnARepositoryReadsTheFormatOnce() throws Exception {
    String bucket = server.newBucket();
    try (S3ObjectStore store = server.store(bucket).cacheDirectory(dir.resolve("cache-a")).build()) {
      S3RepositoryIT.agent(dir.resolve("host-a"), store, "a").close(); // it writes the repository's format object
    }
    S3ObjectStore[] store = new S3ObjectStore[1];
    List<String> sent = requestsOf(() -> store[0] = server.store(bucket).cacheDirectory(dir.resolve("cache-b")).build());
    try {
      assertEquals(4, sent.size(), "requests: " + sent);
      assertTrue(sent.get(0).startsWith("GET /" + bucket + "?list-type=2"), sent.get(0));
      assertTrue(sent.get(1).startsWith("PUT /" + bucket + "/probe-"), sent.get(1));
      assertEquals("GET /" + bucket + "/format", sent.get(2));
      assertTrue(sent.get(3).startsWith("DELETE /" + bucket + "/probe-"), sent.get(3));
      List<String> open = requestsOf(() -> S3RepositoryIT.agent(dir.resolve("host-b"), store[0], "b").close());
      assertEquals(0, count(open, "GET /" + bucket + "/format"), "the agent's open: " + open);
      // handed over once: a later read asks the bucket
      List<String> later = requestsOf(() -> assertEquals("snapshotkit-repository 2\n",
          new String(store[0].get("format"), java.nio.charset.StandardCharsets.UTF_8)));
      assertEquals(List.of("GET /" + bucket + "/format"), later);
    } finally {
      store[0].close();
    }
  }

  @Test
  @DisplayName("a capture sends no HEAD before its packs, index files and lease (random names) nor before deleting its lease; its root still checks")
  void uniqueNamesAreWrittenWithoutAHead() throws Exception {
    String bucket = server.newBucket();
    Path data = dir.resolve("live/data");
    Tree.fill(data, 3, 20, 50_000);
    try (S3ObjectStore store = server.store(bucket).cacheDirectory(dir.resolve("cache")).build();
        FsHostAgent a = S3RepositoryIT.agent(dir.resolve("host-a"), store, "a")) {
      a.track(S3RepositoryIT.W, Map.of("data", data));
      List<String> sent = requestsOf(() -> S3RepositoryIT.capture(a, S3RepositoryIT.nextId()));
      assertTrue(count(sent, "PUT /" + bucket + "/packs/") >= 1, "requests: " + sent);
      assertTrue(count(sent, "PUT /" + bucket + "/index/") >= 1, "requests: " + sent);
      assertEquals(1, count(sent, "PUT /" + bucket + "/leases/"), "requests: " + sent);
      assertEquals(1, count(sent, "DELETE /" + bucket + "/leases/"), "requests: " + sent);
      assertEquals(0, count(sent, "HEAD /" + bucket + "/packs/"), "requests: " + sent);
      assertEquals(0, count(sent, "HEAD /" + bucket + "/index/"), "requests: " + sent);
      assertEquals(0, count(sent, "HEAD /" + bucket + "/leases/"), "requests: " + sent);
      assertEquals(1, count(sent, "HEAD /" + bucket + "/snapshots/"), "a root is put if absent: " + sent);
      assertEquals(List.of(), store.list("leases/"), "the lease is gone");
    }
  }

  @Test
  @DisplayName("a capture's packs stay under the part size: single PUTs, no multipart upload, and the snapshot restores")
  void packsAreSinglePuts() throws Exception {
    String bucket = server.newBucket();
    Path data = dir.resolve("live/data");
    Tree.write(data.resolve("large.bin"), Tree.random(9, 13 << 20));
    Tree.fill(data.resolve("small"), 3, 20, 50_000);
    SnapshotId id = S3RepositoryIT.nextId();
    try (S3ObjectStore store = server.store(bucket).partSize(5L << 20).cacheDirectory(dir.resolve("cache")).build();
        FsHostAgent a = S3RepositoryIT.agent(dir.resolve("host-a"), store, "a")) {
      assertEquals(3L << 20, store.packTarget());
      a.track(S3RepositoryIT.W, Map.of("data", data));
      List<String> sent = requestsOf(() -> S3RepositoryIT.capture(a, id));
      assertEquals(0, sent.stream().filter(r -> r.startsWith("POST ")).count(), "no multipart upload: " + sent);
      List<String> packs = store.list("packs/");
      assertTrue(packs.size() >= 4, "13 MiB of new content in packs of about 3 MiB: " + packs);
      assertEquals(packs.size(), count(sent, "PUT /" + bucket + "/packs/"), "one PUT per pack: " + sent);
      for (String p : packs) {
        assertTrue(store.size(p) <= 5L << 20, p + " is " + store.size(p) + " bytes");
      }
      Path out = dir.resolve("restored");
      S3RepositoryIT.restoreInto(a, id, out);
      assertEquals(Tree.state(data), Tree.state(out.resolve("data")));
    }
  }

  @Test
  @DisplayName("discard deletes without a HEAD, also a name that does not exist")
  void discardSendsOneRequest() throws Exception {
    String bucket = server.newBucket();
    try (S3ObjectStore store = server.store(bucket).cacheDirectory(dir.resolve("cache")).build()) {
      store.putUnique("index/i-1.idx", new byte[10]);
      assertEquals(10, store.get("index/i-1.idx").length);
      List<String> sent = requestsOf(() -> {
        store.discard("index/i-1.idx");
        store.discard("index/i-2.idx");
      });
      assertEquals(List.of("DELETE /" + bucket + "/index/i-1.idx", "DELETE /" + bucket + "/index/i-2.idx"), sent);
      assertThrows(java.nio.file.NoSuchFileException.class, () -> store.get("index/i-1.idx"), "not read from the cache");
      assertEquals(List.of(), store.list("index/"));
    }
  }

  @Test
  @DisplayName("the size of a cached pack or index file is answered from the cache; others ask the bucket")
  void sizeOfACachedObjectSendsNoRequest() throws Exception {
    String bucket = server.newBucket();
    try (S3ObjectStore store = server.store(bucket).cacheDirectory(dir.resolve("cache")).build()) {
      byte[] data = new byte[1000];
      assertTrue(store.putIfAbsent("index/i-1.idx", data));
      assertTrue(store.putIfAbsent("snapshots/t/w/x.root", data));
      long[] size = new long[2];
      List<String> sent = requestsOf(() -> {
        size[0] = store.size("index/i-1.idx");
        size[1] = store.size("snapshots/t/w/x.root");
      });
      assertEquals(1000, size[0]);
      assertEquals(1000, size[1]);
      assertEquals(List.of("HEAD /" + bucket + "/snapshots/t/w/x.root"), sent);
      // a delete still says whether the bucket held it, cache or not
      assertTrue(store.delete("index/i-1.idx"));
      assertEquals(false, store.delete("index/i-1.idx"));
    }
  }

  @Test
  @DisplayName("the size of an index file the last listing named costs no request; a deleted one is asked again")
  void sizeOfAListedObjectSendsNoRequest() throws Exception {
    String bucket = server.newBucket();
    try (S3ObjectStore a = server.store(bucket).cacheDirectory(dir.resolve("cache-a")).build();
        S3ObjectStore b = server.store(bucket).cacheDirectory(dir.resolve("cache-b")).build()) {
      assertTrue(a.putIfAbsent("index/i-1.idx", new byte[700]));
      assertTrue(a.putIfAbsent("index/i-2.idx", new byte[300]));
      assertEquals(List.of("index/i-1.idx", "index/i-2.idx"), b.list("index/"));
      long[] size = new long[2];
      List<String> sent = requestsOf(() -> {
        size[0] = b.size("index/i-1.idx");
        size[1] = b.size("index/i-2.idx");
      });
      assertEquals(700, size[0]);
      assertEquals(300, size[1]);
      assertEquals(List.of(), sent);
      assertTrue(b.delete("index/i-1.idx"));
      assertThrows(java.nio.file.NoSuchFileException.class, () -> b.size("index/i-1.idx"));
      assertTrue(a.delete("index/i-2.idx"));
      assertEquals(List.of(), b.list("index/"));
      assertThrows(java.nio.file.NoSuchFileException.class, () -> b.size("index/i-2.idx"));
    }
  }

  @Test
  @DisplayName("put-if-absent asks the bucket, not the cache: a name another host deleted is free again")
  void putIfAbsentIgnoresAStaleCachedCopy() throws Exception {
    String bucket = server.newBucket();
    try (S3ObjectStore a = server.store(bucket).cacheDirectory(dir.resolve("cache-a")).build();
        S3ObjectStore b = server.store(bucket).cacheDirectory(dir.resolve("cache-b")).build()) {
      assertTrue(a.putIfAbsent("index/i-1.idx", new byte[] {1}));
      assertEquals(false, a.putIfAbsent("index/i-1.idx", new byte[] {2}));
      assertTrue(b.delete("index/i-1.idx"));
      assertTrue(a.putIfAbsent("index/i-1.idx", new byte[] {3}), "a's cached copy is stale");
      assertEquals(3, b.get("index/i-1.idx")[0]);
    }
  }

  @Test
  @DisplayName("a restore on a fresh host lists the bucket's index files once after reading the root, not at every root read")
  void restoreRefreshesTheIndexOncePerRoot() throws Exception {
    String bucket = server.newBucket();
    Path data = dir.resolve("live/data");
    Tree.fill(data, 7, 20, 50_000);
    SnapshotId id = S3RepositoryIT.nextId();
    try (S3ObjectStore store = server.store(bucket).cacheDirectory(dir.resolve("cache-a")).build();
        FsHostAgent a = S3RepositoryIT.agent(dir.resolve("host-a"), store, "a")) {
      a.track(S3RepositoryIT.W, Map.of("data", data));
      S3RepositoryIT.capture(a, id);
    }
    try (S3ObjectStore store = server.store(bucket).cacheDirectory(dir.resolve("cache-b")).build();
        FsHostAgent b = S3RepositoryIT.agent(dir.resolve("host-b"), store, "b")) {
      Path out = dir.resolve("restored");
      List<String> sent = requestsOf(() -> S3RepositoryIT.restoreInto(b, id, out));
      assertEquals(Tree.state(data), Tree.state(out.resolve("data")));
      long rootReads = count(sent, "GET /" + bucket + "/snapshots/");
      assertTrue(rootReads >= 2, "the restore reads its root more than once: " + sent);
      assertEquals(1, count(sent, "GET /" + bucket + "?list-type=2&prefix=index"), "index listings: " + sent);
    }
  }

  @Test
  @DisplayName("an incremental capture in a new process lists the index once, after its lease: its parent's root, listed before, needs no refresh of its own")
  void incrementalCaptureRefreshesTheIndexOnce() throws Exception {
    String bucket = server.newBucket();
    Path data = dir.resolve("live/data");
    Tree.fill(data, 5, 20, 50_000);
    try (S3ObjectStore store = server.store(bucket).cacheDirectory(dir.resolve("cache")).build();
        FsHostAgent a = S3RepositoryIT.agent(dir.resolve("host"), store, "a")) {
      a.track(S3RepositoryIT.W, Map.of("data", data));
      S3RepositoryIT.capture(a, S3RepositoryIT.nextId());
    }
    Tree.write(data.resolve("d0/next.txt"), "version 2".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    try (S3ObjectStore store = server.store(bucket).cacheDirectory(dir.resolve("cache")).build();
        FsHostAgent a = S3RepositoryIT.agent(dir.resolve("host"), store, "a")) {
      SnapshotId id = S3RepositoryIT.nextId();
      List<String> sent = requestsOf(() -> S3RepositoryIT.capture(a, id));
      assertEquals(1, count(sent, "GET /" + bucket + "/snapshots/"), "it reads its parent's root: " + sent);
      assertEquals(1, count(sent, "GET /" + bucket + "?list-type=2&prefix=index"), "index listings: " + sent);
      Path out = dir.resolve("restored");
      S3RepositoryIT.restoreInto(a, id, out);
      assertEquals(Tree.state(data), Tree.state(out.resolve("data")));
    }
  }

  @Test
  @DisplayName("concurrent range reads of a pack missing from the cache share one download, and each gets its bytes")
  void rangeReadsShareOneDownload() throws Exception {
    String bucket = server.newBucket();
    byte[] data = Tree.random(11, 12 << 20);
    try (S3ObjectStore writer = server.store(bucket).cacheDirectory(dir.resolve("cache-a")).build()) {
      assertTrue(writer.putIfAbsent("packs/p-1.pack", data));
    }
    try (S3ObjectStore store = server.store(bucket).cacheDirectory(dir.resolve("cache-b")).build()) {
      java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
      try {
        List<String> sent = requestsOf(() -> {
          List<java.util.concurrent.Future<?>> reads = new java.util.ArrayList<>();
          for (int t = 0; t < 8; t++) {
            java.util.SplittableRandom r = new java.util.SplittableRandom(t);
            reads.add(pool.submit(() -> {
              for (int i = 0; i < 200; i++) {
                int length = r.nextInt(1, 70_000);
                int offset = r.nextInt(data.length - length);
                assertTrue(java.util.Arrays.equals(data, offset, offset + length,
                    store.getRange("packs/p-1.pack", offset, length), 0, length), "range " + offset + "+" + length);
              }
              return null;
            }));
          }
          for (var f : reads) {
            f.get();
          }
        });
        assertEquals(List.of("GET /" + bucket + "/packs/p-1.pack"), sent);
      } finally {
        pool.shutdownNow();
      }
      assertTrue(java.util.Arrays.equals(data, store.getRange("packs/p-1.pack", 0, data.length)));
    }
  }
}
