package io.snapshotkit.grpc;

import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.ContractWorkloads;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.testkit.HostAgentContract;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
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
}
