package io.snapshotkit.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.ContractWorkloads;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.spi.HostVerify;
import io.snapshotkit.spi.VerifyOutcome;
import io.snapshotkit.testkit.HostAgentContract;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A RemoteHostAgent over a real loopback gRPC connection (TLS, bearer token) to an AgentServer
 * wrapping an FsHostAgent passes the testkit's HostAgentContract unchanged. Workloads are set up
 * on the agent's side, as a host would.
 */
class RemoteHostAgentContractTest extends HostAgentContract {
  @TempDir static Path certs;
  private static TestCerts.Pem cert;
  @TempDir Path dir;
  private FsHostAgent fs;
  private AgentServer server;
  private RemoteHostAgent remote;
  private final AtomicInteger workloads = new AtomicInteger();

  @BeforeAll
  static void certificates() {
    cert = TestCerts.create(certs, "agent");
  }

  @BeforeEach
  void open() {
    fs = FsHostAgent.rootedAt(dir.resolve("repo"));
    server = Loopback.server(fs, "h1", cert).start();
    remote = Loopback.client(server, cert.certificate()).build();
  }

  @AfterEach
  void close() {
    remote.close();
    server.close();
    fs.close();
  }

  @Override
  protected HostAgent agent() {
    return remote;
  }

  @Override
  protected WorkloadRef newWorkload() {
    return ContractWorkloads.create(fs, dir, workloads.incrementAndGet());
  }

  @Override
  protected Optional<String> forkTarget() {
    return Optional.of(dir.resolve("forks").resolve("child-" + workloads.incrementAndGet()).toString());
  }

  @Override
  protected void mutate(WorkloadRef workload) {
    ContractWorkloads.mutate(fs, workload);
  }

  @Test
  @DisplayName("verify crosses the wire: a chunk damaged on the agent's host comes back DAMAGED with the file's name, the rest INTACT")
  void remoteVerifyReportsDamageOnTheHost() throws IOException {
    WorkloadRef w = WorkloadRef.of("acme", "big");
    Path data = Files.createDirectories(dir.resolve("live-big/data"));
    byte[] big = new byte[3 << 20];
    new Random(7).nextBytes(big);
    Files.write(data.resolve("big.bin"), big);
    Files.writeString(data.resolve("small.txt"), "small");
    fs.track(w, Map.of("data", data));
    SnapshotId id = SnapshotId.generate(java.time.Instant.parse("2026-01-01T00:00:00Z"), new java.util.SplittableRandom(5));
    remote.capture(new CaptureRequest(w, id, Optional.empty(), Optional.empty(), false));
    HostVerify verifier = assertInstanceOf(HostVerify.class, remote);
    VerifyOutcome intact = verifier.verify(w, id, 1);
    assertEquals(new VerifyOutcome(VerifyOutcome.Status.INTACT, 2, java.util.List.of()), intact);

    Path pack;
    try (Stream<Path> files = Files.walk(dir.resolve("repo"))) {
      pack = files.filter(f -> f.toString().endsWith(".pack"))
          .max(Comparator.comparingLong(f -> f.toFile().length())).orElseThrow();
    }
    try (RandomAccessFile f = new RandomAccessFile(pack.toFile(), "rw")) {
      long at = f.length() / 2;
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0x5A);
    }
    VerifyOutcome damaged = verifier.verify(w, id, 1);
    assertEquals(VerifyOutcome.Status.DAMAGED, damaged.status(), damaged.toString());
    assertTrue(damaged.problems().stream().anyMatch(p -> p.contains("big.bin")), damaged.toString());
  }
}
