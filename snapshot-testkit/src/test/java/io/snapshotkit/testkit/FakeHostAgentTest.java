package io.snapshotkit.testkit;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.HostAgent;

/** The fake agent passes the host agent contract. */
class FakeHostAgentTest extends HostAgentContract {
  private final FakeHostAgent agent = new FakeHostAgent("h1");
  private int workloads;

  @Override
  protected HostAgent agent() {
    return agent;
  }

  @Override
  protected WorkloadRef newWorkload() {
    WorkloadRef w = WorkloadRef.of("acme", "w" + (++workloads));
    agent.put(w, "users", "alice", JsonNodeFactory.instance.objectNode().put("role", "admin"));
    agent.put(w, "users", "bob", JsonNodeFactory.instance.objectNode().put("role", "dev"));
    agent.put(w, "queues", "jobs", JsonNodeFactory.instance.objectNode().put("depth", 3));
    return w;
  }

  @Override
  protected void mutate(WorkloadRef w) {
    agent.put(w, "users", "carol", JsonNodeFactory.instance.objectNode().put("role", "ops"));
    agent.put(w, "users", "alice", JsonNodeFactory.instance.objectNode().put("role", "viewer"));
    agent.remove(w, "queues", "jobs");
  }
}
