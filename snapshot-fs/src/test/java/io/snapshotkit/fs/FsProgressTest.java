package io.snapshotkit.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.Manifest;
import io.snapshotkit.ProgressEvent;
import io.snapshotkit.ProgressEvent.Operation;
import io.snapshotkit.ProgressListener;
import io.snapshotkit.RestoreMode;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.CaptureResult;
import io.snapshotkit.spi.RestoreRequest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every long operation of the directory agent reports phases, counters and totals that add up. */
class FsProgressTest {
  private static final WorkloadRef W = WorkloadRef.of("acme", "app");
  private static final int FILES = 300;
  private static final int SIZE = 1000;
  @TempDir Path dir;

  private Path tree() throws IOException {
    Path v = dir.resolve("live/data");
    for (int i = 0; i < FILES; i++) {
      byte[] b = new byte[SIZE];
      new SplittableRandom(i).nextBytes(b);
      Trees.write(v.resolve("d" + (i % 10) + "/f" + i), b);
    }
    return v;
  }

  private static SnapshotId id(int n) {
    return SnapshotId.generate(Instant.parse("2026-03-01T00:00:00Z").plusSeconds(n), new SplittableRandom(n));
  }

  /** Collects events, checks they arrive one at a time with counters that never go back. */
  private static final class Recorder implements ProgressListener {
    final List<ProgressEvent> events = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void onProgress(ProgressEvent e) {
      if (!events.isEmpty()) {
        ProgressEvent last = events.get(events.size() - 1);
        assertTrue(e.filesDone() >= last.filesDone() && e.bytesDone() >= last.bytesDone(), last + " then " + e);
        assertFalse(last.finished(), "nothing after the last event");
      }
      events.add(e);
    }

    List<String> phases() {
      return List.copyOf(new LinkedHashSet<>(events.stream().map(ProgressEvent::phase).toList()));
    }

    ProgressEvent last() {
      return events.get(events.size() - 1);
    }
  }

  @Test
  void captureCountsTheTreeFirstThenReportsEveryFileAndFinishes() throws IOException {
    Path data = tree();
    try (FsHostAgent agent = FsHostAgent.rootedAt(dir.resolve("repo"))) {
      agent.track(W, Map.of("data", data));
      Recorder r = new Recorder();
      agent.capture(new CaptureRequest(W, id(1), Optional.empty(), Optional.empty(), false), r);
      assertEquals(List.of("count", "scan", "commit"), r.phases());
      ProgressEvent last = r.last();
      assertTrue(last.finished());
      assertTrue(r.events.stream().allMatch(e -> e.operation() == Operation.CAPTURE));
      // 300 files and 10 directories below the volume root
      assertEquals(FILES + 10, last.filesTotal().getAsLong());
      assertEquals((long) FILES * SIZE, last.bytesTotal().getAsLong());
      assertEquals(FILES + 10, last.filesDone());
      assertEquals((long) FILES * SIZE, last.bytesDone());
      assertTrue(r.events.stream().anyMatch(e -> e.path().startsWith("data:d")), "paths are volume:path");
    }
  }

  @Test
  void anIncrementalCaptureTakesItsTotalsFromTheParentInsteadOfCountingTheTree() throws IOException {
    Path data = tree();
    try (FsHostAgent agent = FsHostAgent.rootedAt(dir.resolve("repo"))) {
      agent.track(W, Map.of("data", data));
      agent.capture(new CaptureRequest(W, id(1), Optional.empty(), Optional.empty(), false));
      Recorder r = new Recorder();
      agent.capture(new CaptureRequest(W, id(2), Optional.of(id(1)), Optional.empty(), false), r);
      assertEquals(List.of("scan", "commit"), r.phases(), "no counting walk");
      ProgressEvent last = r.last();
      assertEquals((long) FILES * SIZE, last.bytesTotal().getAsLong());
      assertEquals(last.bytesTotal().getAsLong(), last.bytesDone());
      assertEquals(last.filesTotal().getAsLong(), last.filesDone(), "the parent's entries, counted like the scan's");
    }
  }

  @Test
  void aListenerThatThrowsDoesNotFailTheCaptureNorTheRestore() throws IOException {
    Path data = tree();
    try (FsHostAgent agent = FsHostAgent.rootedAt(dir.resolve("repo"))) {
      agent.track(W, Map.of("data", data));
      int[] calls = {0};
      ProgressListener broken = e -> {
        calls[0]++;
        throw new IllegalStateException("a buggy progress bar");
      };
      CaptureResult c = agent.capture(new CaptureRequest(W, id(1), Optional.empty(), Optional.empty(), false), broken);
      assertEquals(1, calls[0], "dropped after its first failure");
      Path out = dir.resolve("out");
      agent.restore(new RestoreRequest(W, id(1), c.manifest(), RestoreMode.REPLACE, Optional.of(out.toString()),
          List.of()), broken);
      assertEquals(Trees.state(data, true), Trees.state(out.resolve("data"), true));
    }
  }

  @Test
  void restoresReportTheSelectionsEntriesAndBytesAsTotals() throws IOException {
    Path data = tree();
    try (FsHostAgent agent = FsHostAgent.rootedAt(dir.resolve("repo"))) {
      agent.track(W, Map.of("data", data));
      Manifest m = agent.capture(new CaptureRequest(W, id(1), Optional.empty(), Optional.empty(), false)).manifest();
      Recorder replace = new Recorder();
      agent.restore(new RestoreRequest(W, id(1), m, RestoreMode.REPLACE, Optional.of(dir.resolve("r").toString()),
          List.of()), replace);
      assertEquals(List.of("plan", "stage", "swap"), replace.phases());
      ProgressEvent last = replace.last();
      assertTrue(last.finished());
      assertEquals(last.filesTotal().getAsLong(), last.filesDone());
      assertEquals((long) FILES * SIZE, last.bytesTotal().getAsLong());
      assertEquals((long) FILES * SIZE, last.bytesDone());

      Recorder additive = new Recorder();
      agent.restore(new RestoreRequest(W, id(1), m, RestoreMode.ADDITIVE, Optional.of(dir.resolve("a").toString()),
          List.of("data:d3")), additive);
      assertEquals(List.of("plan", "write"), additive.phases());
      ProgressEvent a = additive.last();
      assertEquals(FILES / 10 * SIZE, a.bytesTotal().getAsLong(), "only the selected path counts");
      assertEquals(a.bytesTotal().getAsLong(), a.bytesDone());
    }
  }

  @Test
  void exportImportGcAndCheckReportTheirPhases() throws IOException {
    Path data = tree();
    ByteArrayOutputStream archive = new ByteArrayOutputStream();
    try (FsHostAgent agent = FsHostAgent.rootedAt(dir.resolve("repo"))) {
      agent.track(W, Map.of("data", data));
      agent.capture(new CaptureRequest(W, id(1), Optional.empty(), Optional.empty(), false));
      Recorder export = new Recorder();
      agent.exportSnapshot(W, id(1), archive, export);
      assertEquals(List.of("write"), export.phases());
      assertEquals(FILES, export.last().filesDone());
      assertEquals(FILES, export.last().filesTotal().getAsLong());
      assertEquals((long) FILES * SIZE, export.last().bytesDone());

      Recorder gc = new Recorder();
      agent.gc(gc);
      assertEquals(List.of("mark", "sweep"), gc.phases());
      assertEquals(1, gc.last().filesDone());
      assertEquals(1, gc.last().filesTotal().getAsLong());

      Recorder check = new Recorder();
      assertTrue(agent.check(false, check).ok());
      assertEquals(List.of("verify", "snapshots"), check.phases());
      assertTrue(check.last().filesDone() > 0 && check.last().finished());
    }
    try (FsHostAgent other = FsHostAgent.rootedAt(dir.resolve("repo-b"))) {
      Recorder imp = new Recorder();
      other.importSnapshot(W, id(1), new ByteArrayInputStream(archive.toByteArray()), SnapshotArchive.Limits.defaults(),
          imp);
      assertEquals(List.of("unpack", "store"), imp.phases());
      assertEquals((long) FILES * SIZE, imp.last().bytesDone());
      assertTrue(imp.last().finished() && imp.last().operation() == Operation.IMPORT);
    }
  }
}
