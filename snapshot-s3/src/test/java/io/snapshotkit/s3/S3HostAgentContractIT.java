package io.snapshotkit.s3;

import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.testkit.HostAgentContract;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** FsHostAgent with its repository in a bucket (S3Proxy) passes the testkit's HostAgentContract. */
@ExtendWith(SharedS3Proxy.class)
class S3HostAgentContractIT extends HostAgentContract {
  static S3ProxyServer server;
  @TempDir Path dir;
  private String bucket;
  private S3ObjectStore store;
  private FsHostAgent agent;
  private final List<AutoCloseable> elsewhere = new ArrayList<>();
  private final AtomicInteger workloads = new AtomicInteger();

  @BeforeAll
  static void startServer() {
    server = SharedS3Proxy.server();
  }

  @BeforeEach
  void open() {
    bucket = server.newBucket();
    store = server.store(bucket).build();
    agent = FsHostAgent.builder().repository(dir.resolve("repo")).objectStore(store).build();
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : elsewhere) {
      c.close();
    }
    agent.close();
    store.close();
  }

  @Override
  protected HostAgent agent() {
    return agent;
  }

  /**
   * A workload with two volumes, "data" (files, a nested and an empty directory, a symlink) and
   * "conf", as snapshot-fs's contract test builds them (its helper is not reachable from here: the
   * fs test jar shares the module name io.snapshotkit.fs, which the module path refuses twice).
   */
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
    agent.track(w, Map.of("data", data, "conf", conf));
    return w;
  }

  /** A fresh directory for each fork that materialises its child (the fs agent needs one). */
  @Override
  protected Optional<String> forkTarget() {
    return Optional.of(dir.resolve("forks").resolve("child-" + workloads.incrementAndGet()).toString());
  }

  /**
   * A second agent on the same bucket with its own repository directory, cache and host id, which
   * tracks the workload's volumes at empty directories of its own: the workload moved to host B.
   */
  @Override
  protected Optional<HostAgent> agentOnAnotherHost(WorkloadRef workload) {
    Path home = dir.resolve("host-b-" + workloads.incrementAndGet());
    S3ObjectStore otherStore = server.store(bucket).cacheDirectory(home.resolve("cache")).build();
    elsewhere.add(otherStore);
    FsHostAgent other = FsHostAgent.builder().repository(home.resolve("repo")).objectStore(otherStore)
        .hostId("host-b").build();
    elsewhere.add(0, other);
    Map<String, Path> volumes = new HashMap<>();
    for (String name : agent.volumes(workload).orElseThrow().keySet()) {
      volumes.put(name, home.resolve("live").resolve(name));
    }
    other.track(workload, volumes);
    return Optional.of(other);
  }

  /** Adds, changes and removes a file in the workload's "data" volume. */
  @Override
  protected void mutate(WorkloadRef workload) {
    Path data = agent.volumes(workload).orElseThrow().get("data");
    try {
      Files.writeString(data.resolve("new.txt"), "added");
      Files.writeString(data.resolve("a.txt"), "alpha, changed");
      Files.delete(data.resolve("sub/b.txt"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
