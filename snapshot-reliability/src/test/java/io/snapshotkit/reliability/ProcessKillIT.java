package io.snapshotkit.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.snapshotkit.RetentionPolicy;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.RestoreSpec;
import io.snapshotkit.fs.CheckReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A child JVM ({@link CrashChild}) is SIGKILLed in the middle of a capture, a delete, a retention
 * run and a gc; then the world is opened again, as a restarted process would, and must be
 * consistent: {@code check} clean, no READY snapshot whose content is missing, the stuck CAPTURING
 * row reaped, the interrupted delete completed by a retry, unreferenced content reclaimed by the
 * next gc, no temporary files left, and the next capture and restore work byte for byte. Each
 * crash point is its own test and fails if the recovery it relies on is removed.
 */
class ProcessKillIT {
  static final WorkloadRef WS = WorkloadRef.of("crash", "ws");

  @TempDir Path base;
  private Path data;
  private Snapshot first;
  private TreeMap<String, String> firstTree;
  private long baselineContents;

  /** Deterministic incompressible bytes (so files of 1 MiB or more are cut into chunks that do not compress). */
  static byte[] randomBytes(long seed, int size) {
    byte[] b = new byte[size];
    new SplittableRandom(seed).nextBytes(b);
    return b;
  }

  @BeforeEach
  void setUp() throws IOException {
    try (FsWorld w = FsWorld.create(base)) {
      data = w.track(WS);
      Files.createDirectories(data.resolve("docs"));
      for (int i = 0; i < 3; i++) {
        Files.write(data.resolve("big-" + i + ".bin"), randomBytes(i, 1_500_000));
        Files.writeString(data.resolve("docs/small-" + i + ".txt"), "small " + i, StandardCharsets.UTF_8);
      }
      first = w.engine().capture(CaptureSpec.of(WS).name("first"));
      firstTree = Sentinel.read(data);
      baselineContents = w.agent().check(false).contentsChecked();
    }
    // the next capture has new content to store: two new big files and a changed small one
    Files.write(data.resolve("big-new-a.bin"), randomBytes(100, 1_500_000));
    Files.write(data.resolve("big-new-b.bin"), randomBytes(101, 1_500_000));
    Files.writeString(data.resolve("docs/small-0.txt"), "changed", StandardCharsets.UTF_8);
  }

  // ---------------------------------------------------------------- capture

  @Test
  void killedWhileTheAgentStoresContent() throws Exception {
    kill("capture-mid-agent");
    try (FsWorld w = FsWorld.reopen(base, FsWorld.Hooks.none())) {
      Snapshot stuck = onlyOther(w, SnapshotStatus.CAPTURING);
      assertFalse(w.agent().snapshots(WS).contains(stuck.id()), "the killed capture never committed a manifest");
      reapAndDelete(w, stuck);
      assertConsistent(w);
    }
  }

  @Test
  void killedAfterTheAgentCommittedBeforeTheEngineMarkedReady() throws Exception {
    kill("capture-before-commit");
    try (FsWorld w = FsWorld.reopen(base, FsWorld.Hooks.none())) {
      Snapshot stuck = onlyOther(w, SnapshotStatus.CAPTURING);
      assertTrue(w.agent().snapshots(WS).contains(stuck.id()), "the agent had committed the snapshot's data");
      reapAndDelete(w, stuck);
      assertFalse(w.agent().snapshots(WS).contains(stuck.id()), "deleting the reaped snapshot removed its data");
      assertConsistent(w);
    }
  }

  // ---------------------------------------------------------------- delete

  @Test
  void killedAfterMarkingDeletingBeforeTheHostDeleted() throws Exception {
    kill("delete-before-agent", first.id().value());
    try (FsWorld w = FsWorld.reopen(base, FsWorld.Hooks.none())) {
      assertEquals(SnapshotStatus.DELETING, w.engine().get(WS.tenant(), first.id()).status());
      assertTrue(w.agent().snapshots(WS).contains(first.id()), "the host never deleted the data");
      retryDelete(w, first.id());
      assertConsistentAfterDeletingFirst(w);
    }
  }

  @Test
  void killedAfterTheHostDeletedBeforeTheRowWasRemoved() throws Exception {
    kill("delete-after-agent", first.id().value());
    try (FsWorld w = FsWorld.reopen(base, FsWorld.Hooks.none())) {
      Snapshot row = w.engine().get(WS.tenant(), first.id());
      assertEquals(SnapshotStatus.DELETING, row.status(), "never READY once its data may be gone");
      assertFalse(w.agent().snapshots(WS).contains(first.id()));
      retryDelete(w, first.id());
      assertConsistentAfterDeletingFirst(w);
    }
  }

  // ---------------------------------------------------------------- retention

  @Test
  void killedInTheMiddleOfARetentionRun() throws Exception {
    List<SnapshotId> ids = new ArrayList<>();
    Instant now;
    try (FsWorld w = FsWorld.reopen(base, FsWorld.Hooks.none())) {
      for (int i = 0; i < 3; i++) {
        w.clock.advance(Duration.ofHours(1));
        Files.writeString(data.resolve("docs/round"), "round " + i, StandardCharsets.UTF_8);
        ids.add(w.engine().capture(CaptureSpec.of(WS).name("round " + i)).id());
      }
      now = w.clock.instant();
    }
    // keepLast(1) deletes first, round 0 and round 1, oldest first; the child dies in the second delete
    kill("retention-mid", now.toString());
    try (FsWorld w = FsWorld.reopen(base, FsWorld.Hooks.none())) {
      w.clock.set(now);
      RetentionPolicy keepLast = RetentionPolicy.keepLast(1);
      w.engine().applyRetention(WS, keepLast, false);
      List<Snapshot> left = all(w);
      assertEquals(List.of(ids.get(2)), left.stream().map(Snapshot::id).toList(),
          "a retention run after the restart finishes what the killed one started: " + left);
      assertEquals(List.of(ids.get(2)), w.agent().snapshots(WS), "the repository holds only the kept snapshot");
      w.agent().gc();
      assertConsistentRows(w);
    }
  }

  // ---------------------------------------------------------------- gc

  @Test
  void killedWhileCollectingGarbage() throws Exception {
    // Garbage to collect: 12 snapshots, each with its own 1.1 MB blob and small packed files,
    // deleted cleanly through the engine. The child runs one gc and is killed a seeded few
    // milliseconds after it starts, twice (the moment varies with load, so the kill lands before,
    // inside or after the sweep and pack compaction); whatever the moment, the restart is consistent
    // and the next gc reclaims everything unreferenced.
    SplittableRandom random = new SplittableRandom(7);
    for (int round = 0; round < 2; round++) {
      try (FsWorld w = FsWorld.reopen(base, FsWorld.Hooks.none())) {
        for (int i = 0; i < 12; i++) {
          Path garbage = data.resolve("garbage");
          Files.createDirectories(garbage);
          Files.write(garbage.resolve("blob.bin"), randomBytes(1000L * round + i, 1_100_000));
          Files.writeString(garbage.resolve("packed.txt"), "packed " + round + "/" + i, StandardCharsets.UTF_8);
          w.clock.advance(Duration.ofMinutes(1));
          SnapshotId id = w.engine().capture(CaptureSpec.of(WS)).id();
          w.engine().delete(WS.tenant(), id);
        }
        InputFuzzTest.deleteTree(data.resolve("garbage"));
        assertTrue(w.agent().check(false).contentsChecked() > baselineContents + 12, "garbage is waiting");
      }
      kill("gc-once", "", Duration.ofMillis(random.nextInt(0, 40)));
      try (FsWorld w = FsWorld.reopen(base, FsWorld.Hooks.none())) {
        assertTrue(w.agent().check(false).ok(), "check right after the restart: " + w.agent().check(false));
        assertConsistent(w);
        // leave only first for the next round
        for (Snapshot s : all(w)) {
          if (!s.id().equals(first.id())) {
            w.engine().delete(WS.tenant(), s.id());
          }
        }
        w.agent().gc();
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  private void kill(String point, String... extra) throws Exception {
    kill(point, extra.length == 0 ? "" : extra[0], Duration.ZERO);
  }

  private void kill(String point, String extra, Duration afterMarker) throws Exception {
    Path marker = base.resolve("reached-" + point);
    Files.deleteIfExists(marker);
    Path log = base.resolve("child-" + point + ".log");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", System.getProperty("java.class.path"), CrashChild.class.getName(), point, base.toString(),
        marker.toString()));
    if (!extra.isEmpty()) {
      cmd.add(extra);
    }
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
      if (!afterMarker.isZero()) {
        Thread.sleep(afterMarker.toMillis());
      }
    } finally {
      child.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no finally blocks
      assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child did not die");
    }
    assertEquals(137, child.exitValue(), "the child was SIGKILLed (128 + 9), not ended another way");
  }

  /** The one snapshot that is not {@code first}, which must have {@code status}. */
  private Snapshot onlyOther(FsWorld w, SnapshotStatus status) {
    List<Snapshot> others = all(w).stream().filter(s -> !s.id().equals(first.id())).toList();
    assertEquals(1, others.size(), "one snapshot besides the first: " + others);
    assertEquals(status, others.get(0).status(), "the interrupted snapshot's row");
    return others.get(0);
  }

  private static List<Snapshot> all(FsWorld w) {
    return w.engine().list(SnapshotQuery.of(WS).limit(500)).items();
  }

  /** The reaper fails the stuck capture; deleting it removes whatever the host kept. */
  private static void reapAndDelete(FsWorld w, Snapshot stuck) {
    assertEquals(0, w.engine().reapStuckCaptures(), "not stuck yet: younger than stuckCaptureAfter");
    w.clock.advance(Duration.ofMinutes(11));
    assertEquals(1, w.engine().reapStuckCaptures(), "the stuck CAPTURING row is reaped after the timeout");
    assertEquals(SnapshotStatus.FAILED, w.engine().get(WS.tenant(), stuck.id()).status());
    w.engine().delete(WS.tenant(), stuck.id());
  }

  /** A delete interrupted by a crash can be completed by deleting again. */
  private static void retryDelete(FsWorld w, SnapshotId id) {
    w.engine().delete(WS.tenant(), id);
    assertTrue(all(w).stream().noneMatch(s -> s.id().equals(id)), "the retried delete removed the row");
    assertFalse(w.agent().snapshots(WS).contains(id), "the retried delete removed the data");
  }

  /** First is intact; gc returns the repository to its content; the next capture and restore work. */
  private void assertConsistent(FsWorld w) throws IOException {
    w.agent().gc();
    assertEquals(baselineContents, w.agent().check(false).contentsChecked(),
        "the next gc reclaimed every content the interrupted operation left behind");
    assertConsistentRows(w);
    assertRestores(w, first.id(), firstTree);
  }

  private void assertConsistentAfterDeletingFirst(FsWorld w) throws IOException {
    w.agent().gc();
    assertEquals(0, w.agent().check(false).contentsChecked(), "the next gc reclaimed the deleted snapshot's content");
    assertConsistentRows(w);
  }

  /**
   * Every row READY (none stuck), each READY snapshot held by the repository, check clean, no
   * temporary files, and a new capture restores byte for byte.
   */
  private void assertConsistentRows(FsWorld w) throws IOException {
    CheckReport check = w.agent().check(false);
    assertTrue(check.ok(), "check after the restart: " + check);
    List<Snapshot> rows = all(w);
    for (Snapshot s : rows) {
      assertEquals(SnapshotStatus.READY, s.status(), "no row is left CAPTURING, DELETING or FAILED: " + rows);
      assertTrue(w.agent().snapshots(WS).contains(s.id()), "READY snapshot " + s.id() + " has its data");
    }
    assertEquals(rows.stream().map(Snapshot::id).sorted().toList(), w.agent().snapshots(WS).stream().sorted().toList(),
        "the repository holds no snapshot the store does not know");
    assertEquals(List.of(), temporaryFiles(w.repo), "temporary files left in the repository");
    w.clock.advance(Duration.ofMinutes(1));
    Snapshot next = w.engine().capture(CaptureSpec.of(WS).name("after the crash"));
    assertRestores(w, next.id(), Sentinel.read(data));
  }

  private void assertRestores(FsWorld w, SnapshotId id, Map<String, String> expected) throws IOException {
    Path target = base.resolve("check-" + id.value());
    w.engine().restore(WS.tenant(), id, RestoreSpec.additive().target(target.toString()));
    assertEquals(expected, Sentinel.read(target.resolve("data")), "snapshot " + id + " restores byte for byte");
    InputFuzzTest.deleteTree(target);
  }

  private static List<String> temporaryFiles(Path repo) throws IOException {
    try (Stream<Path> walk = Files.walk(repo)) {
      return walk.filter(p -> p.getFileName().toString().startsWith(".tmp-")
              || (p.getParent() != null && p.getParent().getFileName().toString().equals("tmp") && Files.isRegularFile(p)))
          .map(p -> repo.relativize(p).toString()).toList();
    }
  }
}
