package io.snapshotkit.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two million-entry snapshots diff in bounded memory: the diff runs in a child JVM whose heap
 * (24 MiB) could not hold even one side's entries as objects.
 */
class FsDiffScaleIT {
  private static final int ENTRIES = 1_000_000;
  private static final WorkloadRef W = WorkloadRef.of("acme", "big");
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
  @TempDir Path dir;

  /** 100 directories of symlinks; version 2 retargets every 10th link and drops about every 1000th. */
  private static Iterator<FsEntry> tree(boolean version2) {
    return new Iterator<>() {
      private int dirIndex;
      private int link = -1;
      private final int perDir = ENTRIES / 100 - 1;

      @Override
      public boolean hasNext() {
        return dirIndex < 100;
      }

      @Override
      public FsEntry next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        String d = String.format("d%03d", dirIndex);
        FileEntry e;
        if (link < 0) {
          e = new FileEntry("data", d, FileType.DIRECTORY, 0755, 0, T, Optional.empty(), Optional.empty());
          link++;
        } else {
          int i = dirIndex * perDir + link;
          String target = "target-" + i + (version2 && i % 10 == 0 ? "-v2" : "");
          e = new FileEntry("data", d + "/l" + String.format("%07d", i), FileType.SYMLINK, 0777, target.length(), T,
              Optional.empty(), Optional.of(target));
          link++;
          if (version2 && i % 1000 == 1) {
            link++; // dropped in version 2
          }
          if (link >= perDir) {
            link = -1;
            dirIndex++;
          }
        }
        return withoutContent(e);
      }
    };
  }

  private static FsEntry withoutContent(FileEntry e) {
    return new FsEntry() {
      @Override
      public FileEntry entry() {
        return e;
      }

      @Override
      public InputStream content() {
        throw new IllegalStateException("no content");
      }
    };
  }

  @Test
  @DisplayName("two million-entry snapshots diff in a 24 MiB heap, every change streamed")
  void millionEntryDiffInSmallHeap() throws IOException, InterruptedException {
    SnapshotId a = SnapshotId.generate(T, new SplittableRandom(1));
    SnapshotId b = SnapshotId.generate(T.plusSeconds(1), new SplittableRandom(2));
    try (FsHostAgent agent = FsHostAgent.rootedAt(dir.resolve("repo"))) {
      RepositoryStreams.ingest(agent.repository(), W, a, T, false, tree(false));
      RepositoryStreams.ingest(agent.repository(), W, b, T, false, tree(true));
    }
    Path log = dir.resolve("child.log");
    Process child = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx24m", "-cp", System.getProperty("java.class.path"), DiffChild.class.getName(),
        dir.resolve("repo").toString(), "acme", "big", a.value(), b.value()))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(child.waitFor(5, TimeUnit.MINUTES), "the child finished");
    String out = Files.readString(log);
    assertEquals(0, child.exitValue(), out);
    String line = out.lines().filter(l -> l.startsWith("DIFF ")).findFirst().orElseThrow(() -> new AssertionError(out));
    String[] f = line.split(" ");
    long removed = Long.parseLong(f[2]);
    long modified = Long.parseLong(f[3]);
    assertEquals(0, Long.parseLong(f[1]), "nothing added");
    assertTrue(removed > 900 && removed < 1100, line);
    assertTrue(modified > 90_000 && modified < 110_000, line);
    assertEquals(removed + modified, Long.parseLong(f[6]), "every change reached the consumer");
  }
}
