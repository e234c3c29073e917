package io.snapshotkit.fs;

import io.snapshotkit.WorkloadRef;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Test support for other modules (published in snapshot-fs's {@code tests} test-jar): the
 * workloads the testkit's {@code HostAgentContract} runs against when the agent under test is an
 * {@link FsHostAgent}, directly or behind a wrapper or a remote protocol.
 */
public final class ContractWorkloads {
  private ContractWorkloads() {}

  /**
   * Tracks a new workload {@code app-N} in {@code agent} with two volumes under {@code dir}: "data"
   * (files, a nested and an empty directory, a symlink) and "conf".
   */
  public static WorkloadRef create(FsHostAgent agent, Path dir, int n) {
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

  /** Adds, changes and removes a file in the workload's "data" volume. */
  public static void mutate(FsHostAgent agent, WorkloadRef workload) {
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
