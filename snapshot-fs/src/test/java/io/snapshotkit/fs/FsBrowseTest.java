package io.snapshotkit.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotFile;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.CaptureRequest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Looking inside a stored snapshot without restoring it (HostBrowse), on real directories. */
class FsBrowseTest {
  private static final WorkloadRef APP = WorkloadRef.of("acme", "app");
  private static final int BIG = 3 << 20;
  @TempDir static Path dir;
  private static FsHostAgent agent;
  private static SnapshotId id;
  private static byte[] big;

  /** One capture that every (read-only) test looks into. */
  @BeforeAll
  static void capture() throws IOException {
    // contents over 256 KiB are chunked, so the 3 MiB file is several chunks
    agent = FsHostAgent.builder().repository(dir.resolve("repo")).packLimit(256 << 10).build();
    Path data = dir.resolve("live/data");
    Trees.write(data.resolve("a.txt"), "alpha");
    Trees.write(data.resolve("sub/b.txt"), "bravo");
    Files.createDirectories(data.resolve("sub/empty"));
    Files.setPosixFilePermissions(data.resolve("sub/b.txt"), PosixFilePermissions.fromString("rwxr-x---"));
    big = new byte[BIG];
    new SplittableRandom(3).nextBytes(big);
    Trees.write(data.resolve("sub/big.bin"), big);
    Files.createSymbolicLink(data.resolve("link"), Path.of("sub"));
    for (int i = 0; i < 2500; i++) { // over one leaf (1000 entries): the directory's tree is an index
      Trees.write(data.resolve("many/f" + i), "n" + i);
    }
    Path conf = dir.resolve("live/conf");
    Trees.write(conf.resolve("app.properties"), "x=1\n");
    agent.track(APP, Map.of("data", data, "conf", conf));
    id = SnapshotId.generate(Instant.parse("2026-01-01T00:00:00Z"), new SplittableRandom(1));
    agent.capture(new CaptureRequest(APP, id, Optional.empty(), Optional.empty(), false));
    // the live tree changes afterwards: browsing shows the snapshot, not the directory
    Trees.write(data.resolve("a.txt"), "changed after the capture");
  }

  @AfterAll
  static void close() {
    agent.close();
  }

  private List<SnapshotFile> list(String path) {
    List<SnapshotFile> out = new ArrayList<>();
    agent.list(APP, id, path, out::add);
    return out;
  }

  private byte[] read(String path, long offset, long length) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    agent.read(APP, id, path, offset, length, out);
    return out.toByteArray();
  }

  @Test
  @DisplayName("ls: the empty path lists the volumes, a volume and a subdirectory list their direct entries with type, size, mode and link target")
  void listsDirectories() {
    assertEquals(List.of("conf", "data"), list("").stream().map(SnapshotFile::path).toList());
    List<SnapshotFile> data = list("data");
    assertEquals(List.of("data/a.txt", "data/link", "data/many", "data/sub"), data.stream().map(SnapshotFile::path).toList());
    assertEquals(5, data.get(0).size(), "the captured a.txt, not the live one");
    assertEquals(Optional.of("sub"), data.get(1).linkTarget());
    assertEquals(SnapshotFile.Type.SYMLINK, data.get(1).type());
    List<SnapshotFile> sub = list("/data/sub/");
    assertEquals(List.of("data/sub/b.txt", "data/sub/big.bin", "data/sub/empty"), sub.stream().map(SnapshotFile::path).toList());
    assertEquals(0750, sub.get(0).mode());
    assertEquals(BIG, sub.get(1).size());
    assertEquals(SnapshotFile.Type.DIRECTORY, sub.get(2).type());
    assertEquals(2500, list("data/many").size());
  }

  @Test
  @DisplayName("stat finds an entry by path, also inside a directory whose tree is split into an index of leaves")
  void statFindsEntries() {
    assertEquals(SnapshotFile.Type.DIRECTORY, agent.stat(APP, id, "data").type());
    for (int i : new int[] {0, 999, 1000, 1500, 2499}) {
      SnapshotFile f = agent.stat(APP, id, "data/many/f" + i);
      assertEquals("data/many/f" + i, f.path());
      assertEquals(("n" + i).length(), f.size());
    }
    SnapshotException e = assertThrows(SnapshotException.class, () -> agent.stat(APP, id, "data/many/f2500"));
    assertEquals(ErrorCode.NOT_FOUND, e.code(), e.getMessage());
  }

  @Test
  @DisplayName("read: a small file whole, a chunked file whole and in ranges that cross chunk boundaries, a range past the end empty")
  void readsFilesAndRanges() throws IOException {
    assertEquals("alpha", new String(read("data/a.txt", 0, Long.MAX_VALUE), StandardCharsets.UTF_8));
    assertArrayEquals(big, read("data/sub/big.bin", 0, Long.MAX_VALUE));
    assertArrayEquals(Arrays.copyOfRange(big, 1_000_000, 2_600_000), read("data/sub/big.bin", 1_000_000, 1_600_000));
    assertArrayEquals(Arrays.copyOfRange(big, BIG - 10, BIG), read("data/sub/big.bin", BIG - 10, 100));
    assertEquals(0, read("data/sub/big.bin", BIG, 10).length);
    assertEquals("lph", new String(read("data/a.txt", 1, 3), StandardCharsets.UTF_8));
  }

  @Test
  @DisplayName("read hands a chunked file over in pieces of at most 64 KiB as it streams, never the whole content in one write")
  void readStreamsInPieces() throws IOException {
    long[] writes = {0, 0};
    OutputStream counting = new OutputStream() {
      @Override
      public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        writes[0]++;
        writes[1] = Math.max(writes[1], len);
      }
    };
    agent.read(APP, id, "data/sub/big.bin", 0, Long.MAX_VALUE, counting);
    assertTrue(writes[1] <= 64 << 10, "largest write " + writes[1]);
    assertTrue(writes[0] >= BIG / (64 << 10), "writes " + writes[0]);
  }

  @Test
  @DisplayName("tar of a directory is a plain tar commons-compress reads: entries under the directory's name, content, modes and the symlink")
  void tarsADirectory() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    agent.tar(APP, id, "data", out);
    Map<String, TarArchiveEntry> entries = new LinkedHashMap<>();
    Map<String, byte[]> content = new LinkedHashMap<>();
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new ByteArrayInputStream(out.toByteArray()))) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        entries.put(e.getName(), e);
        if (e.isFile()) {
          content.put(e.getName(), tar.readAllBytes());
        }
      }
    }
    assertEquals(List.of("data/", "data/a.txt", "data/link", "data/many/"), new ArrayList<>(entries.keySet()).subList(0, 4));
    assertEquals(4 + 2500 + 4, entries.size(), entries.keySet().toString());
    assertEquals("alpha", new String(content.get("data/a.txt"), StandardCharsets.UTF_8));
    assertArrayEquals(big, content.get("data/sub/big.bin"));
    assertTrue(entries.get("data/link").isSymbolicLink());
    assertEquals("sub", entries.get("data/link").getLinkName());
    assertEquals(0750, entries.get("data/sub/b.txt").getMode() & 07777);
    assertTrue(entries.get("data/sub/empty/").isDirectory());

    ByteArrayOutputStream sub = new ByteArrayOutputStream();
    agent.tar(APP, id, "data/sub", sub);
    List<String> names = new ArrayList<>();
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new ByteArrayInputStream(sub.toByteArray()))) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        names.add(e.getName());
      }
    }
    assertEquals(List.of("sub/", "sub/b.txt", "sub/big.bin", "sub/empty/"), names);
  }

  @Test
  @DisplayName("bad paths: '..' and '.' are INVALID_ARGUMENT, a path through a symlink or below a file INVALID_ARGUMENT, a missing path or volume NOT_FOUND")
  void badPaths() {
    assertCode(ErrorCode.INVALID_ARGUMENT, "'..'", () -> agent.stat(APP, id, "data/../conf"));
    assertCode(ErrorCode.INVALID_ARGUMENT, "'..'", () -> agent.read(APP, id, "../../etc/passwd", 0, 1, OutputStream.nullOutputStream()));
    assertCode(ErrorCode.INVALID_ARGUMENT, "'.'", () -> agent.list(APP, id, "data/./sub", f -> { }));
    assertCode(ErrorCode.INVALID_ARGUMENT, "symlink 'data/link'", () -> agent.read(APP, id, "data/link/b.txt", 0, 1,
        OutputStream.nullOutputStream()));
    assertCode(ErrorCode.INVALID_ARGUMENT, "symlink 'data/link'", () -> agent.list(APP, id, "data/link", f -> { }));
    assertCode(ErrorCode.INVALID_ARGUMENT, "file 'data/a.txt'", () -> agent.stat(APP, id, "data/a.txt/x"));
    assertCode(ErrorCode.INVALID_ARGUMENT, "not a directory", () -> agent.tar(APP, id, "data/a.txt",
        OutputStream.nullOutputStream()));
    assertCode(ErrorCode.INVALID_ARGUMENT, "dump it as a tar", () -> agent.read(APP, id, "data/sub", 0, 1,
        OutputStream.nullOutputStream()));
    assertCode(ErrorCode.NOT_FOUND, "has no entry 'nope'", () -> agent.stat(APP, id, "data/sub/nope"));
    assertCode(ErrorCode.NOT_FOUND, "no volume 'logs'", () -> agent.list(APP, id, "logs", f -> { }));
    assertCode(ErrorCode.NOT_FOUND, "not on this host", () -> agent.stat(WorkloadRef.of("other", "app"), id, "data"));
  }

  private static void assertCode(ErrorCode code, String fragment, org.junit.jupiter.api.function.Executable call) {
    SnapshotException e = assertThrows(SnapshotException.class, call);
    assertEquals(code, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
  }
}
