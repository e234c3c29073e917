package io.snapshotkit.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.CaptureResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots as directory trees on real directories: an unchanged subtree has the same digest and
 * stores nothing again, so a capture with no change adds only its small root file.
 */
class FsTreeCaptureTest {
  private static final WorkloadRef W = WorkloadRef.of("acme", "trees");
  @TempDir Path dir;

  private static CaptureResult capture(FsHostAgent a, int n) {
    SnapshotId id = SnapshotId.generate(Instant.parse("2026-01-01T00:00:00Z").plusSeconds(n), new SplittableRandom(n));
    return a.capture(new CaptureRequest(W, id, Optional.empty(), Optional.empty(), false));
  }

  /** Bytes of every file under {@code root}, and how many files. */
  private static long[] usage(Path root) {
    try (Stream<Path> files = Files.walk(root)) {
      long[] u = {0, 0};
      files.filter(Files::isRegularFile).forEach(f -> {
        try {
          u[0] += Files.size(f);
          u[1]++;
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
      return u;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  @DisplayName("a capture with no change stores nothing but its root file; one changed file stores its content and the trees above it")
  void noChangeCaptureAddsOnlyItsRootFile() throws IOException {
    Path data = dir.resolve("live/data");
    for (int i = 0; i < 3000; i++) {
      Trees.write(data.resolve("d" + (i % 10)).resolve("e" + (i % 7)).resolve("f" + i), "tiny " + i);
    }
    try (FsHostAgent agent = FsHostAgent.builder().repository(dir.resolve("repo"))
        .racyCutoff(() -> Long.MAX_VALUE).build()) {
      agent.track(W, Map.of("data", data));
      capture(agent, 1);
      long[] content = usage(dir.resolve("repo/packs"));
      long[] before = usage(dir.resolve("repo"));

      CaptureResult second = capture(agent, 2);

      long[] after = usage(dir.resolve("repo"));
      assertEquals(content[0], usage(dir.resolve("repo/packs"))[0], "no pack bytes were added");
      assertEquals(before[1] + 1, after[1], "one new file: the snapshot's root file");
      assertTrue(after[0] - before[0] <= 64 << 10, "grew by " + (after[0] - before[0]) + " bytes");
      assertTrue(second.sizeBytes() <= 64 << 10, "reported " + second.sizeBytes());

      Trees.write(data.resolve("d3/e3/f3"), "tiny 3, changed");
      long[] third = usage(dir.resolve("repo"));
      capture(agent, 3);
      long grown = usage(dir.resolve("repo"))[0] - third[0];
      // the content, four trees (root, d3, d3/e3 and the changed leaf's directory) and a pack index
      assertTrue(grown < before[0] / 10, "one changed file grew the repository by " + grown + " of " + before[0]);
    }
  }
}
