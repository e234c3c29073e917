package io.snapshotkit.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.SnapshotEngine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A network partition, for real: agent h1 runs on loopback, agent h2 is a {@code snapshotkit agent}
 * JVM inside a Linux network namespace reached through a veth pair; both register in one SQLite
 * registry with a heartbeat (a file, so h2's heartbeats go on during the partition and it still
 * reads ONLINE: the engine has to ask it). With h2's link cut, a strict delete returns within the
 * host timeout, CONFLICT naming h2; once the link is back, the retried delete completes. Skipped,
 * saying why, where network namespaces cannot be made (not root, not Linux).
 */
class PartitionedAgentIT {
  private static final int HEARTBEAT_SECONDS = 2;
  private static final Duration HOST_TIMEOUT = Duration.ofSeconds(3);
  /**
   * Beyond the host timeout: the engine's own registry work around the fan-out (listing the hosts,
   * marking the snapshot DELETING, recording the refusal: SQLite commits, slow on a loaded disk).
   */
  private static final Duration MARGIN = Duration.ofSeconds(1);
  private static final int PORT_IN_NAMESPACE = 7443;

  @TempDir Path tmp;
  private NetworkNamespace namespace;
  private AgentProcesses agents;
  private Services controlPlane;

  @AfterEach
  void cleanUp() {
    try {
      if (controlPlane != null) {
        controlPlane.close();
      }
    } finally {
      try {
        if (agents != null) {
          agents.close();
        }
      } finally {
        if (namespace != null) {
          namespace.close();
        }
      }
    }
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void strictDeleteWithAnAgentCutOffReturnsWithinTheHostTimeoutNamingItAndCompletesOnceTheLinkIsBack()
      throws Exception {
    namespace = NetworkNamespace.createOrSkip();
    String registry = tmp.resolve("registry.db").toString();
    Path tokenFile = tmp.resolve("agents.token");
    Files.writeString(tokenFile, "0123456789abcdef0123456789abcdef\n");
    agents = new AgentProcesses(tmp, registry, tokenFile, HEARTBEAT_SECONDS);
    assertEquals(0, agents.cli("hosts").status(), "the control plane creates the registry before the agents open it");
    for (int i = 1; i <= 2; i++) {
      Path data = Files.createDirectories(tmp.resolve("data" + i));
      Files.writeString(data.resolve("file.txt"), "workload w" + i + " on host h" + i);
    }
    agents.start(1, AgentProcesses.freePorts(1)[0]);
    agents.start(2, namespace.address(), PORT_IN_NAMESPACE, namespace.launcher());
    for (int i = 1; i <= 2; i++) {
      assertEquals(0, agents.cli("track", "--host", "h" + i, "w" + i).status());
    }
    // A long-lived control plane in this JVM, as a service would run it: one engine, one channel per host.
    controlPlane = Services.openRegistry(registry, Clock.systemUTC(), Duration.ofSeconds(HEARTBEAT_SECONDS),
        ControlPlane.token(tokenFile, Map.of()), Optional.empty(), HOST_TIMEOUT, Optional.empty());
    SnapshotEngine engine = controlPlane.engine();
    WorkloadRef w1 = WorkloadRef.of(Cli.TENANT, "w1");
    WorkloadRef w2 = WorkloadRef.of(Cli.TENANT, "w2");
    Snapshot onH1 = engine.capture(CaptureSpec.of(w1));
    Snapshot onH2 = engine.capture(CaptureSpec.of(w2));
    assertEquals(SnapshotStatus.READY, onH2.status(), "h2 answers through the veth pair before the cut");

    namespace.cut();
    long start = System.nanoTime();
    SnapshotException refused = assertThrows(SnapshotException.class, () -> engine.delete(w1.tenant(), onH1.id()));
    long tookNanos = System.nanoTime() - start;
    System.out.printf("strict delete with h2 cut off: returned after %d ms (host timeout %d ms): %s%n",
        tookNanos / 1_000_000, HOST_TIMEOUT.toMillis(), refused.getMessage());
    assertEquals(ErrorCode.CONFLICT, refused.code(), refused.getMessage());
    assertEquals(List.of("h2"), refused.failedHosts(), refused.getMessage());
    assertTrue(refused.getMessage().contains("h2"), refused.getMessage());
    assertTrue(tookNanos >= HOST_TIMEOUT.toNanos(), "h2 was asked and waited for, not skipped");
    assertTrue(tookNanos <= HOST_TIMEOUT.plus(MARGIN).toNanos(), "the delete returned after "
        + Duration.ofNanos(tookNanos) + "; expected within the host timeout " + HOST_TIMEOUT + " + " + MARGIN);
    assertEquals(SnapshotStatus.DELETING, engine.get(w1.tenant(), onH1.id()).status(),
        "h1 confirmed and dropped its data, so the snapshot is not READY; h2 has not confirmed, so it stays");

    namespace.heal();
    int attempts = retryDelete(engine, w1, onH1);
    System.out.printf("after the link came back, the delete completed on attempt %d%n", attempts);
    assertEquals(ErrorCode.NOT_FOUND,
        assertThrows(SnapshotException.class, () -> engine.get(w1.tenant(), onH1.id())).code());
    engine.delete(w2.tenant(), onH2.id());
    assertEquals(List.of(), snapshotFiles(2, onH2), "h2, behind the healed link, deleted its snapshot's data");
  }

  /**
   * Retries the delete, as an operator would, while only h2 has not confirmed: after the link
   * comes back, TCP resends what was lost at its own backoff, so the first retry may still time
   * out. Returns the attempt that completed.
   */
  private static int retryDelete(SnapshotEngine engine, WorkloadRef workload, Snapshot snapshot) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    for (int attempt = 1; ; attempt++) {
      try {
        engine.delete(workload.tenant(), snapshot.id());
        return attempt;
      } catch (SnapshotException e) {
        if (e.code() != ErrorCode.CONFLICT || !e.failedHosts().equals(List.of("h2")) || System.nanoTime() > deadline) {
          throw e;
        }
      }
    }
  }

  /** The files in agent {@code n}'s repository whose names carry the snapshot's id. */
  private List<Path> snapshotFiles(int n, Snapshot snapshot) throws Exception {
    try (var files = Files.walk(tmp.resolve("repo" + n))) {
      return files.filter(f -> f.getFileName().toString().contains(snapshot.id().value())).toList();
    }
  }
}
