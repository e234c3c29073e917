package io.snapshotkit.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.ZstdOutputStream;
import io.snapshotkit.fs.internal.archive.TarManifest;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An archive's manifest is streamed, not held: a child JVM whose heap (32 MiB) could not hold the
 * manifest even compressed reads it and reaches the lockstep check of the entries.
 */
class ImportManifestMemoryIT {
  private static final int ENTRIES = 1_000_000;
  @TempDir Path dir;

  /**
   * A manifest of a million directory records with random names (about 100 MB of JSON, 40 MB
   * compressed), and no entries after it: a well-formed header over a truncated archive.
   */
  private Path archive() throws IOException {
    Path json = dir.resolve("manifest.json");
    SplittableRandom random = new SplittableRandom(5);
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(json), 1 << 16)) {
      out.write(TarManifest.prefix(new SnapshotArchive.Header(Optional.empty(), Optional.empty(), Optional.empty(),
          1, List.of("data"), ENTRIES, 0), List.of()));
      try (TarManifest.EntryWriter w = new TarManifest.EntryWriter(new NonClosing(out))) {
        for (int i = 0; i < ENTRIES; i++) {
          String name = Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong());
          w.write(new TarManifest.Entry("volumes/data/" + name, TarManifest.Type.DIR, 0, "", "", 0755,
              "2026-01-01T00:00:00Z"));
        }
      }
      out.write(TarManifest.suffix());
    }
    Path archive = dir.resolve("big-manifest.tar.zst");
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new ZstdOutputStream(
        new BufferedOutputStream(Files.newOutputStream(archive), 1 << 16), 1), StandardCharsets.UTF_8.name())) {
      TarArchiveEntry e = new TarArchiveEntry(TarManifest.PATH);
      e.setSize(Files.size(json));
      tar.putArchiveEntry(e);
      try (InputStream in = Files.newInputStream(json)) {
        in.transferTo(tar);
      }
      tar.closeArchiveEntry();
    }
    Files.delete(json);
    return archive;
  }

  @Test
  @DisplayName("a 100 MB manifest is read in a 32 MiB heap: the import gets past it and refuses the truncated archive")
  void largeManifestIsStreamed() throws IOException, InterruptedException {
    Path archive = archive();
    Path staging = dir.resolve("staging");
    Path log = dir.resolve("child.log");
    Process child = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx32m", "-cp", System.getProperty("java.class.path"), ImportChild.class.getName(),
        archive.toString(), staging.toString()))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(child.waitFor(5, TimeUnit.MINUTES), "the child finished");
    String out = Files.readString(log);
    assertEquals(0, child.exitValue(), out);
    assertTrue(out.contains("REFUSED INVALID_ARGUMENT") && out.contains("truncated"), out);
    assertFalse(Files.exists(staging), "the refused import left nothing");
  }

  /** Keeps the JSON generator's close from closing the file under it. */
  private static final class NonClosing extends java.io.FilterOutputStream {
    NonClosing(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }
}
