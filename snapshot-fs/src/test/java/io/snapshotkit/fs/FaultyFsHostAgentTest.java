package io.snapshotkit.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.SnapshotEngine;
import io.snapshotkit.spi.HostDirectory;
import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.testkit.Fault;
import io.snapshotkit.testkit.FaultyHostAgent;
import io.snapshotkit.testkit.FaultyHostAgent.Op;
import io.snapshotkit.testkit.InMemoryManifestStore;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The testkit's fault scripts around a real FsHostAgent, driven through the real engine. */
class FaultyFsHostAgentTest {
  private static final WorkloadRef W = WorkloadRef.of("acme", "workspace");
  @TempDir Path dir;
  private ExecutorService pool;
  private FsHostAgent fs;
  private FaultyHostAgent agent;
  private InMemoryManifestStore store;
  private SnapshotEngine engine;

  @BeforeEach
  void start() {
    pool = Executors.newFixedThreadPool(2);
    fs = FsHostAgent.builder().repository(dir.resolve("repo")).executor(pool).build();
    agent = FaultyHostAgent.wrap("local", fs);
    store = new InMemoryManifestStore();
    engine = SnapshotEngine.builder()
        .manifestStore(store)
        .hosts(HostDirectory.single(agent))
        .lifecycle(Lifecycle.none())
        .clock(Clock.systemUTC())
        .executor(pool)
        .random(new SplittableRandom(1))
        .build();
    Path data = dir.resolve("live/data");
    Trees.write(data.resolve("README"), "v1");
    fs.track(W, Map.of("data", data));
  }

  @AfterEach
  void stop() {
    engine.close();
    fs.close();
    pool.shutdownNow();
  }

  @Test
  @DisplayName("a delete that fails on the wrapped FsHostAgent is CONFLICT naming the host; the files stay and a retry deletes them")
  void deleteFailingOnTheFsHostIsConflictNamingIt() {
    Snapshot s = engine.capture(CaptureSpec.of(W));
    assertTrue(fs.snapshots(W).contains(s.id()));
    agent.failNext(Op.DELETE, Fault.error("disk I/O error"));

    SnapshotException e = assertThrows(SnapshotException.class, () -> engine.delete(W.tenant(), s.id()));

    assertEquals(ErrorCode.CONFLICT, e.code());
    assertEquals(List.of("local"), e.failedHosts());
    assertTrue(e.getMessage().contains("local (error: disk I/O error)"), e.getMessage());
    assertEquals(SnapshotStatus.READY, store.find(s.id()).orElseThrow().status(), "no host confirmed the delete");
    assertTrue(fs.snapshots(W).contains(s.id()), "the fault struck before the agent: its files are untouched");

    engine.delete(W.tenant(), s.id());
    assertFalse(fs.snapshots(W).contains(s.id()));
    assertTrue(store.find(s.id()).isEmpty());
    assertEquals(2, agent.calls(Op.DELETE).size(), "both attempts were recorded");
  }

  @Test
  @DisplayName("a capture on an offline wrapped FsHostAgent is HOST_UNAVAILABLE and stores nothing on the host")
  void captureOnOfflineFsHostIsHostUnavailable() {
    agent.failNext(Op.CAPTURE, Fault.offline());
    SnapshotException e = assertThrows(SnapshotException.class, () -> engine.capture(CaptureSpec.of(W)));
    assertEquals(ErrorCode.HOST_UNAVAILABLE, e.code(), e.getMessage());
    assertTrue(fs.snapshots(W).isEmpty());
    Snapshot s = engine.capture(CaptureSpec.of(W));
    assertEquals(List.of(s.id()), List.copyOf(fs.snapshots(W)));
  }

  @Test
  @DisplayName("faults that act inside the in-memory data plane are refused for an FsHostAgent when scripted")
  void inPlaneFaultsAreRefusedForOtherAgents() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> agent.failNext(Op.CAPTURE, Fault.partialCapture()));
    assertTrue(e.getMessage().contains("FsHostAgent"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> agent.failNext(Op.RESTORE, Fault.failResource("README")));
  }
}
