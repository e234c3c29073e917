package io.snapshotkit.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.fs.SyntheticSnapshots;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A diff of two large snapshots crosses gRPC between two JVMs of {@value #HEAP} heap each: an
 * agent JVM serving an {@link FsHostAgent} and a client JVM consuming
 * {@link RemoteHostAgent#streamDiff}. The client checks every change, in order, against
 * {@link DiffWorkload} and pauses halfway (an agent that ignored flow control would then hold the
 * rest of the diff); and the same diff collected whole in the same heap dies of
 * {@link OutOfMemoryError}, so the heap is proven too small to buffer the diff on either side.
 *
 * <p>Size: {@code -Dgrpc.diff.dirs} directories of {@link DiffWorkload#LINKS} link slots, 100 by
 * default (200,000 changes); the {@code million} profile sets 500 (1,000,000 changes, two
 * snapshots of 990,500 entries).
 */
class StreamedDiffScaleIT {
  private static final String HEAP = "-Xmx64m";
  private static final WorkloadRef W = WorkloadRef.of("acme", "big");
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
  private static final int DIRS = Integer.getInteger("grpc.diff.dirs", 100);
  private static final SnapshotId A = SnapshotId.generate(T, new SplittableRandom(1));
  private static final SnapshotId B = SnapshotId.generate(T.plusSeconds(1), new SplittableRandom(2));
  @TempDir static Path dir;
  private static TestCerts.Pem cert;
  private static Process agent;
  private static int port;

  @BeforeAll
  static void startAgent() throws IOException {
    cert = TestCerts.create(dir.resolve("certs"), "agent");
    DiffWorkload workload = new DiffWorkload(DIRS);
    try (FsHostAgent fs = FsHostAgent.rootedAt(dir.resolve("repo"))) {
      SyntheticSnapshots.ingest(fs, W, A, T, workload.version(1));
      SyntheticSnapshots.ingest(fs, W, B, T.plusSeconds(1), workload.version(2));
    }
    agent = java(DiffAgentChild.class, List.of(dir.resolve("repo").toString(), cert.certificate().toString(),
        cert.privateKey().toString()))
        .redirectError(dir.resolve("agent.err").toFile()).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(agent.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    if (line == null || !line.startsWith("PORT ")) {
      throw new AssertionError("the agent JVM did not start: " + line + "\n" + Files.readString(dir.resolve("agent.err")));
    }
    port = Integer.parseInt(line.substring(5).trim());
  }

  @AfterAll
  static void stopAgent() throws IOException, InterruptedException {
    if (agent != null) {
      agent.getOutputStream().close();
      if (!agent.waitFor(30, TimeUnit.SECONDS)) {
        agent.destroyForcibly();
      }
    }
  }

  @Test
  @DisplayName("a streamed diff of two large snapshots arrives whole and in order between two JVMs of 64 MiB heap")
  void streamedDiffInSmallHeaps() throws Exception {
    String out = client("stream");
    assertTrue(out.contains("STREAMED " + new DiffWorkload(DIRS).changes() + "\n"), out);
    assertTrue(agent.isAlive(), "the agent JVM still serves after the diff:\n" + agentErrors());
  }

  @Test
  @DisplayName("the same diff held whole does not fit in the client's 64 MiB heap, so the streamed run proves streaming")
  void collectedDiffDoesNotFit() throws Exception {
    Process p = java(DiffClientChild.class, clientArgs("collect")).redirectErrorStream(true)
        .redirectOutput(dir.resolve("collect.log").toFile()).start();
    assertTrue(p.waitFor(10, TimeUnit.MINUTES), "the collecting client finished");
    String out = Files.readString(dir.resolve("collect.log"));
    assertNotEquals(0, p.exitValue(), out);
    assertTrue(out.contains("OutOfMemoryError"), out);
    assertTrue(agent.isAlive(), "the agent JVM survives a client that died mid-diff:\n" + agentErrors());
  }

  private static String client(String mode) throws IOException, InterruptedException {
    Path log = dir.resolve(mode + ".log");
    long start = System.nanoTime();
    Process p = java(DiffClientChild.class, clientArgs(mode)).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(10, TimeUnit.MINUTES), "the client finished");
    String out = Files.readString(log);
    assertEquals(0, p.exitValue(), out + "\nagent:\n" + agentErrors());
    System.out.printf("%s: %d changes in %.1f s%n", mode, new DiffWorkload(DIRS).changes(),
        (System.nanoTime() - start) / 1e9);
    return out;
  }

  private static List<String> clientArgs(String mode) {
    return List.of(mode, Integer.toString(port), cert.certificate().toString(), W.tenant().value(), W.id(),
        A.value(), B.value(), Integer.toString(DIRS));
  }

  private static String agentErrors() throws IOException {
    return Files.readString(dir.resolve("agent.err"));
  }

  /** A child JVM of {@value #HEAP} heap running {@code main} on this JVM's class path. */
  private static ProcessBuilder java(Class<?> main, List<String> args) {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        HEAP, "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError", "-cp", System.getProperty("java.class.path"),
        main.getName()));
    cmd.addAll(args);
    return new ProcessBuilder(cmd);
  }
}
