package io.snapshotkit.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.snapshotkit.RestoreMode;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.CaptureResult;
import io.snapshotkit.spi.RestoreRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The usage example of snapshot-fs/README.md, compiled and run so that it cannot rot. */
class ReadmeExampleTest {
  @TempDir Path tmp;

  @Test
  @DisplayName("the README's usage example runs: track, capture, change, diff against live, replace restore, gc")
  void readmeExample() throws Exception {
    Path repositoryDir = tmp.resolve("repo");
    Path dataDir = Files.createDirectories(tmp.resolve("app/data"));
    Files.writeString(dataDir.resolve("notes.txt"), "hello");
    ExecutorService readers = Executors.newFixedThreadPool(2);
    List<String> printed = new ArrayList<>();
    try {
      // --- README example starts
      WorkloadRef workload = WorkloadRef.of("acme", "workspace-42");
      try (FsHostAgent agent = FsHostAgent.builder()
          .repository(repositoryDir)          // created if missing; locked while the agent is open
          .hostId("worker-1")
          .executor(readers)                  // parallel capture reads, restore writes; omit: caller's thread
          .clock(Clock.systemUTC())
          .build()) {                         // replays any restore a crash interrupted
        agent.track(workload, Map.of("data", dataDir));

        SnapshotId id = SnapshotId.generate(Clock.systemUTC().instant(), new SplittableRandom());
        CaptureResult captured = agent.capture(
            new CaptureRequest(workload, id, Optional.empty(), Optional.empty(), false));

        Files.writeString(dataDir.resolve("notes.txt"), "hello, changed");
        agent.diff(workload, id, Optional.empty(),
            change -> printed.add(change.kind() + " " + change.key()));   // MODIFIED data:notes.txt

        agent.restore(new RestoreRequest(workload, id, captured.manifest(), RestoreMode.REPLACE,
            Optional.empty(), List.of()));                                // all or nothing, journaled
        agent.delete(workload, id);
        agent.gc();                                                       // reclaims unreferenced content
      }
      // --- README example ends
    } finally {
      readers.shutdownNow();
    }
    assertEquals(List.of("MODIFIED data:notes.txt"), printed);
    assertEquals("hello", Files.readString(dataDir.resolve("notes.txt")));
  }
}
