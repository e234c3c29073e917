package io.snapshotkit.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.Snapshot;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.fs.GcReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Content no snapshot references is reclaimed by the very next gc, including the content the agent
 * published last (found by the model-based test: an off-by-one in the gc's generation check kept
 * the newest content until the agent was restarted).
 */
class GcReclaimTest {
  private static final WorkloadRef WS = WorkloadRef.of("gc", "ws");

  @Test
  void theNextGcReclaimsEverythingOnceEverySnapshotIsDeleted(@TempDir Path dir) throws IOException {
    try (FsWorld world = FsWorld.create(dir)) {
      Path data = world.track(WS);
      Files.writeString(data.resolve("only-file"), "content only this snapshot references", StandardCharsets.UTF_8);
      Snapshot s = world.engine().capture(CaptureSpec.of(WS));
      assertEquals(2, world.agent().check(false).contentsChecked(),
          "the capture stored one content and one tree (the volume's root directory)");

      world.engine().delete(WS.tenant(), s.id());
      GcReport gc = world.agent().gc();

      assertEquals(2, gc.contentsRemoved(), "the gc right after the delete reclaims the unreferenced content and tree");
      assertEquals(0, world.agent().check(false).contentsChecked(), "nothing is left in the repository");
      assertTrue(world.agent().check(false).ok());
    }
  }

  @Test
  void contentStillReferencedSurvivesGc(@TempDir Path dir) throws IOException {
    try (FsWorld world = FsWorld.create(dir)) {
      Path data = world.track(WS);
      Files.writeString(data.resolve("kept"), "kept by the second snapshot", StandardCharsets.UTF_8);
      Snapshot first = world.engine().capture(CaptureSpec.of(WS));
      Files.writeString(data.resolve("dropped"), "only in the second snapshot", StandardCharsets.UTF_8);
      world.engine().capture(CaptureSpec.of(WS));
      world.engine().delete(WS.tenant(), first.id());

      GcReport gc = world.agent().gc();

      // only the deleted snapshot's root tree (which listed "kept" alone) goes; both files' contents
      // and the remaining snapshot's tree stay
      assertEquals(1, gc.contentsRemoved(), "both contents are referenced by the remaining snapshot");
      assertEquals(3, world.agent().check(false).contentsChecked());
      assertTrue(world.agent().check(false).ok());
    }
  }
}
