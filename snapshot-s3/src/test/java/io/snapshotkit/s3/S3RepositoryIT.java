package io.snapshotkit.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Manifest;
import io.snapshotkit.RestoreMode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.CheckReport;
import io.snapshotkit.fs.DiffSummary;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.fs.GcReport;
import io.snapshotkit.fs.SnapshotArchive;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.CaptureResult;
import io.snapshotkit.spi.RestoreRequest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;

/** The directory agent's repository in a bucket of a real S3 server (S3Proxy, started by the test). */
@ExtendWith(SharedS3Proxy.class)
class S3RepositoryIT {
  static final WorkloadRef W = WorkloadRef.of("acme", "app");
  private static final AtomicLong IDS = new AtomicLong(1);
  static S3ProxyServer server;
  @TempDir Path dir;

  @BeforeAll
  static void startServer() {
    server = SharedS3Proxy.server();
  }

  static SnapshotId nextId() {
    return SnapshotId.generate(Instant.parse("2026-03-01T00:00:00Z").plusSeconds(IDS.getAndIncrement()),
        new SplittableRandom(IDS.get()));
  }

  static FsHostAgent agent(Path repo, S3ObjectStore store, String host) {
    return FsHostAgent.builder().repository(repo).hostId(host).objectStore(store).build();
  }

  static CaptureResult capture(FsHostAgent agent, SnapshotId id) {
    return agent.capture(new CaptureRequest(W, id, Optional.empty(), Optional.empty(), false));
  }

  static void restoreInto(FsHostAgent agent, SnapshotId id, Path target) {
    Manifest m = agent.manifest(W, id).orElseThrow();
    agent.restore(new RestoreRequest(W, id, m, RestoreMode.REPLACE, Optional.of(target.toString()), List.of()));
  }

  @Test
  @DisplayName("capture, incremental capture, diff, restore, delete, gc and check all work on a bucket")
  void everyOperationWorksOnABucket() throws Exception {
    String bucket = server.newBucket();
    Path data = dir.resolve("live/data");
    Tree.fill(data, 1, 20, 40_000);
    Tree.write(data.resolve("big.bin"), Tree.random(2, 3 << 20)); // chunked
    try (S3ObjectStore store = server.store(bucket).build(); FsHostAgent agent = agent(dir.resolve("repo"), store, "a")) {
      agent.track(W, Map.of("data", data));
      SnapshotId first = nextId();
      capture(agent, first);
      Map<String, String> firstState = Tree.state(data);

      Tree.write(data.resolve("d1/new.txt"), "added".getBytes());
      Files.delete(data.resolve("d2/f2.bin"));
      SnapshotId second = nextId();
      CaptureResult incremental = capture(agent, second);
      assertTrue(incremental.sizeBytes() < 200_000, "the incremental capture stored only what changed: "
          + incremental.sizeBytes());

      DiffSummary diff = agent.diff(W, first, Optional.of(second), c -> { });
      assertEquals(1, diff.added());
      assertEquals(1, diff.removed());
      assertEquals(0, diff.modified());

      Path out = dir.resolve("restored");
      restoreInto(agent, first, out);
      assertEquals(firstState, Tree.state(out.resolve("data")));

      assertEquals(io.snapshotkit.spi.DeleteOutcome.DELETED, agent.delete(W, first));
      assertEquals(io.snapshotkit.spi.DeleteOutcome.NOT_FOUND, agent.delete(W, first), "a second delete has a definite answer");
      assertEquals(List.of(second), agent.snapshots(W));
      GcReport gc = agent.gc();
      assertTrue(gc.contentsRemoved() >= 1, "the deleted snapshot's only content went: " + gc);
      CheckReport check = agent.check(false);
      assertTrue(check.ok(), check.toString());
      assertEquals(0, agent.gc().contentsRemoved(), "a second gc finds nothing left unreferenced");
      Path again = dir.resolve("restored-2");
      restoreInto(agent, second, again);
      assertEquals(Tree.state(data), Tree.state(again.resolve("data")));
    }
    assertFalse(Files.exists(dir.resolve("repo/packs")), "packs live in the bucket, not the local directory");
  }

  @Test
  @DisplayName("after the local directory is deleted, a fresh agent restores byte-for-byte from the bucket and continues the version line")
  void freshAgentRestoresFromTheBucket() throws Exception {
    String bucket = server.newBucket();
    Path data = dir.resolve("live/data");
    Tree.fill(data, 3, 30, 100_000);
    Map<String, String> captured = Tree.state(data);
    SnapshotId first = nextId();
    Path repoA = dir.resolve("host-a");
    Path cacheA = dir.resolve("cache-a");
    try (S3ObjectStore store = server.store(bucket).cacheDirectory(cacheA).build();
        FsHostAgent a = agent(repoA, store, "a")) {
      a.track(W, Map.of("data", data));
      capture(a, first);
    }
    deleteTree(repoA);
    deleteTree(cacheA);

    try (S3ObjectStore store = server.store(bucket).cacheDirectory(dir.resolve("cache-b")).build();
        FsHostAgent b = agent(dir.resolve("host-b"), store, "b")) {
      assertEquals(List.of(first), b.snapshots(W));
      Path out = dir.resolve("restored");
      restoreInto(b, first, out);
      assertEquals(captured, Tree.state(out.resolve("data")));

      b.track(W, Map.of("data", out.resolve("data")));
      Tree.write(out.resolve("data/d0/next.txt"), "version 2".getBytes());
      SnapshotId second = nextId();
      CaptureResult next = b.capture(new CaptureRequest(W, second, Optional.of(first), Optional.empty(), false));
      assertTrue(next.sizeBytes() < 100_000, "B's capture dedups A's content: " + next.sizeBytes());
      assertEquals(List.of(first, second), b.snapshots(W));
      assertTrue(b.check(false).ok());
    }
  }

  @Test
  @DisplayName("a snapshot exports from a bucket-backed agent and imports into another agent on the same bucket")
  void exportAndImportOnABucket() throws Exception {
    String bucket = server.newBucket();
    Path data = dir.resolve("live/data");
    Tree.fill(data, 4, 10, 50_000);
    SnapshotId id = nextId();
    ByteArrayOutputStream archive = new ByteArrayOutputStream();
    try (S3ObjectStore store = server.store(bucket).build(); FsHostAgent a = agent(dir.resolve("a"), store, "a")) {
      a.track(W, Map.of("data", data));
      capture(a, id);
      a.exportSnapshot(W, id, archive);
    }
    WorkloadRef other = WorkloadRef.of("acme", "copy");
    try (S3ObjectStore store = server.store(bucket).build(); FsHostAgent b = agent(dir.resolve("b"), store, "b")) {
      Manifest m = b.importSnapshot(other, id, new ByteArrayInputStream(archive.toByteArray()),
          SnapshotArchive.Limits.defaults());
      Path out = dir.resolve("out");
      b.restore(new RestoreRequest(other, id, m, RestoreMode.REPLACE, Optional.of(out.toString()), List.of()));
      assertEquals(Tree.state(data), Tree.state(out.resolve("data")));
      assertTrue(b.check(false).ok());
    }
  }

  @Test
  @DisplayName("a pack larger than the part size goes up as a multipart upload and restores byte-for-byte")
  void largePacksUseMultipartUploads() throws Exception {
    String bucket = server.newBucket();
    Path data = dir.resolve("live/data");
    Tree.write(data.resolve("large.bin"), Tree.random(9, 13 << 20));
    SnapshotId id = nextId();
    try (S3ObjectStore store = server.store(bucket).partSize(5L << 20).build();
        // a capture's packs stay under the part size on S3 (S3ObjectStore.packTarget); gc's merges
        // and large index files still go up in parts, as a 64 MiB pack does here
        FsHostAgent a = FsHostAgent.builder().repository(dir.resolve("a")).hostId("a")
            .objectStore(new ForwardingObjectStore(store)).build()) {
      a.track(W, Map.of("data", data));
      capture(a, id);
      Path out = dir.resolve("out");
      restoreInto(a, id, out);
      assertEquals(Tree.state(data), Tree.state(out.resolve("data")));
    }
    try (var client = server.client()) {
      var packs = client.listObjectsV2(ListObjectsV2Request.builder().bucket(bucket).prefix("packs/").build()).contents();
      boolean multipart = packs.stream().anyMatch(o -> client.headObject(HeadObjectRequest.builder().bucket(bucket)
          .key(o.key()).build()).eTag().contains("-"));
      assertTrue(multipart, "a multipart ETag (md5-parts) on some pack: " + packs);
    }
  }

  @Test
  @DisplayName("wrong credentials fail FORBIDDEN and a missing bucket NOT_FOUND when the store is built, before any capture")
  void noPermissionFailsAtStartUp() {
    String bucket = server.newBucket();
    SnapshotException denied = assertThrows(SnapshotException.class, () -> S3ObjectStore.builder()
        .endpoint(server.endpoint()).region("us-east-1").bucket(bucket).maxAttempts(1)
        .credentials(StaticCredentialsProvider.create(AwsBasicCredentials.create("intruder", "wrong"))).build());
    assertEquals(ErrorCode.FORBIDDEN, denied.code(), denied.getMessage());
    assertTrue(denied.getMessage().contains("permission"), denied.getMessage());

    SnapshotException missing = assertThrows(SnapshotException.class,
        () -> server.store("no-such-bucket").maxAttempts(1).build());
    assertEquals(ErrorCode.NOT_FOUND, missing.code(), missing.getMessage());
  }

  @Test
  @DisplayName("deleting the local cache loses nothing: reads miss and go to the bucket")
  void deletingTheCacheLosesNothing() throws Exception {
    String bucket = server.newBucket();
    Path data = dir.resolve("live/data");
    Tree.fill(data, 6, 12, 80_000);
    Path cache = dir.resolve("cache");
    SnapshotId id = nextId();
    try (S3ObjectStore store = server.store(bucket).cacheDirectory(cache).build();
        FsHostAgent a = agent(dir.resolve("a"), store, "a")) {
      a.track(W, Map.of("data", data));
      capture(a, id);
      assertTrue(Files.exists(cache.resolve("packs")), "uploaded packs were cached");
      deleteTree(cache);
      Path out = dir.resolve("out");
      restoreInto(a, id, out);
      assertEquals(Tree.state(data), Tree.state(out.resolve("data")));
      assertTrue(a.check(false).ok());
    }
  }

  static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (var walk = Files.walk(p)) {
      for (Path f : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(f);
      }
    }
    assertNotEquals(true, Files.exists(p));
  }
}
