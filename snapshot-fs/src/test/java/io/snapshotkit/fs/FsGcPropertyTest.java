package io.snapshotkit.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.Manifest;
import io.snapshotkit.RestoreMode;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.internal.files.AtomicFiles;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.RestoreRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * GC safety: captures and collections run at the same time, over and over, while old snapshots
 * (often the very parent the capture reuses content from) are deleted just before; no snapshot
 * ever loses content it references.
 */
class FsGcPropertyTest {
  private static final WorkloadRef W = WorkloadRef.of("acme", "gc");
  private static final AtomicLong INTERLEAVINGS = new AtomicLong();
  private static final int BLOB = 64 << 10;
  /** The mtime each rewrite gets: one millisecond after the previous one. */
  private static final AtomicLong STAMPS = new AtomicLong(Instant.parse("2025-01-01T00:00:00Z").toEpochMilli());
  private static ExecutorService pool;

  @BeforeContainer
  static void start() {
    pool = Executors.newFixedThreadPool(2);
  }

  @AfterContainer
  static void stop() {
    pool.shutdownNow();
    System.getLogger(FsGcPropertyTest.class.getName()).log(System.Logger.Level.INFO,
        "ran " + INTERLEAVINGS.get() + " capture/gc interleavings");
    assertTrue(INTERLEAVINGS.get() >= 1200, "ran " + INTERLEAVINGS.get() + " capture/gc interleavings");
  }

  @Property(tries = 200, seed = "20261122")
  @Label("capture and gc running concurrently never lose content a snapshot references")
  void captureAndGcConcurrently(@ForAll long seed, @ForAll @IntRange(min = 6, max = 10) int rounds)
      throws Exception {
    SplittableRandom random = new SplittableRandom(seed);
    Path dir = new MemoryTempDir().createTempDirectory(null, null);
    Path volume = dir.resolve("live");
    Map<SnapshotId, Map<String, String>> expected = new LinkedHashMap<>();
    try (FsHostAgent agent = FsHostAgent.builder().repository(dir.resolve("repo")).compressionLevel(1)
        // trust every stat, so captures reuse (and pin) their parent's content instead of re-reading
        .racyCutoff(() -> Long.MAX_VALUE)
        // 64 KiB and larger are blobs here, so the blob path is exercised without big writes
        .packLimit(BLOB)
        .build()) {
      Files.createDirectories(volume);
      agent.track(W, Map.of("v", volume));
      for (int round = 0; round < rounds; round++) {
        mutate(volume, random);
        if (!expected.isEmpty() && random.nextInt(3) > 0) {
          // usually the newest, which the next capture reuses unchanged files from
          List<SnapshotId> held = new ArrayList<>(expected.keySet());
          SnapshotId victim = random.nextBoolean() ? held.get(held.size() - 1) : held.get(random.nextInt(held.size()));
          agent.delete(W, victim);
          expected.remove(victim);
        }
        Map<String, String> state = Trees.state(volume, false);
        SnapshotId id = SnapshotId.generate(Instant.parse("2026-01-01T00:00:00Z").plusSeconds(round),
            new SplittableRandom(random.nextLong()));
        Optional<SnapshotId> parent = expected.keySet().stream().reduce((x, y) -> y);
        CyclicBarrier go = new CyclicBarrier(2);
        int gcDelay = random.nextInt(200);
        CompletableFuture<?> gc = CompletableFuture.runAsync(() -> {
          await(go);
          for (int i = 0; i < gcDelay; i++) {
            Thread.onSpinWait();
          }
          agent.gc();
        }, pool);
        CompletableFuture<?> capture = CompletableFuture.runAsync(() -> {
          await(go);
          agent.capture(new CaptureRequest(W, id, parent, Optional.empty(), false));
        }, pool);
        capture.join();
        gc.join();
        INTERLEAVINGS.incrementAndGet();
        expected.put(id, state);
      }
      agent.gc();
      CheckReport check = agent.check(false);
      assertTrue(check.ok(), check.toString());
      for (Map.Entry<SnapshotId, Map<String, String>> e : expected.entrySet()) {
        Path target = dir.resolve("restore-" + e.getKey().value());
        Manifest m = agent.repository().manifest(W, e.getKey()).orElseThrow();
        agent.restore(new RestoreRequest(W, e.getKey(), m, RestoreMode.REPLACE, Optional.of(target.toString()),
            List.of()));
        assertEquals(e.getValue(), Trees.state(target.resolve("v"), false), "snapshot " + e.getKey());
      }
    } finally {
      AtomicFiles.deleteTree(dir);
    }
  }

  private static void await(CyclicBarrier barrier) {
    try {
      barrier.await();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Adds, changes and removes a few files; sometimes one large enough to be its own blob. */
  private static void mutate(Path volume, SplittableRandom random) throws IOException {
    int changes = 1 + random.nextInt(4);
    for (int i = 0; i < changes; i++) {
      Path f = volume.resolve("d" + random.nextInt(3)).resolve("f" + random.nextInt(6));
      switch (random.nextInt(4)) {
        case 0 -> Files.deleteIfExists(f);
        case 1 -> {
          byte[] big = new byte[BLOB + random.nextInt(64)];
          big[random.nextInt(big.length)] = (byte) random.nextInt();
          rewrite(f, big);
        }
        default -> rewrite(f, ("content " + random.nextInt(20)).getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  /**
   * Writes {@code f} in place and gives it an mtime no earlier write had. With the racy cutoff off
   * the scanner trusts size, times and inode; a kernel that stamps files at the clock tick (before
   * Linux 6.13) would give a same-size rewrite within one tick the old times, and the capture
   * would rightly keep the old content.
   */
  private static void rewrite(Path f, byte[] data) throws IOException {
    Trees.write(f, data);
    Files.setLastModifiedTime(f, FileTime.fromMillis(STAMPS.incrementAndGet()));
  }
}
