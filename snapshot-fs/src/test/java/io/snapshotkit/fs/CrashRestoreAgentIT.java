package io.snapshotkit.fs;

import io.snapshotkit.fs.internal.restore.RestoreFixture;
import static io.snapshotkit.fs.internal.restore.RestoreFixture.WORKLOAD;
import static io.snapshotkit.fs.internal.restore.RestoreFixture.list;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.SnapshotId;
import io.snapshotkit.spi.CaptureRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same SIGKILL crash through the public agent: a child JVM's {@link FsHostAgent#restore} is
 * killed mid-swap or before cleanup, and merely building a new agent on the repository (start-up
 * recovery) leaves the tracked volumes all original or all restored, with no debris.
 */
class CrashRestoreAgentIT {
  private static final String SNAPSHOT = "01JD0000000000000000000002";

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
    for (String v : List.of("cache", "data")) {
      volumes.put(v, volumesDir.resolve(v));
      RestoreFixture.populate(volumes.get(v), v);
    }
    try (FsHostAgent agent = FsHostAgent.builder().repository(repoDir).build()) {
      agent.track(WORKLOAD, volumes);
      agent.capture(new CaptureRequest(WORKLOAD, SnapshotId.parse(SNAPSHOT), Optional.empty(), Optional.empty(),
          false));
    }
    restored = states();
    volumes.values().forEach(v -> {
      try {
        RestoreFixture.mutate(v);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    });
    original = states();
    assertNotEquals(original, restored);
  }

  private Map<String, Map<String, String>> states() {
    return CrashPoint.states(volumes);
  }

  @Test
  void killedBetweenVolumeSwapsThenAgentStartRollsBack() throws Exception {
    crashAt(RestoreStep.VOLUME_SWAPPED, 1);
    Map<String, Map<String, String>> now = states();
    assertEquals(restored.get("cache"), now.get("cache"));
    assertEquals(original.get("data"), now.get("data"), "mixed until recovery");
    startAgentAndExpect(original, "was rolled back: volume 'cache', volume 'data' hold the original data again");
  }

  @Test
  void killedBeforeCleanupThenAgentStartKeepsTheRestore() throws Exception {
    crashAt(RestoreStep.COMMITTED, 2);
    assertTrue(list(volumesDir).size() > 2, "set-aside originals left beside the volumes");
    startAgentAndExpect(restored, "was finished: volume 'cache', volume 'data' hold the restored snapshot");
  }

  private void crashAt(RestoreStep step, int swapped) throws Exception {
    new CrashPoint(repoDir, SnapshotId.parse(SNAPSHOT), step, swapped, tmp.resolve("reached"))
        .killChild(CrashAgentChild.class, List.of());
  }


  /** Builds an agent (start-up recovery) and checks the volumes and what it says it did. */
  private void startAgentAndExpect(Map<String, Map<String, String>> expected, String outcome) {
    try (FsHostAgent agent = FsHostAgent.builder().repository(repoDir).build()) {
      assertEquals(1, agent.startupRecovery().size(), agent.startupRecovery().toString());
      assertTrue(agent.startupRecovery().get(0).startsWith("the interrupted replace restore of snapshot " + SNAPSHOT
          + " for " + WORKLOAD.key()) && agent.startupRecovery().get(0).endsWith(outcome), agent.startupRecovery().get(0));
      assertEquals(expected, states(), "every volume on the same side, byte for byte");
      assertEquals(List.of("cache", "data"), list(volumesDir), "no staging debris");
      assertEquals(List.of(), list(repoDir.resolve("journal")), "no journal left");
      assertEquals(0, agent.recover());
    }
    try (FsHostAgent again = FsHostAgent.builder().repository(repoDir).build()) {
      assertEquals(List.of(), again.startupRecovery(), "nothing to replay the second time");
    }
  }
}
