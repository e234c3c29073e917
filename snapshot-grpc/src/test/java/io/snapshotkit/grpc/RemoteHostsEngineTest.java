package io.snapshotkit.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.RestoreSpec;
import io.snapshotkit.core.SnapshotEngine;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.spi.HostDirectory;
import io.snapshotkit.spi.HostInfo;
import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.testkit.InMemoryManifestStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine drives two hosts through RemoteHostAgents to two AgentServers on loopback, each
 * around its own FsHostAgent and repository: capture lands on the workload's host, restore
 * brings files back there, strict delete asks both hosts, and a host that stopped answering
 * makes the delete CONFLICT naming it.
 */
class RemoteHostsEngineTest {
  private static final WorkloadRef W1 = WorkloadRef.of("acme", "app-on-h1");
  private static final WorkloadRef W2 = WorkloadRef.of("acme", "app-on-h2");
  private static final Duration HOST_TIMEOUT = Duration.ofSeconds(5);
  @TempDir static Path certs;
  private static TestCerts.Pem cert;
  @TempDir Path dir;
  private ExecutorService pool;
  private FsHostAgent fs1;
  private FsHostAgent fs2;
  private AgentServer s1;
  private AgentServer s2;
  private RemoteHostAgent r1;
  private RemoteHostAgent r2;
  private SnapshotEngine engine;
  private Path data1;

  @BeforeAll
  static void certificates() {
    cert = TestCerts.create(certs, "agent");
  }

  /** Two hosts, both ONLINE, each workload placed on its own. */
  private final class TwoHosts implements HostDirectory {
    @Override
    public List<HostInfo> hosts() {
      return List.of(HostInfo.online("h1"), HostInfo.online("h2"));
    }

    @Override
    public Optional<String> hostOf(WorkloadRef workload) {
      return workload.equals(W1) ? Optional.of("h1") : workload.equals(W2) ? Optional.of("h2") : Optional.empty();
    }

    @Override
    public HostAgent agent(String hostId) {
      return switch (hostId) {
        case "h1" -> r1;
        case "h2" -> r2;
        default -> throw new SnapshotException(ErrorCode.HOST_UNAVAILABLE, "unknown host " + hostId);
      };
    }
  }

  @BeforeEach
  void start() throws IOException {
    pool = Executors.newFixedThreadPool(4);
    fs1 = FsHostAgent.builder().repository(dir.resolve("repo1")).hostId("h1").build();
    fs2 = FsHostAgent.builder().repository(dir.resolve("repo2")).hostId("h2").build();
    data1 = dir.resolve("live1/data");
    Path data2 = dir.resolve("live2/data");
    Files.createDirectories(data1);
    Files.createDirectories(data2);
    Files.writeString(data1.resolve("README"), "v1");
    Files.writeString(data2.resolve("notes"), "on h2");
    fs1.track(W1, Map.of("data", data1));
    fs2.track(W2, Map.of("data", data2));
    s1 = Loopback.server(fs1, "h1", cert).start();
    s2 = Loopback.server(fs2, "h2", cert).start();
    r1 = Loopback.client(s1, cert.certificate()).timeout(HOST_TIMEOUT).build();
    r2 = Loopback.client(s2, cert.certificate()).timeout(HOST_TIMEOUT).build();
    engine = SnapshotEngine.builder()
        .manifestStore(new InMemoryManifestStore())
        .hosts(new TwoHosts())
        .lifecycle(Lifecycle.none())
        .clock(Clock.systemUTC())
        .executor(pool)
        .random(new SplittableRandom(7))
        .hostTimeout(HOST_TIMEOUT)
        .build();
  }

  @AfterEach
  void stop() {
    engine.close();
    r1.close();
    r2.close();
    s1.close();
    s2.close();
    fs1.close();
    fs2.close();
    pool.shutdownNow();
  }

  @Test
  @DisplayName("capture lands on the workload's host, restore brings its files back there, strict delete removes it after asking both hosts")
  void captureRestoreDeleteAcrossTwoHosts() throws IOException {
    Snapshot a = engine.capture(CaptureSpec.of(W1));
    Snapshot b = engine.capture(CaptureSpec.of(W2));
    assertEquals(List.of(a.id()), fs1.snapshots(W1), "w1's capture is on h1");
    assertEquals(List.of(b.id()), fs2.snapshots(W2), "w2's capture is on h2");
    assertEquals(List.of(), fs2.snapshots(W1));

    Files.writeString(data1.resolve("README"), "v2, changed");
    Files.writeString(data1.resolve("extra"), "new");
    engine.restore(W1.tenant(), a.id(), RestoreSpec.replace());
    assertEquals("v1", Files.readString(data1.resolve("README")));
    assertFalse(Files.exists(data1.resolve("extra")));

    engine.delete(W1.tenant(), a.id());
    assertFalse(fs1.snapshots(W1).contains(a.id()), "h1 deleted its data; h2, which never held it, answered NOT_FOUND");
    assertEquals(ErrorCode.NOT_FOUND,
        assertThrows(SnapshotException.class, () -> engine.get(W1.tenant(), a.id())).code());
    assertEquals(List.of(b.id()), fs2.snapshots(W2), "the other workload's snapshot is untouched");
  }

  @Test
  @DisplayName("a delete while h2's agent is stopped is CONFLICT naming h2, the snapshot is not READY without its data, and the retried delete finishes once h2 is back")
  void deleteWithOneHostStopped() {
    Snapshot a = engine.capture(CaptureSpec.of(W1));
    int port2 = s2.port();
    s2.close();

    SnapshotException refused = assertThrows(SnapshotException.class, () -> engine.delete(W1.tenant(), a.id()));
    assertEquals(ErrorCode.CONFLICT, refused.code(), refused.getMessage());
    assertEquals(List.of("h2"), refused.failedHosts());
    assertTrue(refused.getMessage().contains("h2"), refused.getMessage());
    assertEquals(List.of(), fs1.snapshots(W1), "h1 confirmed and dropped its data");
    Snapshot left = engine.get(W1.tenant(), a.id());
    assertNotEquals(SnapshotStatus.READY, left.status(), "h1 dropped the data, so the snapshot is not READY");
    assertEquals(SnapshotStatus.DELETING, left.status());
    assertThrows(SnapshotException.class, () -> engine.restore(W1.tenant(), a.id(), RestoreSpec.replace()));

    s2 = Loopback.server(fs2, "h2", cert).listen("127.0.0.1", port2).start();
    engine.delete(W1.tenant(), a.id());
    assertEquals(ErrorCode.NOT_FOUND,
        assertThrows(SnapshotException.class, () -> engine.get(W1.tenant(), a.id())).code(),
        "with h2 back (the same client, reconnected), the retried delete finished");
  }
}
