package io.snapshotkit.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.snapshotkit.examples.cli.AgentProcesses.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three {@code snapshotkit agent} JVMs on loopback ports, each with its own repository, registered
 * in one registry (a SQLite file, then the embedded PostgreSQL) with a heartbeat; the CLI in this
 * JVM is the control plane ({@code --registry}), each command a new engine instance on it. A SIGKILLed agent reads OFFLINE within 2 heartbeat intervals, a strict
 * delete then answers CONFLICT naming it before asking any host, so the snapshot stays READY with
 * its data (restored from the placed host to prove it), and after the agent restarts on the same port and repository the retried delete completes.
 */
class ThreeAgentsIT {
  private static final int HEARTBEAT_SECONDS = 2;

  @TempDir Path tmp;
  private AgentProcesses agents;
  /** A SQLite file, or a jdbc:postgresql URL on the embedded server. */
  private String registry;
  private Path tokenFile;

  @AfterEach
  void stopAgents() {
    if (agents != null) {
      agents.close();
    }
  }

  @ParameterizedTest(name = "registry on {0}")
  @ValueSource(strings = {"sqlite", "postgresql"})
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void strictDeleteWithAKilledAgentIsRefusedNamingItAndCompletesOnceItRestarts(String database) throws Exception {
    registry = database.equals("sqlite") ? tmp.resolve("registry.db").toString() : AgentProcesses.postgresUrl("sk_agents");
    tokenFile = tmp.resolve("agents.token");
    Files.writeString(tokenFile, "0123456789abcdef0123456789abcdef\n");
    agents = new AgentProcesses(tmp, registry, tokenFile, HEARTBEAT_SECONDS);
    int[] ports = AgentProcesses.freePorts(3);
    // the control plane creates and migrates the registry before the agents open it
    assertEquals(0, cli("hosts").status(), "an empty registry lists no hosts");

    List<CompletableFuture<Process>> starting = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      Path data = Files.createDirectories(tmp.resolve("data" + i));
      Files.writeString(data.resolve("file.txt"), "workload w" + i + " on host h" + i);
      int n = i;
      starting.add(CompletableFuture.supplyAsync(() -> agents.start(n, ports[n - 1])));
    }
    Process[] agent = new Process[4];
    for (int i = 1; i <= 3; i++) {
      agent[i] = starting.get(i - 1).get();
    }
    JsonNode hosts = cli("hosts").json();
    assertEquals(3, hosts.size(), hosts.toString());
    hosts.forEach(h -> assertEquals("ONLINE", h.get("status").asText(), hosts.toString()));
    for (int i = 1; i <= 3; i++) {
      assertEquals("h" + i, hosts.get(i - 1).get("id").asText(), hosts.toString());
      assertEquals("127.0.0.1:" + ports[i - 1], hosts.get(i - 1).get("address").asText(),
          "hosts shows the address each agent registered: " + hosts);
    }

    // each workload is tracked only by its own host's agent, so a capture succeeds only on the placed host
    String[] ids = new String[4];
    for (int i = 1; i <= 3; i++) {
      assertEquals(0, cli("track", "--host", "h" + i, "w" + i).status());
      Run capture = cli("capture", "w" + i);
      assertEquals(0, capture.status(), capture.err());
      ids[i] = capture.json().get("id").asText();
      assertEquals("READY", capture.json().get("status").asText());
    }

    long killedAt = System.nanoTime();
    agent[2].destroyForcibly();
    assertTrue(agent[2].waitFor(10, TimeUnit.SECONDS));
    long offlineAfterNanos = awaitStatus("h2", "OFFLINE", killedAt);
    long bound = Duration.ofSeconds(2L * HEARTBEAT_SECONDS).plusMillis(500).toNanos();
    assertTrue(offlineAfterNanos <= bound, "h2 read OFFLINE " + Duration.ofNanos(offlineAfterNanos)
        + " after SIGKILL; expected within 2 heartbeat intervals of " + HEARTBEAT_SECONDS + " s");

    Run refused = cli("delete", ids[1]);
    assertEquals(ExitCodes.of(io.snapshotkit.ErrorCode.CONFLICT), refused.status(), refused.err());
    JsonNode error = refused.json();
    assertEquals("CONFLICT", error.get("error").asText());
    assertEquals("[\"h2\"]", error.get("failedHosts").toString(), error.toString());
    assertTrue(refused.err().contains("h2"), refused.err());
    Run shown = cli("show", ids[1]);
    assertEquals(0, shown.status(), shown.err());
    // an OFFLINE host refuses the delete before any host is asked: READY, and its data still there
    assertEquals("READY", shown.json().get("status").asText(), shown.out());
    Path restored = tmp.resolve("restored1");
    Run restore = cli("restore", ids[1], "--to", restored.toString());
    assertEquals(0, restore.status(), restore.err());
    assertEquals("workload w1 on host h1", Files.readString(restored.resolve("data1").resolve("file.txt")));

    agent[2] = agents.start(2, ports[1]);
    awaitStatus("h2", "ONLINE", System.nanoTime());
    for (int i = 1; i <= 3; i++) {
      Run deleted = cli("delete", ids[i]);
      assertEquals(0, deleted.status(), "delete of w" + i + "'s snapshot: " + deleted.err());
      assertEquals(ExitCodes.of(io.snapshotkit.ErrorCode.NOT_FOUND), cli("show", ids[i]).status());
    }

    // SIGTERM: a graceful, bounded stop that says so (sent by kill: Process.destroy() also closes
    // the child's standard output, losing what it prints while stopping)
    long termAt = System.nanoTime();
    assertEquals(0, new ProcessBuilder("kill", "-TERM", Long.toString(agent[1].pid())).start().waitFor());
    assertTrue(agent[1].waitFor(20, TimeUnit.SECONDS), "agent h1 did not stop within 20 s of SIGTERM");
    long stopNanos = System.nanoTime() - termAt;
    agents.logged(1).get(10, TimeUnit.SECONDS);
    assertTrue(Files.readString(tmp.resolve("agent1.out")).contains("agent h1 stopped"),
        "exit " + agent[1].exitValue() + " after " + Duration.ofNanos(stopNanos) + ": " + Files.readString(tmp.resolve("agent1.out"))
            + Files.readString(tmp.resolve("agent1.err")));
  }

  /** Polls {@code hosts} until {@code host} reads {@code status}; the nanos from {@code since} to the poll that saw it. */
  private long awaitStatus(String host, String status, long since) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      long polled = System.nanoTime();
      for (JsonNode h : cli("hosts").json()) {
        if (h.get("id").asText().equals(host) && h.get("status").asText().equals(status)) {
          return polled - since;
        }
      }
      Thread.sleep(100);
    }
    fail(host + " did not read " + status + " within 20 s: " + cli("hosts").json());
    return -1;
  }

  private Run cli(String... command) {
    return agents.cli(command);
  }
}
