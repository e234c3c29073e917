package io.snapshotkit.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.fs.GcReport;
import io.snapshotkit.spi.DeleteOutcome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bucket near its quota. S3Proxy has no quotas, so its filesystem backend lives on a 40 MiB
 * tmpfs mounted for the test: the bucket fills up as a real quota would, and S3Proxy answers a
 * write that does not fit with a bare 500 (ENOSPC in its log).
 *
 * <p>S3Proxy 2.6.0's {@code filesystem} backend keeps a file open after a HEAD of its object, so
 * deleting the object frees its disk space only when S3Proxy restarts (the client HEADs every
 * object before it publishes or deletes it); the test restarts it after gc to measure the space
 * gc freed. Its {@code filesystem-nio2} backend closes its files but leaves a temporary file
 * behind when a write fails with ENOSPC, after which listing that directory fails (500) for
 * good, so it cannot show a full bucket recovering. Needs root to mount (CI runs as
 * root); skipped otherwise. It owns its server, whose data the test fills.
 */
class S3QuotaIT {
  private static final int MIB = 1 << 20;
  @TempDir static Path serverDir;
  static Path mount;
  static S3ProxyServer server;
  @TempDir Path dir;

  @BeforeAll
  static void mountSmallFilesystemAndStart() throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")),
        "S3QuotaIT mounts a size-limited tmpfs under S3Proxy's data directory, which needs root; CI runs as root");
    server = new S3ProxyServer(serverDir);
    mount = serverDir.resolve("data");
    int rc = run("mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", mount.toString());
    assumeTrue(rc == 0, "mounting a 40 MiB tmpfs failed (exit " + rc + "): no CAP_SYS_ADMIN here");
    server.start();
  }

  @AfterAll
  static void stopAndUnmount() throws Exception {
    if (server != null) {
      server.close();
    }
    if (mount != null) {
      run("umount", "-l", mount.toString());
    }
  }

  private static int run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return -1;
    }
    if (p.exitValue() != 0) {
      System.err.println(String.join(" ", cmd) + ": " + out);
    }
    return p.exitValue();
  }

  @Test
  @DisplayName("a full bucket: the capture that does not fit fails INSUFFICIENT_STORAGE saying to delete and gc; "
      + "strict delete and gc still work and free the space, and a capture then succeeds")
  void deletingWorksWhenTheBucketIsFull() throws Exception {
    String bucket = server.newBucket();
    Path data = dir.resolve("live/data");
    Tree.write(data.resolve("keep.bin"), Tree.random(1, 2 * MIB)); // in every snapshot
    List<SnapshotId> captured = new ArrayList<>();
    SnapshotException full = null;
    try (S3ObjectStore s3 = server.store(bucket).maxAttempts(2).build();
        FsHostAgent agent = S3RepositoryIT.agent(dir.resolve("host"), s3, "a")) {
      agent.track(S3RepositoryIT.W, Map.of("data", data));
      for (int i = 0; i < 12 && full == null; i++) {
        Tree.write(data.resolve("big.bin"), Tree.random(100 + i, 6 * MIB)); // 6 MiB of new content each time
        SnapshotId id = S3RepositoryIT.nextId();
        try {
          S3RepositoryIT.capture(agent, id);
          captured.add(id);
        } catch (SnapshotException e) {
          full = e;
        }
      }
      assertTrue(full != null, "the 40 MiB filesystem filled up");
      assertTrue(captured.size() >= 3, "several snapshots fitted first: " + captured);
      assertEquals(ErrorCode.INSUFFICIENT_STORAGE, full.code(), full.getMessage());
      assertTrue(full.getMessage().contains("full or over its quota")
          && full.getMessage().contains("delete snapshots you no longer need and run gc"), full.getMessage());
      long freeWhenFull = Files.getFileStore(mount).getUsableSpace();
      assertTrue(freeWhenFull < 6 * MIB, "the bucket is near its quota: " + freeWhenFull + " bytes left");

      SnapshotId last = captured.get(captured.size() - 1);
      for (SnapshotId id : captured.subList(0, captured.size() - 1)) {
        assertEquals(DeleteOutcome.DELETED, agent.delete(S3RepositoryIT.W, id));
      }
      GcReport report = agent.gc(); // succeeds although the disk stays full (see above): dead packs go, rewrites wait
      assertTrue(report.bytesReclaimed() >= (captured.size() - 2L) * 6 * MIB, report.toString());
      assertEquals(List.of(last), agent.snapshots(S3RepositoryIT.W));
      assertTrue(agent.check(false).ok());

      server.stop();
      server.start(); // S3Proxy lets go of the deleted files
      long freed = Files.getFileStore(mount).getUsableSpace() - freeWhenFull;
      assertTrue(freed >= (captured.size() - 2L) * 6 * MIB, "gc freed the disk: " + freed + " bytes");
      agent.gc(); // with room again: the partly dead first pack is rewritten if the first gc had to skip it
      assertTrue(agent.check(false).ok());

      Tree.write(data.resolve("big.bin"), Tree.random(999, 6 * MIB));
      SnapshotId again = S3RepositoryIT.nextId();
      S3RepositoryIT.capture(agent, again);
      Path out = dir.resolve("out");
      S3RepositoryIT.restoreInto(agent, again, out);
      assertEquals(Tree.state(data), Tree.state(out.resolve("data")));
    }
  }
}
