package io.snapshotkit.fs;

import io.snapshotkit.fs.internal.restore.RestoreFixture;
import static io.snapshotkit.fs.internal.restore.RestoreFixture.list;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.SnapshotId;
import io.snapshotkit.fs.internal.repo.FsRepository;
import io.snapshotkit.fs.internal.restore.Restorer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A child JVM runs a replace restore of a three-volume workload and is SIGKILLed at each durable
 * step; start-up recovery in this JVM must then leave every volume byte for byte either all
 * original or all restored (content, modes, symlinks, empty directories, times) and remove every
 * staging directory and journal. Each test first proves the crash left work for recovery to do
 * (debris, or volumes of mixed states), so it fails if recovery is removed.
 */
class CrashRestoreIT {
  private static final String SNAPSHOT = "01JD0000000000000000000001";

  @TempDir Path tmp;
  private Path repoDir;
  private Path volumesDir;
  private final Map<String, Path> volumes = new TreeMap<>();
  private Map<String, Map<String, String>> original;
  private Map<String, Map<String, String>> restored;

  @BeforeEach
  void setUp() throws IOException {
    repoDir = tmp.resolve("repo");
    volumesDir = Files.createDirectories(tmp.resolve("volumes"));
    for (String v : List.of("a", "b", "c")) {
      volumes.put(v, volumesDir.resolve(v));
      RestoreFixture.populate(volumes.get(v), v);
    }
    try (FsRepository repo = FsRepository.open(repoDir, 3)) {
      RestoreFixture.capture(repo, SNAPSHOT, volumes);
    }
    restored = states();
    for (Path v : volumes.values()) {
      RestoreFixture.mutate(v);
    }
    original = states();
    for (String v : volumes.keySet()) {
      assertNotEquals(restored.get(v), original.get(v));
    }
  }

  private Map<String, Map<String, String>> states() {
    return CrashPoint.states(volumes);
  }

  @Test
  void killedAfterStaging() throws Exception {
    crashAt(RestoreStep.STAGED, 0);
    assertTrue(hasDebris(), "staging directories were left beside the volumes");
    assertEquals(original, states());
    recoverAndExpect(original);
  }

  @Test
  void killedAfterTheJournalWrite() throws Exception {
    crashAt(RestoreStep.JOURNALED, 0);
    assertTrue(hasDebris(), "staging directories were left beside the volumes");
    recoverAndExpect(original);
  }

  @Test
  void killedBetweenTheFirstAndSecondVolumeSwap() throws Exception {
    crashAt(RestoreStep.VOLUME_SWAPPED, 1);
    Map<String, Map<String, String>> now = states();
    assertEquals(restored.get("a"), now.get("a"), "the first volume was swapped");
    assertEquals(original.get("b"), now.get("b"), "the second was not: the workload is mixed");
    recoverAndExpect(original);
  }

  @Test
  void killedBetweenTheSecondAndThirdVolumeSwap() throws Exception {
    crashAt(RestoreStep.VOLUME_SWAPPED, 2);
    Map<String, Map<String, String>> now = states();
    assertEquals(restored.get("b"), now.get("b"));
    assertEquals(original.get("c"), now.get("c"), "the workload is mixed");
    recoverAndExpect(original);
  }

  @Test
  void killedBeforeCleanup() throws Exception {
    crashAt(RestoreStep.COMMITTED, 3);
    assertEquals(restored, states(), "every volume is swapped");
    assertTrue(hasDebris(), "the set-aside originals were left beside the volumes");
    recoverAndExpect(restored);
  }

  private void crashAt(RestoreStep step, int swapped) throws Exception {
    List<String> volumeArgs = new ArrayList<>();
    volumes.forEach((name, path) -> volumeArgs.add(name + "=" + path));
    new CrashPoint(repoDir, SnapshotId.parse(SNAPSHOT), step, swapped, tmp.resolve("reached"))
        .killChild(CrashRestoreChild.class, volumeArgs);
  }


  private boolean hasDebris() {
    return !list(volumesDir).equals(List.of("a", "b", "c"));
  }

  private void recoverAndExpect(Map<String, Map<String, String>> expected) {
    try (FsRepository repo = FsRepository.open(repoDir, 3)) {
      assertFalse(list(repo.journalDir()).isEmpty(), "the crash left a journal");
      assertEquals(1, Restorer.on(repo).recoverAll().size(), "one interrupted restore replayed");
      Map<String, Map<String, String>> now = states();
      for (String v : volumes.keySet()) {
        assertTrue(now.get(v).equals(original.get(v)) || now.get(v).equals(restored.get(v)),
            "volume " + v + " is byte for byte the original or the snapshot");
      }
      assertEquals(expected, now, "every volume ended on the same side");
      assertEquals(List.of("a", "b", "c"), list(volumesDir), "no staging debris beside the volumes");
      assertEquals(List.of(), list(repo.journalDir()), "no journal left");
      assertEquals(0, Restorer.on(repo).recoverAll().size(), "nothing left to replay");
    }
  }
}
