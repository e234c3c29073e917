package io.snapshotkit.fs.internal.restore;

import static io.snapshotkit.fs.internal.restore.RestoreFixture.WORKLOAD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Every replace-restore test of {@link RestoreReplaceTest}, with file contents written by a pool
 * of three threads (the restorer an agent built with an executor uses), plus what only a pool
 * can get wrong: many files at once, and a restore running on the pool it writes with.
 */
class RestoreParallelTest extends RestoreReplaceTest {
  private final AtomicInteger pooled = new AtomicInteger();
  private final ExecutorService pool = Executors.newFixedThreadPool(3, r -> {
    Thread t = new Thread(() -> {
      pooled.incrementAndGet();
      r.run();
    }, "restore-test-pool");
    t.setDaemon(true);
    return t;
  });

  @Override
  Restorer restorer() {
    return restorer(pool);
  }

  private Restorer restorer(ExecutorService executor) {
    return Restorer.on(repo).executor(executor);
  }

  @AfterEach
  void stopPool() throws InterruptedException {
    pool.shutdownNow();
    assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
  }

  /** Adds 400 files of distinct content, modes and mtimes in nested directories to both volumes and captures again. */
  private void manyFiles() throws IOException {
    for (Map.Entry<String, Path> v : live.entrySet()) {
      for (int i = 0; i < 400; i++) {
        String text = (v.getKey() + " file " + i + " ").repeat(1 + i % 97);
        RestoreFixture.write(v.getValue().resolve("many/d" + (i % 7) + "/e" + (i % 3) + "/f" + i + ".txt"), text,
            i % 2 == 0 ? "rw-r--r--" : "rwx------", 1_600_000_000_000L + i * 1000L);
      }
    }
    snap = RestoreFixture.capture(repo, "01JD0000000000000000000009", live);
    snapshotState = states(true);
    Files.writeString(live.get("app").resolve("many/d0/e0/f0.txt"), "changed after the snapshot");
    Files.delete(live.get("db").resolve("many/d1/e1/f1.txt"));
  }

  @Test
  @DisplayName("a pool writing hundreds of files at once restores exactly the snapshot, directory mtimes included")
  void manyFilesAtOnce() throws IOException {
    manyFiles();
    restorer().replace(WORKLOAD, snap, live, Selection.all(live.keySet()), (s, n) -> { });
    assertEquals(snapshotState, states(true));
    assertTrue(pooled.get() > 0, "the pool's threads wrote files");
    assertNoDebris();
  }

  @Test
  @DisplayName("a restore running on the only thread of the executor it writes with finishes (it writes in line)")
  void aRestoreOnItsOwnSingleThreadExecutorDoesNotDeadlock() throws Exception {
    manyFiles();
    ExecutorService single = Executors.newSingleThreadExecutor();
    try {
      Restorer r = restorer(single);
      Future<Integer> done = single.submit(
          () -> r.replace(WORKLOAD, snap, live, Selection.all(live.keySet()), (s, n) -> { }).entries());
      int entries = snapshotState.values().stream().mapToInt(Map::size).sum();
      assertEquals(entries, done.get(60, TimeUnit.SECONDS));
    } finally {
      single.shutdownNow();
    }
    assertEquals(snapshotState, states(true));
  }

  @Test
  @DisplayName("additive restore with a pool creates exactly what a restore on one thread creates")
  void additiveWithAPoolMatchesOneThread() throws IOException {
    manyFiles();
    Path a = Files.createDirectories(tmp.resolve("additive-one"));
    Path b = Files.createDirectories(tmp.resolve("additive-pool"));
    AdditiveRestore.Result one = Restorer.on(repo).additive(WORKLOAD, snap, Map.of("app", a),
        Selection.all(List.of("app")));
    AdditiveRestore.Result pooledCounts = restorer().additive(WORKLOAD, snap, Map.of("app", b),
        Selection.all(List.of("app")));
    List<io.snapshotkit.RestoreFailure> errors = new ArrayList<>(one.failures());
    errors.addAll(pooledCounts.failures());
    assertEquals(List.of(), errors);
    assertEquals(one.created(), pooledCounts.created());
    assertEquals(snapshotState.get("app"), RestoreFixture.tree(b, true));
    assertEquals(RestoreFixture.tree(a, true), RestoreFixture.tree(b, true));
  }
}
