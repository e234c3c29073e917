package io.snapshotkit.grpc;

import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.testkit.HostAgentContract;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
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
    int n = workloads.incrementAndGet();
    WorkloadRef w = WorkloadRef.of("acme", "app-" + n);
    Path data = dir.resolve("live-" + n).resolve("data");
    Path conf = dir.resolve("live-" + n).resolve("conf");
    try {
      Files.createDirectories(data.resolve("sub/empty"));
      Files.writeString(data.resolve("a.txt"), "alpha");
      Files.writeString(data.resolve("sub/b.txt"), "bravo");
      Files.createSymbolicLink(data.resolve("link"), Path.of("a.txt"));
      Files.createDirectories(conf);
      Files.writeString(conf.resolve("app.properties"), "x=1\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    fs.track(w, Map.of("data", data, "conf", conf));
    return w;
  }

  @Override
  protected void mutate(WorkloadRef workload) {
    Map<String, Path> v = fs.volumes(workload).orElseThrow();
    try {
      Files.writeString(v.get("data").resolve("new.txt"), "added");
      Files.writeString(v.get("data").resolve("a.txt"), "alpha, changed");
      Files.delete(v.get("data").resolve("sub/b.txt"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
