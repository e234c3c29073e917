package io.snapshotkit.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Manifest;
import io.snapshotkit.RestoreMode;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.TenantId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.SnapshotEngine;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.HostDirectory;
import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.spi.RestoreRequest;
import io.snapshotkit.testkit.InMemoryManifestStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tenant scoping per token, over real loopback TLS to an agent server wrapping an FsHostAgent: a
 * token the agent restricts to tenant {@code acme} is refused every call naming a workload of
 * tenant {@code other} (FORBIDDEN naming the tenant, at the client and at the engine), none of
 * them touches that tenant's snapshots, volumes or files, the repository-wide gc and check are
 * refused to it, and a token with no tenant restriction keeps acting for every tenant.
 */
class TenantScopeTest {
  private static final String SCOPED_TOKEN = "token-of-tenant-acme-only-0123456789";
  private static final WorkloadRef MINE = WorkloadRef.of("acme", "app");
  private static final WorkloadRef THEIRS = WorkloadRef.of("other", "app");
  @TempDir static Path certs;
  private static TestCerts.Pem cert;
  @TempDir Path dir;
  private FsHostAgent fs;
  private AgentServer server;
  private RemoteHostAgent scoped;
  private SnapshotId theirSnapshot;
  private Manifest theirManifest;
  private Path theirData;

  @BeforeAll
  static void certificates() {
    cert = TestCerts.create(certs, "agent");
  }

  @BeforeEach
  void start() throws IOException {
    fs = FsHostAgent.rootedAt(dir.resolve("repo"));
    Path mine = Files.createDirectories(dir.resolve("live/acme"));
    Files.writeString(mine.resolve("a.txt"), "acme's file");
    theirData = Files.createDirectories(dir.resolve("live/other/data"));
    Files.writeString(theirData.resolve("b.txt"), "other's file");
    fs.track(MINE, Map.of("data", mine));
    fs.track(THEIRS, Map.of("data", theirData));
    theirSnapshot = id(1);
    theirManifest = fs.capture(new CaptureRequest(THEIRS, theirSnapshot, Optional.empty(), Optional.empty(), false))
        .manifest();
    server = Loopback.server(fs, "h1", cert).token("tenant-acme", SCOPED_TOKEN, Set.of(TenantId.of("acme")))
        .admin(new FsAdmin(fs)).start();
    scoped = Loopback.client(server, cert.certificate()).token(SCOPED_TOKEN).build();
  }

  @AfterEach
  void stop() {
    scoped.close();
    server.close();
    fs.close();
  }

  private static SnapshotId id(int seed) {
    return SnapshotId.generate(Instant.parse("2026-01-01T00:00:00Z").plusSeconds(seed), new SplittableRandom(seed));
  }

  /** Asserts the call is refused FORBIDDEN with a message naming the tenant, the token's tenant and the host. */
  private static void refused(String call, Supplier<?> work) {
    SnapshotException e = assertThrows(SnapshotException.class, work::get, call);
    assertEquals(ErrorCode.FORBIDDEN, e.code(), call + ": " + e.getMessage());
    assertTrue(e.getMessage().contains("not for tenant 'other'"), call + ": " + e.getMessage());
    assertTrue(e.getMessage().contains("may act only for tenant(s) acme"), call + ": " + e.getMessage());
    assertTrue(e.getMessage().contains("host h1"), call + ": " + e.getMessage());
  }

  @Test
  @DisplayName("every call naming another tenant's workload is refused FORBIDDEN naming the tenant, and touches none of its data")
  void everyCallOnAnotherTenantsWorkloadIsRefused() throws IOException {
    Path target = dir.resolve("restored");
    Map<String, Supplier<?>> calls = new LinkedHashMap<>();
    calls.put("capture", () -> scoped.capture(new CaptureRequest(THEIRS, id(2), Optional.empty(), Optional.empty(), false)));
    calls.put("describe", () -> scoped.describe(THEIRS));
    calls.put("preflight", () -> {
      scoped.preflight(new RestoreRequest(THEIRS, theirSnapshot, theirManifest, RestoreMode.REPLACE, Optional.empty(), List.of()));
      return null;
    });
    calls.put("restore", () -> scoped.restore(new RestoreRequest(THEIRS, theirSnapshot, theirManifest, RestoreMode.ADDITIVE,
        Optional.of(target.toString()), List.of())));
    calls.put("replace restore", () -> scoped.restore(new RestoreRequest(THEIRS, theirSnapshot, theirManifest,
        RestoreMode.REPLACE, Optional.empty(), List.of())));
    calls.put("restore of their manifest under my workload", () -> scoped.restore(new RestoreRequest(MINE, theirSnapshot,
        theirManifest, RestoreMode.ADDITIVE, Optional.of(target.toString()), List.of())));
    calls.put("delete", () -> scoped.delete(THEIRS, theirSnapshot));
    calls.put("sizeOf", () -> scoped.sizeOf(THEIRS, theirSnapshot));
    calls.put("diff", () -> scoped.streamDiff(THEIRS, theirSnapshot, Optional.empty(), (family, change) -> { }));
    calls.put("track", () -> scoped.track(THEIRS, Map.of("data", dir.resolve("elsewhere").toString())));
    calls.put("volumes", () -> scoped.volumes(THEIRS));
    calls.put("untrack", () -> scoped.untrack(THEIRS));
    Files.writeString(theirData.resolve("b.txt"), "other's file, changed after the snapshot");
    calls.forEach(TenantScopeTest::refused);

    assertEquals(List.of(theirSnapshot), fs.snapshots(THEIRS), "no capture, no delete");
    assertEquals(Optional.of(Map.of("data", theirData)), fs.volumes(THEIRS), "the volumes are as they were");
    assertEquals("other's file, changed after the snapshot", Files.readString(theirData.resolve("b.txt")),
        "no replace restore rewrote the live volume");
    assertFalse(Files.exists(target), "no restore wrote into the target");
    assertEquals(new AgentIdentity("h1", AgentMethods.PROTOCOL, true), scoped.identify(), "the agent serves on");
  }

  @Test
  @DisplayName("a scoped token acts for its own tenant, and is refused the repository-wide gc and check")
  void aScopedTokenActsForItsOwnTenantOnly() {
    SnapshotId mine = id(3);
    assertEquals(MINE, scoped.capture(new CaptureRequest(MINE, mine, Optional.empty(), Optional.empty(), false))
        .manifest().workload());
    assertEquals(List.of(mine), fs.snapshots(MINE));
    assertTrue(scoped.volumes(MINE).isPresent());
    for (Supplier<?> repositoryWide : List.<Supplier<?>>of(scoped::gc, () -> scoped.check(true))) {
      SnapshotException e = assertThrows(SnapshotException.class, repositoryWide::get);
      assertEquals(ErrorCode.FORBIDDEN, e.code(), e.getMessage());
      assertTrue(e.getMessage().contains("reaches every tenant's snapshots"), e.getMessage());
    }
  }

  @Test
  @DisplayName("a scoped token cannot restore its own snapshot into another tenant's volume through a restore target")
  void aRestoreTargetCannotReachAnotherTenantsVolume() throws IOException {
    SnapshotId mine = id(5);
    Manifest manifest = scoped.capture(new CaptureRequest(MINE, mine, Optional.empty(), Optional.empty(), false)).manifest();
    // restoring --to DIR writes DIR/<volume>: with DIR = their volume's parent, that is their volume itself
    for (RestoreMode mode : RestoreMode.values()) {
      SnapshotException e = assertThrows(SnapshotException.class, () -> scoped.restore(new RestoreRequest(MINE, mine,
          manifest, mode, Optional.of(theirData.getParent().toString()), List.of())), mode.name());
      assertEquals(ErrorCode.CONFLICT, e.code(), e.getMessage());
      assertTrue(e.getMessage().contains("other/app"), e.getMessage());
    }
    assertEquals(List.of("b.txt"), names(theirData), "their volume holds only its own file");
    assertEquals("other's file", Files.readString(theirData.resolve("b.txt")));
  }

  private static List<String> names(Path dir) throws IOException {
    try (java.util.stream.Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  @DisplayName("the engine sees FORBIDDEN naming the tenant for another tenant's capture, and captures its own")
  void theEngineSeesForbiddenNamingTheTenant() {
    try (SnapshotEngine engine = SnapshotEngine.builder().manifestStore(new InMemoryManifestStore())
        .hosts(HostDirectory.single(scoped)).lifecycle(Lifecycle.none()).clock(Clock.systemUTC())
        .executor(Runnable::run).random(new SplittableRandom(1)).build()) {
      SnapshotException e = assertThrows(SnapshotException.class, () -> engine.capture(CaptureSpec.of(THEIRS)));
      assertEquals(ErrorCode.FORBIDDEN, e.code(), e.getMessage());
      assertTrue(e.getMessage().contains("tenant 'other'"), e.getMessage());
      assertEquals(List.of(theirSnapshot), fs.snapshots(THEIRS));
      Snapshot mine = engine.capture(CaptureSpec.of(MINE));
      assertEquals(List.of(mine.id()), fs.snapshots(MINE));
    }
  }

  @Test
  @DisplayName("a token with no tenant restriction keeps acting for every tenant, gc included")
  void anUnrestrictedTokenActsForEveryTenant() {
    try (RemoteHostAgent any = Loopback.client(server, cert.certificate()).build()) {
      SnapshotId second = id(4);
      any.capture(new CaptureRequest(THEIRS, second, Optional.empty(), Optional.empty(), false));
      assertEquals(List.of(theirSnapshot, second), fs.snapshots(THEIRS));
      assertTrue(any.check(false).ok());
      assertEquals(2, any.gc().snapshots());
    }
  }

  @Test
  @DisplayName("a token restricted to no tenant at all is refused when the server is configured")
  void aTokenForNoTenantIsRefused() {
    SnapshotException e = assertThrows(SnapshotException.class,
        () -> AgentServer.builder(fs).token("nobody", SCOPED_TOKEN, Set.of()));
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    assertTrue(e.getMessage().contains("at least one tenant"), e.getMessage());
  }
}
