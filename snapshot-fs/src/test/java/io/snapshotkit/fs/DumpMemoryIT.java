package io.snapshotkit.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.CaptureRequest;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading a file and tarring a directory out of a snapshot stream the content: a child JVM whose
 * heap (24 MiB) is a quarter of the file (96 MiB, incompressible, so its chunks are as large in
 * the repository) reads it whole and tars its volume, and the bytes are the original's.
 */
class DumpMemoryIT {
  private static final int SIZE = 96 << 20;
  @TempDir Path dir;

  @Test
  @DisplayName("a 96 MiB file is read, and its volume tarred, in a 24 MiB heap, byte for byte")
  void largeFileIsStreamed() throws IOException, InterruptedException, NoSuchAlgorithmException {
    WorkloadRef w = WorkloadRef.of("acme", "big");
    Path data = Files.createDirectories(dir.resolve("live/data"));
    MessageDigest expected = MessageDigest.getInstance("SHA-256");
    SplittableRandom random = new SplittableRandom(11);
    byte[] block = new byte[1 << 20];
    try (OutputStream out = new DigestOutputStream(Files.newOutputStream(data.resolve("big.bin")), expected)) {
      for (int i = 0; i < SIZE / block.length; i++) {
        random.nextBytes(block);
        out.write(block);
      }
    }
    SnapshotId id = SnapshotId.generate(Instant.parse("2026-01-01T00:00:00Z"), new SplittableRandom(2));
    Path repo = dir.resolve("repo");
    try (FsHostAgent agent = FsHostAgent.builder().repository(repo).build()) {
      agent.track(w, Map.of("data", data));
      agent.capture(new CaptureRequest(w, id, Optional.empty(), Optional.empty(), false));
    }
    Path log = dir.resolve("child.log");
    Process child = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx24m", "-cp", System.getProperty("java.class.path"), DumpChild.class.getName(),
        repo.toString(), "acme", "big", id.value(), "data/big.bin", "data"))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(child.waitFor(5, TimeUnit.MINUTES), "the child finished");
    String out = Files.readString(log);
    assertEquals(0, child.exitValue(), out);
    assertTrue(out.contains("FILE " + HexFormat.of().formatHex(expected.digest())), out);
    // the tar holds the volume's directory, the file's header and content, padding and the end blocks
    assertTrue(out.contains("TAR ") && Long.parseLong(out.substring(out.indexOf("TAR ") + 4).trim()) > SIZE, out);
  }
}
