package io.snapshotkit.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.RestoreMode;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.RestoreRequest;
import io.snapshotkit.fs.CheckReport;
import io.snapshotkit.fs.FsHostAgent;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of an agent process on a bucket while it uploads and while it collects: afterwards a
 * fresh agent on another directory finds check clean, and after one gc nothing unreferenced is
 * left (a second gc reclaims nothing).
 */
@ExtendWith(SharedS3Proxy.class)
class S3CrashIT {
  static S3ProxyServer server;
  @TempDir Path dir;

  @BeforeAll
  static void startServer() {
    server = SharedS3Proxy.server();
  }

  @ParameterizedTest(name = "SIGKILL {2} ms after step ''{0} {1}'' starts")
  @CsvSource({"capture, 1, 40", "capture, 2, 250", "gc, 1, 5", "gc, 2, 60"})
  void killedAgentLeavesTheBucketConsistent(String step, int round, int delayMs) throws Exception {
    String bucket = server.newBucket();
    Path data = dir.resolve("data");
    Tree.fill(data, 21, 10, 50_000);
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
        "-cp", System.getProperty("java.class.path"), CrashingAgent.class.getName(), step, server.endpoint().toString(),
        bucket, dir.resolve("child").toString(), data.toString());
    Process child = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String marker = step + " " + round;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      StringBuilder log = new StringBuilder();
      while ((line = out.readLine()) != null && !line.equals(marker)) {
        log.append(line).append('\n');
      }
      assertTrue(line != null, "the child reached '" + marker + "': " + log);
      Thread.sleep(delayMs);
      child.destroyForcibly();
      child.waitFor(30, TimeUnit.SECONDS);
    } finally {
      child.destroyForcibly();
    }
    Thread.sleep(3200); // the killed agent's leases expire (lease time 3 s)
    try (S3ObjectStore store = server.store(bucket).build();
        FsHostAgent agent = FsHostAgent.builder().repository(dir.resolve("fresh")).hostId("fresh").objectStore(store)
            .leaseTime(Duration.ofSeconds(1)).build()) {
      CheckReport check = agent.check(false);
      assertTrue(check.ok(), check.toString());
      agent.gc();
      assertEquals(0, agent.gc().bytesReclaimed(), "nothing unreferenced is left after one gc");
      assertTrue(agent.check(false).ok());
      WorkloadRef w = WorkloadRef.of("acme", "crash");
      for (var id : agent.snapshots(w)) {
        agent.restore(new RestoreRequest(w, id, agent.manifest(w, id).orElseThrow(), RestoreMode.REPLACE,
            Optional.of(dir.resolve("out-" + id).toString()), List.of()));
      }
    }
  }
}
