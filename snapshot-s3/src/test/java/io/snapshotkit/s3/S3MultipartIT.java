package io.snapshotkit.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.fs.store.ObjectStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.MultipartUpload;

/**
 * Incomplete multipart uploads are not left behind: a discarded one is aborted at once, and one
 * a killed process left is aborted by the next gc once it is older than a lease time, while
 * this process's own uploads in progress are kept whatever their age. S3Proxy's filesystem
 * backend implements ListMultipartUploads, ListParts and AbortMultipartUpload, so all of it runs
 * against the real server.
 */
@ExtendWith(SharedS3Proxy.class)
class S3MultipartIT {
  static S3ProxyServer server;
  @TempDir Path dir;

  @BeforeAll
  static void startServer() {
    server = SharedS3Proxy.server();
  }

  private static List<MultipartUpload> incomplete(String bucket) {
    try (S3Client c = server.client()) {
      return c.listMultipartUploads(b -> b.bucket(bucket)).uploads();
    }
  }

  @Test
  @DisplayName("an upload discarded after its first parts were sent is aborted: no incomplete multipart upload is left")
  void aDiscardedMultipartUploadIsAborted() throws Exception {
    String bucket = server.newBucket();
    try (S3ObjectStore store = server.store(bucket).partSize(5L << 20).build()) {
      try (ObjectStore.Upload u = store.upload("packs/p-discarded.pack")) {
        u.out().write(Tree.random(1, 12 << 20));
        assertTrue(server.awaitStoredPart(bucket, 60_000), "parts went up before the upload was discarded");
      }
      assertEquals(List.of(), incomplete(bucket));
      assertEquals(List.of(), store.list("packs/"));
    }
  }

  @Test
  @DisplayName("a process SIGKILLed mid-multipart: gc keeps its upload while younger than a lease time, then aborts it; "
      + "an upload this process still writes is never aborted")
  void gcAbortsTheUploadsOfAKilledProcess() throws Exception {
    String bucket = server.newBucket();
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
        "-cp", System.getProperty("java.class.path"), CrashingAgent.class.getName(), "upload",
        server.endpoint().toString(), bucket, dir.resolve("child").toString(), dir.resolve("unused").toString());
    Process child = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      StringBuilder log = new StringBuilder();
      while ((line = out.readLine()) != null && !line.equals("uploading")) {
        log.append(line).append('\n');
      }
      assertTrue(line != null, "the child started its upload: " + log);
      assertTrue(server.awaitStoredPart(bucket, 60_000), "the child's parts are stored");
      child.destroyForcibly();
      child.waitFor(30, TimeUnit.SECONDS);
    } finally {
      child.destroyForcibly();
    }
    assertEquals(1, incomplete(bucket).size());

    try (S3ObjectStore store = server.store(bucket).partSize(5L << 20).build()) {
      try (FsHostAgent longLease = FsHostAgent.builder().repository(dir.resolve("a")).hostId("a").objectStore(store)
          .leaseTime(Duration.ofMinutes(10)).build()) {
        longLease.gc();
        assertEquals(1, incomplete(bucket).size(), "younger than a lease time: it may be a live writer's, kept");
      }
      try (ObjectStore.Upload mine = store.upload("packs/p-mine.pack");
          FsHostAgent agent = FsHostAgent.builder().repository(dir.resolve("b")).hostId("b").objectStore(store)
              .leaseTime(Duration.ofMillis(500)).build()) {
        byte[] data = Tree.random(2, 6 << 20);
        mine.out().write(data);
        Thread.sleep(700); // both uploads are now older than the lease time
        agent.gc();
        List<MultipartUpload> left = incomplete(bucket);
        assertEquals(1, left.size(), "the killed process's upload was aborted: " + left);
        assertEquals("packs/p-mine.pack", left.get(0).key(), "this process's own upload is kept");
        assertTrue(mine.publish());
        assertEquals(6L << 20, store.size("packs/p-mine.pack"));
      }
      assertEquals(List.of(), incomplete(bucket));
    }
  }
}
