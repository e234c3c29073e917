package io.snapshotkit.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.CheckReport;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.CaptureResult;
import io.snapshotkit.spi.RestoreRequest;
import io.snapshotkit.RestoreMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Two agents (two "hosts", each with its own local directory) share one bucket. Host A captures
 * content and deletes the snapshot, so the content is unreferenced; then A's gc and a capture on
 * host B of the same content (which B dedups against A's packs) start with random delays. Whatever
 * the interleaving, B's snapshot must keep all its content: check is clean on both hosts, B's
 * snapshot restores byte-for-byte, and a later gc on A still leaves it whole.
 */
class SharedBucketGcPropertyIT {
  private static final WorkloadRef WA = WorkloadRef.of("acme", "on-a");
  private static final WorkloadRef WB = WorkloadRef.of("acme", "on-b");
  private static Path root;
  private static S3ProxyServer server;

  @BeforeContainer
  static void start() throws Exception {
    root = Files.createTempDirectory("shared-bucket");
    server = SharedS3Proxy.server();
  }

  @AfterContainer
  static void stop() throws Exception {
    S3RepositoryIT.deleteTree(root);
  }

  @Property(tries = 5)
  void gcOnOneHostNeverDeletesWhatACaptureOnAnotherReliesOn(@ForAll @IntRange(min = 0, max = 40) int gcDelayMs,
      @ForAll @IntRange(min = 0, max = 40) int captureDelayMs, @ForAll @IntRange(min = 1, max = 1000) int seed)
      throws Exception {
    String bucket = server.newBucket();
    Path dir = Files.createTempDirectory(root, "try");
    Path dataA = dir.resolve("live/a");
    Tree.fill(dataA, seed, 12, 60_000);
    Path dataB = dir.resolve("live/b");
    Tree.fill(dataB, seed, 12, 60_000); // the same content as A's
    Tree.write(dataB.resolve("only-b.txt"), ("b " + seed).getBytes());
    try (S3ObjectStore storeA = server.store(bucket).build(); S3ObjectStore storeB = server.store(bucket).build();
        FsHostAgent a = FsHostAgent.builder().repository(dir.resolve("host-a")).hostId("a").objectStore(storeA)
            .leaseTime(Duration.ofSeconds(3)).build();
        FsHostAgent b = FsHostAgent.builder().repository(dir.resolve("host-b")).hostId("b").objectStore(storeB)
            .leaseTime(Duration.ofSeconds(3)).build()) {
      a.track(WA, Map.of("data", dataA));
      b.track(WB, Map.of("data", dataB));
      SnapshotId onA = S3RepositoryIT.nextId();
      a.capture(new CaptureRequest(WA, onA, Optional.empty(), Optional.empty(), false));
      a.delete(WA, onA); // A's content is now unreferenced: gc may take it unless B's capture holds it

      SnapshotId onB = S3RepositoryIT.nextId();
      CompletableFuture<Void> gc = CompletableFuture.runAsync(() -> {
        sleep(gcDelayMs);
        a.gc();
      });
      CompletableFuture<CaptureResult> capture = CompletableFuture.supplyAsync(() -> {
        sleep(captureDelayMs);
        return b.capture(new CaptureRequest(WB, onB, Optional.empty(), Optional.empty(), false));
      });
      gc.get(60, TimeUnit.SECONDS);
      capture.get(60, TimeUnit.SECONDS);

      for (FsHostAgent agent : List.of(a, b)) {
        CheckReport check = agent.check(false);
        assertTrue(check.ok(), "no referenced object was deleted: " + check);
      }
      a.gc();
      assertTrue(b.check(false).ok(), "a later gc on A keeps B's snapshot whole");
      Path out = dir.resolve("out");
      b.restore(new RestoreRequest(WB, onB, b.manifest(WB, onB).orElseThrow(), RestoreMode.REPLACE,
          Optional.of(out.toString()), List.of()));
      assertEquals(Tree.state(dataB), Tree.state(out.resolve("data")));
      assertEquals(List.of(onB), a.snapshots(WB), "A sees B's snapshot in the shared bucket");
    }
  }

  private static void sleep(int ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
