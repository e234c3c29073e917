package io.snapshotkit.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ProgressEvent;
import io.snapshotkit.ProgressEvent.Operation;
import io.snapshotkit.ProgressListener;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.RestoreSpec;
import io.snapshotkit.core.SnapshotEngine;
import io.snapshotkit.spi.HostDirectory;
import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.testkit.InMemoryManifestStore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The directory agent's progress reaches the engine's caller, wrapped in the engine's own phases. */
class FsEngineProgressTest {
  private static final WorkloadRef W = WorkloadRef.of("acme", "workspace");
  private static final int FILES = 200;
  @TempDir Path dir;
  private ExecutorService pool;
  private FsHostAgent agent;
  private SnapshotEngine engine;
  private Path data;

  @BeforeEach
  void start() {
    pool = Executors.newFixedThreadPool(2);
    agent = FsHostAgent.builder().repository(dir.resolve("repo")).executor(pool).build();
    engine = SnapshotEngine.builder()
        .manifestStore(new InMemoryManifestStore())
        .hosts(HostDirectory.single(agent))
        .lifecycle(Lifecycle.none())
        .clock(Clock.systemUTC())
        .executor(pool)
        .random(new SplittableRandom(1))
        .build();
    data = dir.resolve("live/data");
    for (int i = 0; i < FILES; i++) {
      Trees.write(data.resolve("f" + i), "content " + i);
    }
    agent.track(W, Map.of("data", data));
  }

  @AfterEach
  void stop() {
    engine.close();
    agent.close();
    pool.shutdownNow();
  }

  private static List<String> phases(List<ProgressEvent> events) {
    return List.copyOf(new LinkedHashSet<>(events.stream().map(ProgressEvent::phase).toList()));
  }

  private static void assertMonotonicAndFinished(List<ProgressEvent> events, Operation op) {
    for (int i = 1; i < events.size(); i++) {
      assertTrue(events.get(i).filesDone() >= events.get(i - 1).filesDone(), events.toString());
      assertTrue(events.get(i).bytesDone() >= events.get(i - 1).bytesDone(), events.toString());
    }
    assertTrue(events.stream().allMatch(e -> e.operation() == op), events.toString());
    assertEquals(1, events.stream().filter(ProgressEvent::finished).count());
    assertTrue(events.get(events.size() - 1).finished());
  }

  @Test
  void captureAndRestoreReportTheEnginesPhasesAroundTheAgents() {
    List<ProgressEvent> capture = Collections.synchronizedList(new ArrayList<>());
    Snapshot s = engine.capture(CaptureSpec.of(W), capture::add);
    assertEquals(List.of("admit", "quiesce", "count", "scan", "commit", "store"), phases(capture));
    assertMonotonicAndFinished(capture, Operation.CAPTURE);
    assertEquals(FILES, capture.get(capture.size() - 1).filesDone());

    List<ProgressEvent> restore = Collections.synchronizedList(new ArrayList<>());
    engine.restore(W.tenant(), s.id(), RestoreSpec.replace(), restore::add);
    assertEquals(List.of("preflight", "quiesce", "pre-restore snapshot", "plan", "stage", "swap", "record"),
        phases(restore));
    assertMonotonicAndFinished(restore, Operation.RESTORE);
    ProgressEvent last = restore.get(restore.size() - 1);
    assertEquals(last.bytesTotal().getAsLong(), last.bytesDone());

    List<ProgressEvent> rollback = Collections.synchronizedList(new ArrayList<>());
    engine.rollback(W, s.version(), false, rollback::add);
    assertMonotonicAndFinished(rollback, Operation.ROLLBACK);
  }

  @Test
  void aThrowingListenerNeitherFailsTheCaptureNorIsCalledAgain() throws IOException {
    int[] calls = {0};
    ProgressListener broken = e -> {
      calls[0]++;
      throw new IllegalStateException("bug in the caller's progress bar");
    };
    Snapshot s = engine.capture(CaptureSpec.of(W), broken);
    assertEquals(SnapshotStatus.READY, s.status());
    assertEquals(1, calls[0]);
    Trees.write(data.resolve("f0"), "changed");
    engine.restore(W.tenant(), s.id(), RestoreSpec.replace().preRestoreSnapshot(false), broken);
    assertEquals("content 0", java.nio.file.Files.readString(data.resolve("f0")));
    assertEquals(2, calls[0], "once per operation");
  }
}
