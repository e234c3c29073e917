package io.snapshotkit.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.RestoreMode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.internal.capture.Capture;
import io.snapshotkit.fs.internal.capture.Scanner;
import io.snapshotkit.fs.internal.repo.Entry;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.CaptureResult;
import io.snapshotkit.spi.RestoreRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Capture on real directories: incremental reads, torn files, packing, and what a restore gives back. */
class FsCaptureTest {
  private static final WorkloadRef W = WorkloadRef.of("acme", "app");
  @TempDir Path dir;
  private final List<Path> reads = Collections.synchronizedList(new ArrayList<>());
  private final List<FsHostAgent> agents = new ArrayList<>();
  private int ids;

  @AfterEach
  void close() {
    agents.forEach(FsHostAgent::close);
  }

  private FsHostAgent agent(Scanner.ReadHook hook) {
    // every stat trusted: these files were all written a moment ago, inside the racy window
    FsHostAgent a = FsHostAgent.builder().repository(dir.resolve("repo")).readHook(hook)
        .racyCutoff(() -> Long.MAX_VALUE).packLimit(1 << 20).build();
    agents.add(a);
    return a;
  }

  private FsHostAgent countingAgent() {
    return agent(reads::add);
  }

  private SnapshotId id() {
    ids++;
    return SnapshotId.generate(Instant.parse("2026-01-01T00:00:00Z").plusSeconds(ids), new SplittableRandom(ids));
  }

  private static CaptureResult capture(FsHostAgent a, SnapshotId id, boolean full) {
    return a.capture(new CaptureRequest(W, id, Optional.empty(), Optional.empty(), full));
  }

  private Path volume() {
    Path v = dir.resolve("live/data");
    for (int i = 0; i < 20; i++) {
      Trees.write(v.resolve("d" + (i % 4)).resolve("f" + i + ".txt"), "file number " + i);
    }
    return v;
  }

  @Test
  @DisplayName("a second capture reads only the file that changed; fullRescan reads every file again")
  void incrementalReadsOnlyChangedFiles() {
    Path v = volume();
    FsHostAgent agent = countingAgent();
    agent.track(W, Map.of("data", v));
    capture(agent, id(), false);
    assertEquals(20, reads.size(), "the first capture reads every file");

    reads.clear();
    Trees.write(v.resolve("d1/f1.txt"), "file number 1, changed");
    CaptureResult second = capture(agent, id(), false);
    assertEquals(List.of(v.resolve("d1/f1.txt")), reads, "only the changed file is read again");
    assertFalse(second.partial());

    reads.clear();
    capture(agent, id(), true);
    assertEquals(20, reads.size(), "fullRescan reads every file");
  }

  @Test
  @DisplayName("a same-size rewrite with its old mtime put back is still caught (ctime changed)")
  void sameSizeSameMtimeRewriteIsCaught() throws IOException {
    Path v = volume();
    FsHostAgent agent = countingAgent();
    agent.track(W, Map.of("data", v));
    Path f = v.resolve("d2/f2.txt");
    FileTime mtime = Files.getLastModifiedTime(f);
    SnapshotId first = id();
    capture(agent, first, false);
    Files.writeString(f, "FILE NUMBER 2");
    Files.setLastModifiedTime(f, mtime);
    reads.clear();
    SnapshotId second = id();
    capture(agent, second, false);
    assertEquals(List.of(f), reads);
    List<FileChange> changes = new ArrayList<>();
    agent.diff(W, first, Optional.of(second), changes::add);
    assertEquals(1, changes.size());
    assertEquals(FileChange.Kind.MODIFIED, changes.get(0).kind());
    assertEquals("data:d2/f2.txt", changes.get(0).key());
  }

  @Test
  @DisplayName("a file that changes once while it is read is read again, and the snapshot holds its new content")
  void fileChangedDuringReadIsReRead() {
    Path v = volume();
    Path victim = v.resolve("d3/f3.txt");
    AtomicInteger changes = new AtomicInteger();
    FsHostAgent agent = agent(file -> {
      if (file.equals(victim) && changes.getAndIncrement() == 0) {
        Trees.write(victim, "rewritten while being read, and longer");
      }
    });
    agent.track(W, Map.of("data", v));
    SnapshotId id = id();
    CaptureResult r = capture(agent, id, false);
    assertFalse(r.partial(), "the second read was consistent");
    assertEquals(2, changes.get(), "the file was read twice");
    Path target = dir.resolve("restored");
    agent.restore(new RestoreRequest(W, id, r.manifest(), RestoreMode.ADDITIVE, Optional.of(target.toString()),
        List.of("data:d3/f3.txt")));
    assertEquals(Trees.state(v.resolve("d3"), false).get("f3.txt"),
        Trees.state(target.resolve("data/d3"), false).get("f3.txt"));
  }

  @Test
  @DisplayName("a gc that removes the parent's content while a capture scans makes the rest of the scan read and store it")
  void gcDuringTheScanStoresTheParentsContentAgain() {
    Path v = volume();
    FsHostAgent[] agent = new FsHostAgent[1];
    SnapshotId[] parent = new SnapshotId[1];
    AtomicInteger gcs = new AtomicInteger();
    // reads run on the capture's thread (no executor): the first file of the second capture (d0/f0.txt,
    // changed) is read before any unchanged file is pinned
    agent[0] = agent(file -> {
      reads.add(file);
      if (parent[0] != null && gcs.get() == 0) {
        gcs.incrementAndGet();
        // the parent is deleted and collected meanwhile, on another thread as another caller would
        java.util.concurrent.CompletableFuture.runAsync(() -> {
          agent[0].delete(W, parent[0]);
          agent[0].gc();
        }).join();
      }
    });
    agent[0].track(W, Map.of("data", v));
    SnapshotId first = id();
    capture(agent[0], first, false);
    Trees.write(v.resolve("d0/f0.txt"), "changed, so the next capture reads it first");
    reads.clear();
    parent[0] = first;
    SnapshotId second = id();
    CaptureResult r = capture(agent[0], second, false);
    assertEquals(1, gcs.get(), "the gc ran once, during the scan");
    assertEquals(20, reads.size(), "the parent's content went: every unchanged file after it was read and stored again");
    assertTrue(agent[0].check(false).ok(), "no snapshot refers to missing content");
    Path target = dir.resolve("restored");
    agent[0].restore(new RestoreRequest(W, second, r.manifest(), RestoreMode.ADDITIVE, Optional.of(target.toString()),
        List.of()));
    assertEquals(Trees.state(v, false), Trees.state(target.resolve("data"), false));
  }

  @Test
  @DisplayName("a file that never stops changing while it is read makes the snapshot partial, never silently torn")
  void fileThatKeepsChangingMakesSnapshotPartial() {
    Path v = volume();
    Path victim = v.resolve("d0/f0.txt");
    AtomicInteger n = new AtomicInteger();
    FsHostAgent agent = agent(file -> {
      if (file.equals(victim)) {
        // a different size each time: timestamps alone may not move within one clock tick
        Trees.write(victim, "version " + "x".repeat(n.incrementAndGet()));
      }
    });
    agent.track(W, Map.of("data", v));
    CaptureResult r = capture(agent, id(), false);
    assertTrue(r.partial(), "the capture says it could not read everything consistently");
    assertTrue(r.manifest().partial());
    assertEquals(Scanner.RETRIES + 1, n.get(), "it was read " + (Scanner.RETRIES + 1) + " times before giving up");
    SnapshotId id = agent.snapshots(W).get(0);
    io.snapshotkit.DiffResult diff = agent.diff(W, id, Optional.empty());
    assertTrue(diff.degraded(), "a diff against a partial snapshot says it may be missing differences");
    assertFalse(diff.problems().isEmpty());
  }

  @Test
  @DisplayName("a torn file is read again by the next capture even if its stat has not changed since")
  void tornFileIsNotReusedByNextCapture() {
    Path v = volume();
    Path victim = v.resolve("d0/f0.txt");
    AtomicInteger n = new AtomicInteger();
    boolean[] busy = {true};
    FsHostAgent agent = agent(file -> {
      reads.add(file);
      if (file.equals(victim) && busy[0]) {
        Trees.write(victim, "version " + "x".repeat(n.incrementAndGet()));
      }
    });
    agent.track(W, Map.of("data", v));
    assertTrue(capture(agent, id(), false).partial());
    busy[0] = false;
    reads.clear();
    CaptureResult next = capture(agent, id(), false);
    assertFalse(next.partial());
    assertEquals(List.of(victim), reads);
  }

  @Test
  @DisplayName("20,000 small files are stored in a handful of pack files, not 20,000 repository files")
  void smallFilesArePacked(@TempDir(factory = MemoryTempDir.class) Path mem) throws IOException {
    Path v = mem.resolve("live/many");
    for (int i = 0; i < 20_000; i++) {
      Trees.write(v.resolve("d" + (i % 100)).resolve("f" + i), "small file " + i + "\n".repeat(i % 7));
    }
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      FsHostAgent agent = FsHostAgent.builder().repository(mem.resolve("repo")).executor(pool).build();
      agents.add(agent);
      agent.track(W, Map.of("many", v));
      CaptureResult r = capture(agent, id(), false);
      assertEquals(20_000, r.manifest().family(FsHostAgent.FAMILY).get(0).document().get("files").asLong());
      long repoFiles;
      try (Stream<Path> walk = Files.walk(mem.resolve("repo"))) {
        repoFiles = walk.filter(Files::isRegularFile).count();
      }
      assertTrue(repoFiles < 20, "the repository holds " + repoFiles + " files");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @DisplayName("restore into another directory gives back contents, modes, mtimes, symlinks and empty directories")
  void restorePreservesMetadata() throws IOException {
    Path v = dir.resolve("live/meta");
    Trees.write(v.resolve("bin/run.sh"), "#!/bin/sh\necho hi\n");
    Files.setPosixFilePermissions(v.resolve("bin/run.sh"), PosixFilePermissions.fromString("rwxr-x---"));
    Trees.write(v.resolve("secret"), "s3cret");
    Files.setPosixFilePermissions(v.resolve("secret"), PosixFilePermissions.fromString("rw-------"));
    Files.createDirectories(v.resolve("empty/deeper"));
    Files.createSymbolicLink(v.resolve("rel-link"), Path.of("bin/run.sh"));
    Files.createSymbolicLink(v.resolve("abs-link"), Path.of("/etc/hostname"));
    Files.createSymbolicLink(v.resolve("dangling"), Path.of("nowhere/at/all"));
    byte[] big = new byte[3 << 20];
    new SplittableRandom(7).nextBytes(big);
    Trees.write(v.resolve("big.bin"), big);
    Files.setLastModifiedTime(v.resolve("secret"), FileTime.from(Instant.parse("2001-02-03T04:05:06.789Z")));
    Files.setLastModifiedTime(v.resolve("empty/deeper"), FileTime.from(Instant.parse("2002-02-03T04:05:06Z")));
    Files.setPosixFilePermissions(v.resolve("empty"), PosixFilePermissions.fromString("rwx--x--x"));
    Map<String, String> before = Trees.state(v, true);

    FsHostAgent agent = countingAgent();
    agent.track(W, Map.of("meta", v));
    SnapshotId id = id();
    CaptureResult r = capture(agent, id, false);
    Path target = dir.resolve("elsewhere");
    agent.restore(new RestoreRequest(W, id, r.manifest(), RestoreMode.REPLACE, Optional.of(target.toString()),
        List.of()));
    assertEquals(before, Trees.state(target.resolve("meta"), true));
    assertEquals(before, Trees.state(v, true), "restoring elsewhere leaves the live volume alone");
  }

  @Test
  @DisplayName("files changed within the racy window before a capture are read again by the next one, even unchanged")
  void racyFilesAreReadAgain() {
    long written = System.nanoTime();
    Path v = volume();
    FsHostAgent agent = FsHostAgent.builder().repository(dir.resolve("repo")).readHook(reads::add).build();
    agents.add(agent);
    agent.track(W, Map.of("data", v));
    capture(agent, id(), false);
    long tookNanos = System.nanoTime() - written;
    // the default cutoff is the filesystem's time less a 2 s window: on a machine so loaded that
    // writing the files and capturing them took longer, the files are rightly trusted, and this
    // case cannot observe the window (racyEntriesAreNeverReused covers the rule with a set cutoff)
    org.junit.jupiter.api.Assumptions.assumeTrue(tookNanos < Capture.RACY_WINDOW_NANOS * 3 / 4,
        () -> "writing and capturing the files took " + tookNanos / 1_000_000 + " ms, not well within the racy window");
    reads.clear();
    CaptureResult again = capture(agent, id(), false);
    assertEquals(20, reads.size(), "every file was written moments before the first capture, so none is trusted");
    assertFalse(again.partial());
    assertEquals(again.manifest().families(), agent.describe(W).families());
  }

  @Test
  @DisplayName("entries a capture stored as racy are read again by the next capture, even one that trusts every stat")
  void racyEntriesAreNeverReused() {
    Path v = volume();
    // the first capture distrusts every stat (cutoff 0); the second trusts every stat it sees
    long[] cutoff = {0};
    FsHostAgent agent = FsHostAgent.builder().repository(dir.resolve("repo")).readHook(reads::add)
        .racyCutoff(() -> cutoff[0]).build();
    agents.add(agent);
    agent.track(W, Map.of("data", v));
    SnapshotId first = id();
    capture(agent, first, false);
    cutoff[0] = Long.MAX_VALUE;
    reads.clear();
    SnapshotId second = id();
    capture(agent, second, false);
    assertEquals(20, reads.size(), "entries stored with an untrusted ctime are never reused");
    reads.clear();
    capture(agent, id(), false);
    assertEquals(List.of(), reads, "the second capture trusted what it saw, so the third reads nothing");
  }

  @Test
  @DisplayName("the racy guard judges by ctime: a file whose mtime was set far in the future is still trusted")
  void futureMtimeIsNotRacy() throws IOException {
    Path v = volume();
    Files.setLastModifiedTime(v.resolve("d0/f4.txt"), FileTime.from(Instant.parse("2200-01-01T00:00:00Z")));
    long cutoff = Entry.nanos(Instant.parse("2100-01-01T00:00:00Z"));
    FsHostAgent agent = FsHostAgent.builder().repository(dir.resolve("repo")).readHook(reads::add)
        .racyCutoff(() -> cutoff).build();
    agents.add(agent);
    agent.track(W, Map.of("data", v));
    capture(agent, id(), false);
    reads.clear();
    capture(agent, id(), false);
    assertEquals(List.of(), reads, "no file changed since the first capture, whatever its mtime says");
  }

  @Test
  @DisplayName("a fifo in a volume is skipped, never opened (opening it would block the capture)")
  void fifoIsSkipped() throws Exception {
    Path v = volume();
    Process mkfifo = new ProcessBuilder("mkfifo", v.resolve("d0/pipe").toString()).start();
    assertEquals(0, mkfifo.waitFor());
    FsHostAgent agent = countingAgent();
    agent.track(W, Map.of("data", v));
    CaptureResult r = capture(agent, id(), false);
    assertFalse(r.partial());
    assertEquals(20, r.manifest().family(FsHostAgent.FAMILY).get(0).document().get("files").asLong());
    assertFalse(reads.contains(v.resolve("d0/pipe")));
  }

  @Test
  @DisplayName("a file deleted while the volume is walked is left out, and the snapshot is still complete")
  void fileVanishingDuringWalk() {
    Path v = volume();
    Path doomed = v.resolve("d3/f7.txt");
    FsHostAgent agent = agent(file -> {
      reads.add(file);
      Files.deleteIfExists(doomed);
    });
    agent.track(W, Map.of("data", v));
    SnapshotId id = id();
    CaptureResult r = capture(agent, id, false);
    assertFalse(r.partial());
    assertEquals(19, r.manifest().family(FsHostAgent.FAMILY).get(0).document().get("files").asLong());
    List<FileChange> changes = new ArrayList<>();
    agent.diff(W, id, Optional.empty(), changes::add);
    assertEquals(List.of(), changes, "the snapshot matches what the volume now holds");
  }

  @Test
  @DisplayName("a capture run on the only thread of the executor it reads on completes (reads not started are done inline)")
  void captureOnItsOwnExecutorDoesNotDeadlock() throws Exception {
    Path v = volume();
    ExecutorService single = Executors.newSingleThreadExecutor();
    try {
      FsHostAgent agent = FsHostAgent.builder().repository(dir.resolve("repo")).executor(single).build();
      agents.add(agent);
      agent.track(W, Map.of("data", v));
      SnapshotId id = id();
      // the timeout only stops a deadlock from hanging the build
      CaptureResult r = single.submit(() -> capture(agent, id, false)).get(2, java.util.concurrent.TimeUnit.MINUTES);
      assertEquals(20, r.manifest().family(FsHostAgent.FAMILY).get(0).document().get("files").asLong());
      assertTrue(agent.check(false).ok());
    } finally {
      single.shutdownNow();
    }
  }

  @Test
  @DisplayName("an executor that queues reads and never runs them does not stall a capture")
  void captureWithStalledExecutor() {
    Path v = volume();
    List<Runnable> neverRun = Collections.synchronizedList(new ArrayList<>());
    FsHostAgent agent = FsHostAgent.builder().repository(dir.resolve("repo")).executor(neverRun::add).build();
    agents.add(agent);
    agent.track(W, Map.of("data", v));
    CaptureResult r = capture(agent, id(), false);
    assertEquals(20, neverRun.size(), "every read was offered to the executor");
    assertEquals(20, r.manifest().family(FsHostAgent.FAMILY).get(0).document().get("files").asLong());
    neverRun.forEach(Runnable::run);
    assertTrue(agent.check(false).ok(), "a late run of an already-done read changes nothing");
  }

  @Test
  @DisplayName("a capture that fails leaves no snapshot and removes the content it had already stored itself, before any gc")
  void failedCaptureLeavesNothing() throws IOException {
    Path v = volume();
    byte[] big = new byte[(2 << 20) + 3];
    new SplittableRandom(9).nextBytes(big);
    Trees.write(v.resolve("a-big.bin"), big);
    FsHostAgent agent = agent(file -> {
      if (file.endsWith("f9.txt")) {
        throw new IOException("disk read error (injected)");
      }
    });
    agent.track(W, Map.of("data", v));
    SnapshotId id = id();
    assertThrows(SnapshotException.class, () -> capture(agent, id, false));
    assertEquals(List.of(), agent.snapshots(W));
    assertEquals(OptionalLong.empty(), agent.sizeOf(W, id));
    try (Stream<Path> left = Files.walk(dir.resolve("repo"))) {
      assertEquals(List.of(), left.filter(Files::isRegularFile)
          .filter(p -> p.toString().contains("/index/") || p.toString().contains("/packs/")
              || p.toString().contains("/snapshots/"))
          .toList(), "the large file's chunks, stored before the failure, are gone without a gc");
    }
    GcReport gc = agent.gc();
    assertEquals(0, gc.contentsRemoved(), "nothing was left for gc");
  }

  @Test
  @DisplayName("describe equals the capture, and changes when a mode changes (mode is part of the tree digest)")
  void describeTracksModes() throws IOException {
    Path v = volume();
    FsHostAgent agent = countingAgent();
    agent.track(W, Map.of("data", v));
    CaptureResult r = capture(agent, id(), false);
    assertEquals(r.manifest().families(), agent.describe(W).families());
    reads.clear();
    agent.describe(W);
    assertEquals(List.of(), reads, "describe of an unchanged volume reads no file");
    Files.setPosixFilePermissions(v.resolve("d0/f0.txt"), PosixFilePermissions.fromString("rwx------"));
    assertNotEquals(r.manifest().families(), agent.describe(W).families());
  }
}
