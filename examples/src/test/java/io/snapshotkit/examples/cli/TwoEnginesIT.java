package io.snapshotkit.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.SnapshotEngine;
import io.snapshotkit.jdbc.PostgresWorkloadLock;
import io.snapshotkit.spi.WorkloadLease;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Two long-lived control-plane engine instances in this JVM, each opened as the CLI opens one
 * ({@link Services#openRegistry}: its own {@code JdbcManifestStore} and {@code JdbcHostRegistry})
 * on one embedded PostgreSQL, driving three {@code snapshotkit agent} JVMs: concurrent captures
 * from both land on the placed hosts with gapless, unique versions per workload, concurrent strict
 * deletes from both are confirmed by every host, and a capture waits while another instance
 * holds the workload. The agents and engines are started once for both tests.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TwoEnginesIT {
  private static final int HEARTBEAT_SECONDS = 2;
  private static final Duration HOST_TIMEOUT = Duration.ofSeconds(10);
  private static final int CAPTURES_PER_ENGINE_AND_WORKLOAD = 3;
  /** How long another instance holds a workload in the lock test. */
  private static final Duration HELD = Duration.ofSeconds(4);

  @TempDir static Path tmp;
  private String registry;
  private Path tokenFile;
  private AgentProcesses agents;
  private Services a;
  private Services b;
  private final List<WorkloadRef> workloads = new ArrayList<>();

  @BeforeAll
  void threeAgentsAndTwoEngines() throws Exception {
    registry = AgentProcesses.postgresUrl("sk_two_engines");
    tokenFile = tmp.resolve("agents.token");
    Files.writeString(tokenFile, "0123456789abcdef0123456789abcdef\n");
    agents = new AgentProcesses(tmp, registry, tokenFile, HEARTBEAT_SECONDS);
    assertEquals(0, agents.cli("hosts").status(), "the control plane creates the registry before the agents open it");
    int[] ports = AgentProcesses.freePorts(3);
    List<Future<Process>> starting = new ArrayList<>();
    ExecutorService starter = Executors.newFixedThreadPool(3);
    try {
      for (int i = 1; i <= 3; i++) {
        Path data = Files.createDirectories(tmp.resolve("data" + i));
        Files.writeString(data.resolve("file.txt"), "workload w" + i + " on host h" + i);
        int n = i;
        starting.add(starter.submit(() -> agents.start(n, ports[n - 1])));
      }
      for (Future<Process> f : starting) {
        f.get();
      }
    } finally {
      starter.shutdownNow();
    }
    for (int i = 1; i <= 3; i++) {
      assertEquals(0, agents.cli("track", "--host", "h" + i, "w" + i).status());
      workloads.add(WorkloadRef.of(Cli.TENANT, "w" + i));
    }
    a = open();
    b = open();
  }

  private Services open() {
    return Services.openRegistry(registry, Clock.systemUTC(), Duration.ofSeconds(HEARTBEAT_SECONDS),
        ControlPlane.token(tokenFile, Map.of()), Optional.empty(), HOST_TIMEOUT, Optional.empty());
  }

  @AfterAll
  void stop() {
    try {
      for (Services s : new Services[] {a, b}) {
        if (s != null) {
          s.close();
        }
      }
    } finally {
      if (agents != null) {
        agents.close();
      }
    }
  }

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void twoEnginesCaptureConcurrentlyWithGaplessVersionsAndDeleteStrictlyOnEveryHost() throws Exception {
    ExecutorService callers = Executors.newFixedThreadPool(6);
    List<Snapshot> captured = new ArrayList<>();
    try {
      List<Future<Snapshot>> captures = new ArrayList<>();
      for (int round = 0; round < CAPTURES_PER_ENGINE_AND_WORKLOAD; round++) {
        for (WorkloadRef w : workloads) {
          for (Services engine : List.of(a, b)) {
            captures.add(callers.submit(() -> engine.engine().capture(CaptureSpec.of(w))));
          }
        }
      }
      for (Future<Snapshot> f : captures) {
        Snapshot s = f.get(120, TimeUnit.SECONDS);
        assertEquals(SnapshotStatus.READY, s.status());
        assertEquals(Optional.of("h" + s.workload().id().substring(1)), s.host(), "captured on the placed host: " + s);
        captured.add(s);
      }
      for (WorkloadRef w : workloads) {
        List<Snapshot> seenByA = a.engine().versions(w);
        List<Integer> versions = seenByA.stream().map(Snapshot::version).toList();
        assertEquals(IntStream.rangeClosed(1, seenByA.size()).boxed().toList(), versions,
            w + ": one version each from 1, none skipped or repeated");
        assertEquals(seenByA.size(), seenByA.stream().map(Snapshot::id).distinct().count());
        assertTrue(seenByA.stream().map(Snapshot::id).toList().containsAll(
            captured.stream().filter(s -> s.workload().equals(w)).map(Snapshot::id).toList()));
        assertEquals(seenByA.stream().map(Snapshot::id).toList(), b.engine().versions(w).stream().map(Snapshot::id).toList(),
            "both instances read the same versions");
      }

      List<Future<?>> deletes = new ArrayList<>();
      for (int i = 0; i < captured.size(); i++) {
        Snapshot s = captured.get(i);
        SnapshotEngine engine = (i % 2 == 0 ? a : b).engine();
        deletes.add(callers.submit(() -> engine.delete(s.workload().tenant(), s.id())));
      }
      for (Future<?> f : deletes) {
        f.get(120, TimeUnit.SECONDS);  // a strict delete returns only when all three hosts confirmed
      }
    } finally {
      callers.shutdownNow();
    }
    Set<String> ids = new HashSet<>();
    captured.forEach(s -> ids.add(s.id().value()));
    for (WorkloadRef w : workloads) {
      for (Services engine : List.of(a, b)) {
        assertEquals(List.of(), engine.engine().versions(w).stream().filter(s -> ids.contains(s.id().value())).toList(),
            w + ": every deleted snapshot is gone for both instances");
      }
    }
    for (int n = 1; n <= 3; n++) {
      try (var files = Files.walk(tmp.resolve("repo" + n))) {
        List<Path> left = files.filter(f -> ids.stream().anyMatch(id -> f.getFileName().toString().contains(id))).toList();
        assertEquals(List.of(), left, "host h" + n + " still holds files of deleted snapshots");
      }
    }
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void aCaptureWaitsWhileAnotherEngineInstanceHoldsTheWorkload() throws Exception {
    WorkloadRef w1 = workloads.get(0);
    a.engine().capture(CaptureSpec.of(w1));  // warm: a capture of w1 takes well under a second now
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(registry);
    ExecutorService caller = Executors.newSingleThreadExecutor();
    try {
      // Another instance's lease on w1, as its capture or restore would hold it.
      WorkloadLease lease = PostgresWorkloadLock.on(ds).acquire(w1, Duration.ofSeconds(10));
      Future<Snapshot> capture;
      try {
        capture = caller.submit(() -> a.engine().capture(CaptureSpec.of(w1)));
        Thread.sleep(HELD.toMillis());
        assertFalse(capture.isDone(), "the capture ran while another engine instance held w1's lock for " + HELD);
      } finally {
        lease.close();
      }
      assertEquals(SnapshotStatus.READY, capture.get(60, TimeUnit.SECONDS).status(), "it ran once the lock was free");
    } finally {
      caller.shutdownNow();
    }
  }
}
