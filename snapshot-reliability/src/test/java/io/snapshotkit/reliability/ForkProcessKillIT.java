package io.snapshotkit.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotOrigin;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.ForkOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fork killed (SIGKILL, in a child JVM on a SQLite store and a real repository) before and after
 * the host's step leaves no child: after the restart the row is CAPTURING, the reaper fails it,
 * its delete removes the host's root file, the child has no version, and a fork retried into the
 * same target completes byte for byte. (A kill inside the materialising replace restore is the
 * journaled restore's, which {@code CrashRestoreIT} covers at every durable step.)
 */
class ForkProcessKillIT {
  static final WorkloadRef CHILD = WorkloadRef.of(ProcessKillIT.WS.tenant(), "forked");

  @TempDir Path base;
  private Snapshot source;
  private TreeMap<String, String> sourceTree;
  private Path target;

  @BeforeEach
  void setUp() throws IOException {
    try (FsWorld w = FsWorld.create(base)) {
      Path data = w.track(ProcessKillIT.WS);
      Files.write(data.resolve("big.bin"), ProcessKillIT.randomBytes(1, 1_500_000));
      Files.writeString(data.resolve("small.txt"), "small", StandardCharsets.UTF_8);
      source = w.engine().capture(CaptureSpec.of(ProcessKillIT.WS));
      sourceTree = Sentinel.read(data);
    }
    target = base.resolve("forks/child");
  }

  @Test
  void killedAfterAdmissionBeforeTheHostForked() throws Exception {
    kill("fork-before-agent");
    try (FsWorld w = FsWorld.reopen(base, FsWorld.Hooks.none())) {
      Snapshot stuck = stuckChildRow(w);
      assertEquals(List.of(), w.agent().snapshots(CHILD), "the host never forked");
      recoverAndRetry(w, stuck);
    }
  }

  @Test
  void killedAfterTheHostForkedBeforeTheEngineCommitted() throws Exception {
    kill("fork-after-agent");
    try (FsWorld w = FsWorld.reopen(base, FsWorld.Hooks.none())) {
      Snapshot stuck = stuckChildRow(w);
      assertEquals(List.of(stuck.id()), w.agent().snapshots(CHILD), "the host had written the child's root file");
      assertEquals(sourceTree, Sentinel.read(target.resolve("data")), "the target was filled whole");
      recoverAndRetry(w, stuck);
    }
  }

  private Snapshot stuckChildRow(FsWorld w) {
    List<Snapshot> rows = w.engine().list(SnapshotQuery.of(CHILD)).items();
    assertEquals(1, rows.size(), rows.toString());
    assertEquals(SnapshotStatus.CAPTURING, rows.get(0).status());
    assertEquals(List.of(), w.engine().versions(CHILD), "the killed fork made no version");
    return rows.get(0);
  }

  private void recoverAndRetry(FsWorld w, Snapshot stuck) {
    w.clock.advance(Duration.ofMinutes(11));
    assertEquals(1, w.engine().reapStuckCaptures());
    w.engine().delete(CHILD.tenant(), stuck.id());
    assertEquals(List.of(), w.agent().snapshots(CHILD), "deleting the reaped row removed the host's root file");
    assertEquals(List.of(), w.engine().versions(CHILD));

    Snapshot child = w.engine().fork(CHILD.tenant(), source.id(), CHILD, ForkOptions.defaults().target(target.toString()));
    assertEquals(1, child.version());
    assertEquals(SnapshotStatus.READY, child.status());
    assertEquals(sourceTree, Sentinel.read(target.resolve("data")), "the retried fork is byte for byte the snapshot");
    try (io.snapshotkit.jdbc.JdbcManifestStore store = io.snapshotkit.jdbc.JdbcManifestStore.sqlite(w.db)) {
      assertEquals(Optional.of(new SnapshotOrigin(source.id(), ProcessKillIT.WS)), store.origin(child.id()));
    }
    w.agent().gc();
    assertTrue(w.agent().check(false).ok(), w.agent().check(false).toString());
    assertEquals(Map.of("data", target.resolve("data")), w.agent().volumes(CHILD).orElseThrow());
  }

  private void kill(String point) throws Exception {
    Path marker = base.resolve("reached-" + point);
    Path log = base.resolve("child-" + point + ".log");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", System.getProperty("java.class.path"), ForkCrashChild.class.getName(), point,
        base.toString(), marker.toString(), source.id().value(), target.toString()));
    Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (!Files.exists(marker)) {
        if (child.waitFor(20, TimeUnit.MILLISECONDS)) {
          fail("the child exited (" + child.exitValue() + ") before reaching " + point + ":\n" + Files.readString(log));
        }
        if (System.nanoTime() > deadline) {
          fail("the child did not reach " + point + " in 120 s:\n" + Files.readString(log));
        }
      }
    } finally {
      child.destroyForcibly();
      assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child did not die");
    }
    assertEquals(137, child.exitValue(), "SIGKILLed");
  }
}
