package io.snapshotkit.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ProgressEvent;
import io.snapshotkit.ProgressEvent.Operation;
import io.snapshotkit.ProgressListener;
import io.snapshotkit.RestoreMode;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.RestoreSpec;
import io.snapshotkit.core.SnapshotEngine;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.CaptureResult;
import io.snapshotkit.spi.HostDirectory;
import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.spi.RestoreRequest;
import io.snapshotkit.testkit.InMemoryManifestStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The directory agent's progress crosses real loopback gRPC (TLS, token) to RemoteHostAgent and the engine. */
class RemoteProgressTest {
  private static final WorkloadRef W = WorkloadRef.of("acme", "app");
  private static final int FILES = 200;
  private static final int SIZE = 2000;
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
    server = Loopback.server(fs, "h1", cert).start();
    remote = Loopback.client(server, cert.certificate()).build();
    data = dir.resolve("live/data");
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < FILES; i++) {
      byte[] b = new byte[SIZE];
      random.nextBytes(b);
      Files.createDirectories(data.resolve("d" + i % 5));
      Files.write(data.resolve("d" + i % 5 + "/f" + i), b);
    }
    fs.track(W, Map.of("data", data));
  }

  @AfterEach
  void stop() {
    remote.close();
    server.close();
    fs.close();
  }

  private static SnapshotId id(int n) {
    return SnapshotId.generate(Instant.parse("2026-03-01T00:00:00Z").plusSeconds(n), new SplittableRandom(n));
  }

  private static List<String> phases(List<ProgressEvent> events) {
    return List.copyOf(new LinkedHashSet<>(events.stream().map(ProgressEvent::phase).toList()));
  }

  private static void assertMonotonicWithOneLastEvent(List<ProgressEvent> events, Operation op) {
    for (int i = 1; i < events.size(); i++) {
      assertTrue(events.get(i).filesDone() >= events.get(i - 1).filesDone(), events.toString());
      assertTrue(events.get(i).bytesDone() >= events.get(i - 1).bytesDone(), events.toString());
    }
    assertTrue(events.stream().allMatch(e -> e.operation() == op), events.toString());
    assertEquals(1, events.stream().filter(ProgressEvent::finished).count(), events.toString());
    assertTrue(events.get(events.size() - 1).finished());
  }

  @Test
  void captureAndRestoreStreamTheAgentsProgressOverGrpc() {
    List<ProgressEvent> capture = Collections.synchronizedList(new ArrayList<>());
    CaptureResult c = remote.capture(new CaptureRequest(W, id(1), Optional.empty(), Optional.empty(), false),
        capture::add);
    assertEquals(List.of("count", "scan", "commit"), phases(capture));
    assertMonotonicWithOneLastEvent(capture, Operation.CAPTURE);
    ProgressEvent last = capture.get(capture.size() - 1);
    assertEquals((long) FILES * SIZE, last.bytesTotal().getAsLong());
    assertEquals((long) FILES * SIZE, last.bytesDone());
    assertEquals(FILES + 5, last.filesDone());

    List<ProgressEvent> restore = Collections.synchronizedList(new ArrayList<>());
    remote.restore(new RestoreRequest(W, id(1), c.manifest(), RestoreMode.REPLACE,
        Optional.of(dir.resolve("out").toString()), List.of()), restore::add);
    assertEquals(List.of("plan", "stage", "swap"), phases(restore));
    assertMonotonicWithOneLastEvent(restore, Operation.RESTORE);
    assertEquals((long) FILES * SIZE, restore.get(restore.size() - 1).bytesDone());
  }

  @Test
  void aThrowingListenerOnTheClientDoesNotFailTheRemoteCapture() {
    int[] calls = {0};
    ProgressListener broken = e -> {
      calls[0]++;
      throw new IllegalStateException("bug in the caller's bar");
    };
    CaptureResult c = remote.capture(new CaptureRequest(W, id(1), Optional.empty(), Optional.empty(), false), broken);
    assertEquals(W, c.manifest().workload());
    assertEquals(1, calls[0]);
    assertEquals(List.of(id(1)), fs.snapshots(W));
  }

  @Test
  void theEngineOverARemoteAgentRelaysTheRemoteProgress() {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (SnapshotEngine engine = SnapshotEngine.builder()
        .manifestStore(new InMemoryManifestStore())
        .hosts(HostDirectory.single(remote))
        .lifecycle(Lifecycle.none())
        .clock(Clock.systemUTC())
        .executor(pool)
        .random(new SplittableRandom(1))
        .build()) {
      List<ProgressEvent> capture = Collections.synchronizedList(new ArrayList<>());
      Snapshot s = engine.capture(CaptureSpec.of(W), capture::add);
      assertEquals(SnapshotStatus.READY, s.status());
      assertEquals(List.of("admit", "quiesce", "count", "scan", "commit", "store"), phases(capture));
      assertMonotonicWithOneLastEvent(capture, Operation.CAPTURE);

      List<ProgressEvent> restore = Collections.synchronizedList(new ArrayList<>());
      engine.restore(W.tenant(), s.id(), RestoreSpec.replace().target(dir.resolve("t").toString()), restore::add);
      assertTrue(phases(restore).containsAll(List.of("preflight", "plan", "stage", "swap", "record")), restore.toString());
      assertMonotonicWithOneLastEvent(restore, Operation.RESTORE);
    } finally {
      pool.shutdownNow();
    }
  }
}
