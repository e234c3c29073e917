package io.snapshotkit.fs;

import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.testkit.HostAgentContract;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** FsHostAgent passes the testkit's HostAgentContract over real temporary directories. */
class FsHostAgentContractTest extends HostAgentContract {
  @TempDir Path dir;
  private FsHostAgent agent;
  private final AtomicInteger workloads = new AtomicInteger();

  @BeforeEach
  void open() {
    agent = FsHostAgent.rootedAt(dir.resolve("repo"));
  }

  @AfterEach
  void close() {
    agent.close();
  }

  @Override
  protected HostAgent agent() {
    return agent;
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
    agent.track(w, Map.of("data", data, "conf", conf));
    return w;
  }

  @Override
  protected void mutate(WorkloadRef workload) {
    Map<String, Path> v = agent.volumes(workload).orElseThrow();
    try {
      Files.writeString(v.get("data").resolve("new.txt"), "added");
      Files.writeString(v.get("data").resolve("a.txt"), "alpha, changed");
      Files.delete(v.get("data").resolve("sub/b.txt"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
