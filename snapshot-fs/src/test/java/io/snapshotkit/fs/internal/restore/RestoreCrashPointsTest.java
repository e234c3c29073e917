package io.snapshotkit.fs.internal.restore;

import static io.snapshotkit.fs.internal.restore.RestoreFixture.WORKLOAD;
import static io.snapshotkit.fs.internal.restore.RestoreFixture.list;
import static io.snapshotkit.fs.internal.restore.RestoreFixture.tree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.SnapshotId;
import io.snapshotkit.fs.SnapshotArchive;
import io.snapshotkit.fs.internal.repo.FsRepository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every crash point, exhaustively: a replace restore of three volumes is stopped before each of
 * its durable steps (every rename and every journal write, counted through {@link
 * Durable}); from then on the "crashed" process can make no durable change, so its own
 * rollback gets only as far as a real one would. Recovery must then leave every volume fully
 * original, or (only once the journal said COMMITTED) fully restored, with no debris. Done with
 * all volumes existing before the restore, none (a restore into new directories) and some, and,
 * for the all-existing case, with recovery itself crashed at each of its steps and run again.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RestoreCrashPointsTest {
  private static final List<String> VOLUMES = List.of("a", "b", "c");
  private static final SnapshotArchive.Limits NO_POLICY = new SnapshotArchive.Limits(Long.MAX_VALUE, Long.MAX_VALUE, 4096);

  @TempDir static Path tmp;
  private FsRepository repo;
  private SnapshotId snap;
  private final Map<String, Map<String, String>> restored = new TreeMap<>();
  private int cases;

  /**
   * Crashes before the {@code crashAt}-th durable step (0-based: renames and journal writes). It
   * skips fsyncs to keep thousands of steps fast: they matter for power loss, not for a kill.
   */
  static final class Crashing implements Durable {
    private long left;
    int steps;
    boolean crashed;
    boolean committed;

    Crashing(long crashAt) {
      this.left = crashAt;
    }

    private void step() throws IOException {
      if (crashed || left-- == 0) {
        crashed = true;
        throw new IOException("simulated crash");
      }
      steps++;
    }

    @Override
    public void move(Path from, Path to) throws IOException {
      step();
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    public void sync(Path directory) {
      // a killed process loses nothing the kernel has; fsync matters only for power loss
    }

    @Override
    public void write(Journal journal) throws IOException {
      step();
      journal.write(false);
      committed |= journal.state == Journal.State.COMMITTED;
    }
  }

  @BeforeAll
  void captureOnce() throws IOException {
    repo = FsRepository.open(tmp.resolve("repo"), 1);
    Map<String, Path> sources = new TreeMap<>();
    for (String v : VOLUMES) {
      Path src = tmp.resolve("source").resolve(v);
      RestoreFixture.populate(src, "snap-" + v);
      sources.put(v, src);
      restored.put(v, tree(src, true));
    }
    snap = RestoreFixture.capture(repo, "01JD0000000000000000000003", sources);
  }

  @AfterAll
  void close() {
    repo.close();
  }

  @TestFactory
  Stream<DynamicTest> everyCrashPointOfTheRestoreRecovers() throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    for (int existing : new int[] {0b111, 0b000, 0b101}) {
      Crashing full = new Crashing(Long.MAX_VALUE);
      runCase(existing, full, null);
      assertTrue(full.committed, "an uncrashed restore commits");
      for (int k = 0; k <= full.steps; k++) {
        int crashAt = k;
        tests.add(DynamicTest.dynamicTest("volumes existing " + describe(existing) + ", crash before step " + k
            + " of " + full.steps, () -> runCase(existing, new Crashing(crashAt), null)));
      }
    }
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> everyCrashPointOfRecoveryRecovers() throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    Crashing full = new Crashing(Long.MAX_VALUE);
    runCase(7, full, null);
    for (int k = 0; k <= full.steps; k++) {
      Crashing probe = new Crashing(k);
      Crashing recovery = new Crashing(Long.MAX_VALUE);
      runCase(7, probe, recovery);
      for (int r = 0; r < recovery.steps; r++) {
        int crashAt = k;
        int recoveryCrashAt = r;
        tests.add(DynamicTest.dynamicTest("crash before step " + k + ", then recovery crashed before its step " + r,
            () -> runCase(7, new Crashing(crashAt), new Crashing(recoveryCrashAt))));
      }
    }
    assertTrue(tests.size() > 10, "recovery has steps to crash in: " + tests.size());
    return tests.stream();
  }

  private static String describe(int mask) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < VOLUMES.size(); i++) {
      if ((mask & (1 << i)) != 0) {
        b.append(VOLUMES.get(i));
      }
    }
    return b.append("]").toString();
  }

  /**
   * Restores with {@code restore} (crashing where it says), optionally runs a first recovery
   * that crashes too, then a real recovery, and checks the outcome.
   */
  private void runCase(int existing, Crashing restore, Crashing firstRecovery) throws IOException {
    Path volumes = Files.createDirectories(tmp.resolve("case-" + cases++).resolve("volumes"));
    Map<String, Path> targets = new TreeMap<>();
    for (int i = 0; i < VOLUMES.size(); i++) {
      Path live = volumes.resolve(VOLUMES.get(i));
      targets.put(VOLUMES.get(i), live);
      if ((existing & (1 << i)) != 0) {
        RestoreFixture.populate(live, "orig-" + VOLUMES.get(i));
      }
    }
    Map<String, Map<String, String>> original = states(targets);

    try {
      Restorer.on(repo).limits(NO_POLICY).durable(restore).replace(WORKLOAD, snap, targets,
          Selection.all(VOLUMES), (s, n) -> { });
    } catch (RuntimeException expected) {
      assertTrue(restore.crashed, "only a crash fails this restore: " + expected);
    }
    if (firstRecovery != null) {
      try {
        Restorer.on(repo).limits(NO_POLICY).durable(firstRecovery).recoverAll();
      } catch (RuntimeException expected) {
        assertTrue(firstRecovery.crashed, "only a crash fails recovery: " + expected);
      }
    }
    Restorer.on(repo).limits(NO_POLICY).durable(new Crashing(Long.MAX_VALUE)).recoverAll();

    Map<String, Map<String, String>> now = states(targets);
    assertEquals(restore.committed ? restored : original, now,
        restore.committed ? "committed: every volume restored" : "not committed: every volume original");
    List<String> expectedNames = new ArrayList<>();
    now.forEach((v, t) -> {
      if (!t.containsKey("")) {
        expectedNames.add(v);
      }
    });
    assertEquals(expectedNames, list(volumes), "no staging debris");
    assertEquals(List.of(), list(repo.journalDir()), "no journal");
  }

  private static Map<String, Map<String, String>> states(Map<String, Path> targets) {
    Map<String, Map<String, String>> out = new TreeMap<>();
    targets.forEach((v, p) -> out.put(v, Files.exists(p) ? tree(p, true) : Map.of("", "MISSING")));
    return out;
  }
}
