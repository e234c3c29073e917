package io.snapshotkit.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.DiffResult;
import io.snapshotkit.FamilyDiff;
import io.snapshotkit.RestoreReport;
import io.snapshotkit.Snapshot;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.RestoreSpec;
import io.snapshotkit.core.SnapshotEngine;
import io.snapshotkit.spi.HostDirectory;
import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.testkit.InMemoryManifestStore;
import java.io.IOException;
import java.nio.file.Files;
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

/** The agent under the real engine: capture, file-level diffs through HostDiff, replace restore, delete. */
class FsEngineTest {
  private static final WorkloadRef W = WorkloadRef.of("acme", "workspace");
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
    Trees.write(data.resolve("README"), "v1");
    Trees.write(data.resolve("src/Main.java"), "class Main {}");
    agent.track(W, Map.of("data", data));
  }

  @AfterEach
  void stop() {
    engine.close();
    agent.close();
    pool.shutdownNow();
  }

  @Test
  @DisplayName("engine verify asks the directory agent, which reads the snapshot back: INTACT with every content checked")
  void engineVerifyReadsBack() {
    Snapshot first = engine.capture(CaptureSpec.of(W));
    io.snapshotkit.core.VerifyReport report = engine.verify(W.tenant(), first.id(), 1);
    assertTrue(report.intact(), report.toString());
    assertEquals("local", report.host());
    assertEquals(2, report.outcome().contentsChecked(), "README and src/Main.java");
  }

  @Test
  @DisplayName("engine diffs reach every file through HostDiff, and a replace restore through the engine brings the files back")
  void endToEnd() throws IOException {
    Snapshot first = engine.capture(CaptureSpec.of(W));
    Trees.write(data.resolve("README"), "v2, longer");
    Files.delete(data.resolve("src/Main.java"));
    Trees.write(data.resolve("notes.txt"), "new");
    Snapshot second = engine.capture(CaptureSpec.of(W));

    DiffResult between = engine.diff(W.tenant(), first.id(), second.id());
    FamilyDiff files = between.families().get(FsHostAgent.FILES_FAMILY);
    assertEquals(1, files.added());
    assertEquals(1, files.removed());
    assertEquals(1, files.changed());
    assertFalse(between.degraded());

    RestoreReport report = engine.restore(W.tenant(), first.id(), RestoreSpec.replace());
    assertTrue(report.created() > 0);
    assertEquals("v1", Files.readString(data.resolve("README")));
    assertEquals("class Main {}", Files.readString(data.resolve("src/Main.java")));
    assertFalse(Files.exists(data.resolve("notes.txt")));
    assertTrue(engine.diffCurrent(W.tenant(), first.id()).isEmpty(), "restored: nothing differs from the snapshot");

    engine.delete(W.tenant(), second.id());
    assertFalse(agent.snapshots(W).contains(second.id()), "the engine's strict delete removed the host's data");
  }

  @Test
  @DisplayName("a diff against a snapshot whose manifest is truncated fails CORRUPT, not an empty degraded diff")
  void diffAgainstATruncatedManifestIsCorrupt() throws IOException {
    Snapshot first = engine.capture(CaptureSpec.of(W));
    Trees.write(data.resolve("README"), "v2, longer");
    Snapshot second = engine.capture(CaptureSpec.of(W));
    Path manifest = agent.repository().rootPath(W, first.id());
    byte[] bytes = Files.readAllBytes(manifest);
    Files.write(manifest, java.util.Arrays.copyOf(bytes, bytes.length / 2));

    for (org.junit.jupiter.api.function.Executable diff : List.of(
        (org.junit.jupiter.api.function.Executable) () -> engine.diff(W.tenant(), first.id(), second.id()),
        () -> engine.diff(W.tenant(), second.id(), first.id()),
        () -> engine.diffCurrent(W.tenant(), first.id()))) {
      io.snapshotkit.SnapshotException e = org.junit.jupiter.api.Assertions.assertThrows(
          io.snapshotkit.SnapshotException.class, diff);
      assertEquals(io.snapshotkit.ErrorCode.CORRUPT, e.code(), e.getMessage());
      assertEquals(first.workload(), e.workload().orElseThrow());
    }
  }
}
