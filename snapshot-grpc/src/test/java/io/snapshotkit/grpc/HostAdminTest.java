package io.snapshotkit.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.DeleteOutcome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@link HostAdmin} calls over real loopback TLS to an agent server wrapping an FsHostAgent:
 * volumes set and read from the control plane are the agent's own, the agent's refusals cross
 * with their codes, gc and check report what the repository did, and an agent server without a
 * HostAdmin says it does not serve them.
 */
class HostAdminTest {
  private static final WorkloadRef W = WorkloadRef.of("acme", "app");
  @TempDir static Path certs;
  private static TestCerts.Pem cert;
  @TempDir Path dir;
  private FsHostAgent fs;
  private AgentServer server;
  private RemoteHostAgent remote;
  private Path data;

  @BeforeAll
  static void certificates() {
    cert = TestCerts.create(certs, "agent");
  }

  @BeforeEach
  void start() throws IOException {
    fs = FsHostAgent.rootedAt(dir.resolve("repo"));
    data = Files.createDirectories(dir.resolve("live/data"));
    Files.writeString(data.resolve("a.txt"), "alpha");
    server = Loopback.server(fs, "h1", cert).admin(new FsAdmin(fs)).start();
    remote = Loopback.client(server, cert.certificate()).build();
  }

  @AfterEach
  void stop() {
    remote.close();
    server.close();
    fs.close();
  }

  @Test
  @DisplayName("volumes tracked and untracked from the control plane are the agent's, and a capture through the same client uses them")
  void volumesSetRemotelyAreTheAgents() {
    assertEquals(Optional.empty(), remote.volumes(W), "an unknown workload has no volumes");
    Map<String, String> stored = remote.track(W, Map.of("data", data.resolve("sub/..").toString()));
    assertEquals(Map.of("data", data.toString()), stored, "the map as the agent stored it, normalized");
    assertEquals(Optional.of(Map.of("data", data)), fs.volumes(W));
    assertEquals(Optional.of(Map.of("data", data.toString())), remote.volumes(W));
    SnapshotId id = SnapshotId.generate(Instant.parse("2026-01-01T00:00:00Z"), new SplittableRandom(1));
    assertEquals(W, remote.capture(new CaptureRequest(W, id, Optional.empty(), Optional.empty(), false)).manifest().workload());
    assertTrue(remote.untrack(W));
    assertEquals(Optional.empty(), fs.volumes(W), "untracked on the agent");
    assertEquals(List.of(id), fs.snapshots(W), "its snapshots stay");
    assertFalse(remote.untrack(W), "a second untrack finds nothing");
  }

  @Test
  @DisplayName("the agent's refusals of a volume map cross with their codes: a relative path INVALID_ARGUMENT, another workload's directory CONFLICT")
  void refusalsKeepTheirCodes() {
    SnapshotException relative = assertThrows(SnapshotException.class, () -> remote.track(W, Map.of("data", "relative/dir")));
    assertEquals(ErrorCode.INVALID_ARGUMENT, relative.code(), relative.getMessage());
    assertTrue(relative.getMessage().contains("absolute"), relative.getMessage());
    fs.track(WorkloadRef.of("acme", "other"), Map.of("data", data));
    SnapshotException shared = assertThrows(SnapshotException.class, () -> remote.track(W, Map.of("data", data.toString())));
    assertEquals(ErrorCode.CONFLICT, shared.code(), shared.getMessage());
    assertTrue(shared.getMessage().contains("acme/other"), shared.getMessage());
    assertEquals(Optional.empty(), fs.volumes(W));
  }

  @Test
  @DisplayName("gc and check run on the agent's repository and report what it did")
  void gcAndCheckReportTheRepository() {
    fs.track(W, Map.of("data", data));
    SnapshotId id = SnapshotId.generate(Instant.parse("2026-01-01T00:00:00Z"), new SplittableRandom(2));
    fs.capture(new CaptureRequest(W, id, Optional.empty(), Optional.empty(), false));
    HostAdmin.CheckReport check = remote.check(false);
    assertTrue(check.ok(), check.toString());
    assertTrue(check.contentsChecked() >= 1, check.toString());
    assertEquals(DeleteOutcome.DELETED, remote.delete(W, id));
    HostAdmin.GcReport gc = remote.gc();
    assertEquals(0, gc.snapshots());
    assertTrue(gc.contentsRemoved() >= 1 && gc.bytesReclaimed() > 0, gc.toString());
  }

  @Test
  @DisplayName("an agent server given no HostAdmin answers its calls INVALID_ARGUMENT saying it does not serve them, and serves on")
  void withoutAHostAdminTheCallsAreNotServed() {
    try (AgentServer plain = Loopback.server(fs, "h2", cert).start();
         RemoteHostAgent client = Loopback.client(plain, cert.certificate()).build()) {
      SnapshotException e = assertThrows(SnapshotException.class, () -> client.volumes(W));
      assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), e.getMessage());
      assertTrue(e.getMessage().contains("serves no volume listing"), e.getMessage());
      assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(SnapshotException.class, client::gc).code());
      assertFalse(client.identify().hostId().isEmpty());
    }
  }
}
