package io.snapshotkit.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.TenantId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.SnapshotEngine;
import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.testkit.FakeHostAgent;
import io.snapshotkit.testkit.FaultyHostAgent.Op;
import io.snapshotkit.testkit.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A strict delete asks exactly the hosts of the {@link JdbcHostRegistry}, with their heartbeat-derived status. */
@DisplayName("Strict delete on a SQLite engine uses the JDBC host registry")
class RegistryStrictDeleteTest {
  private static final Duration INTERVAL = Duration.ofSeconds(10);
  private static final TenantId ACME = TenantId.of("acme");
  private static final WorkloadRef W = WorkloadRef.of(ACME, "w1");

  @TempDir
  Path dir;

  @Test
  @DisplayName("with h2's heartbeat 2 intervals old, delete is CONFLICT naming h2 before any host is asked; after h2 heartbeats it completes on both")
  void staleHeartbeatRefusesDeleteUntilTheHostIsBack() {
    MutableClock clock = MutableClock.epoch();
    Map<String, FakeHostAgent> byAddress = Map.of(
        "127.0.0.1:7001", new FakeHostAgent("h1"), "127.0.0.1:7002", new FakeHostAgent("h2"));
    FakeHostAgent h1 = byAddress.get("127.0.0.1:7001");
    FakeHostAgent h2 = byAddress.get("127.0.0.1:7002");
    ExecutorService executor = Executors.newFixedThreadPool(2);
    try (JdbcManifestStore store = JdbcManifestStore.sqlite(dir.resolve("snapshots.db"));
         JdbcHostRegistry hosts = JdbcHostRegistry.on(store, clock, INTERVAL, (id, address) -> byAddress.get(address))) {
      hosts.register("h1", "127.0.0.1:7001");
      hosts.register("h2", "127.0.0.1:7002");
      hosts.heartbeat("h1");
      hosts.heartbeat("h2");
      hosts.place(W, "h1");
      h1.createWorkload(W);
      SnapshotEngine engine = SnapshotEngine.builder()
          .manifestStore(store)
          .blobStore(store.blobStore())
          .hosts(hosts)
          .lifecycle(Lifecycle.none())
          .clock(clock)
          .executor(executor)
          .build();
      try {
        Snapshot s = engine.capture(CaptureSpec.of(W));
        assertTrue(h1.hasSnapshot(s.id()), "captured on the placed host");

        clock.advance(INTERVAL.multipliedBy(2));
        hosts.heartbeat("h1");

        SnapshotException e = assertThrows(SnapshotException.class, () -> engine.delete(ACME, s.id()));
        assertEquals(ErrorCode.CONFLICT, e.code());
        assertEquals(List.of("h2"), e.failedHosts());
        assertTrue(e.getMessage().contains("h2 (host is offline)"), e.getMessage());
        assertEquals(List.of(), h1.calls(Op.DELETE), "h1 was not asked");
        assertEquals(List.of(), h2.calls(Op.DELETE), "h2 was not asked");
        assertEquals(SnapshotStatus.READY, store.find(s.id()).orElseThrow().status());
        assertTrue(h1.hasSnapshot(s.id()));

        hosts.heartbeat("h2");
        engine.delete(ACME, s.id());

        assertTrue(store.find(s.id()).isEmpty(), "the delete completed");
        assertFalse(h1.hasSnapshot(s.id()));
        assertEquals(1, h1.calls(Op.DELETE).size());
        assertEquals(1, h2.calls(Op.DELETE).size(), "h2 confirmed too (NOT_FOUND counts as success)");
      } finally {
        engine.close();
      }
    } finally {
      executor.shutdownNow();
    }
  }
}
