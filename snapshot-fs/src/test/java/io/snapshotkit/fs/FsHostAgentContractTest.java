package io.snapshotkit.fs;

import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.testkit.HostAgentContract;
import java.nio.file.Path;
import java.util.Optional;
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
    return ContractWorkloads.create(agent, dir, workloads.incrementAndGet());
  }

  @Override
  protected Optional<String> forkTarget() {
    return Optional.of(dir.resolve("forks").resolve("child-" + workloads.incrementAndGet()).toString());
  }

  @Override
  protected void mutate(WorkloadRef workload) {
    ContractWorkloads.mutate(agent, workload);
  }
}
