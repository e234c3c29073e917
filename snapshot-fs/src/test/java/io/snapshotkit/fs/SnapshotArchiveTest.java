package io.snapshotkit.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.internal.archive.TarExport;
import io.snapshotkit.fs.internal.files.Modes;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotArchiveTest {
  @TempDir Path temp;

  private static FileTime at(String instant) {
    return FileTime.from(Instant.parse(instant));
  }

  /** A tree with every kind of entry the format carries, odd modes, nanosecond mtimes and long names. */
  static void buildSampleTree(Path root) throws IOException {
    Files.createDirectories(root.resolve("src/main/deep/er/still"));
    Files.writeString(root.resolve("src/main/App.java"), "class App {}\n");
    Files.writeString(root.resolve("README.md"), "hello world marker-7f3a\n");
    Files.write(root.resolve("empty.txt"), new byte[0]);
    byte[] random = new byte[1 << 20];
    new Random(42).nextBytes(random);
    Files.write(root.resolve("src/main/deep/blob.bin"), random);
    Files.writeString(root.resolve("run.sh"), "#!/bin/sh\necho hi\n");
    Files.setPosixFilePermissions(root.resolve("run.sh"), Modes.permissions(0750));
    Files.writeString(root.resolve("secret"), "s3cr3t");
    Files.setPosixFilePermissions(root.resolve("secret"), Modes.permissions(0400));
    String longName = "a-very-long-directory-name-".repeat(5);
    Files.createDirectories(root.resolve(longName + "/" + longName));
    Files.writeString(root.resolve(longName + "/" + longName + "/file-with-long-path.txt"), "long");
    Files.writeString(root.resolve("ünïcødé-名前.txt"), "unicode");
    Files.createDirectories(root.resolve("empty-dir"));
    Files.createDirectories(root.resolve("readonly"));
    Files.writeString(root.resolve("readonly/inside"), "ro");
    Files.createSymbolicLink(root.resolve("link-to-readme"), Path.of("README.md"));
    Files.createSymbolicLink(root.resolve("src/main/up"), Path.of("../.."));
    Files.createSymbolicLink(root.resolve("dangling"), Path.of("does/not/exist"));
    Files.setLastModifiedTime(root.resolve("README.md"), at("2023-05-06T07:08:09.123456789Z"));
    Files.setLastModifiedTime(root.resolve("src/main/deep/er/still"), at("2001-02-03T04:05:06.5Z"));
    Files.getFileAttributeView(root.resolve("dangling"), java.nio.file.attribute.BasicFileAttributeView.class,
        LinkOption.NOFOLLOW_LINKS).setTimes(at("2019-01-01T00:00:00.000000001Z"), null, null);
    Files.setLastModifiedTime(root.resolve("empty-dir"), at("1999-12-31T23:59:59Z"));
    Files.setPosixFilePermissions(root.resolve("readonly"), Modes.permissions(0555));
  }

  /** Every entry under root: relative path → type, mode, mtime, size, content or target. */
  static Map<String, String> describe(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    List<Path> all;
    try (Stream<Path> s = Files.walk(root)) {
      all = new ArrayList<>(s.toList());
    }
    for (Path p : all) {
      PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      String rel = root.relativize(p).toString();
      String what;
      if (a.isSymbolicLink()) {
        // Java sets a symlink's times with lutimes(2), which keeps microseconds only.
        what = "symlink -> " + Files.readSymbolicLink(p) + " mtime=" + a.lastModifiedTime().to(TimeUnit.MICROSECONDS);
      } else if (a.isDirectory()) {
        what = "dir mode=" + Integer.toOctalString(Modes.mode(a.permissions())) + " mtime=" + a.lastModifiedTime();
      } else {
        what = "file mode=" + Integer.toOctalString(Modes.mode(a.permissions())) + " mtime=" + a.lastModifiedTime()
            + " sha=" + java.util.HexFormat.of().formatHex(TarExport.sha256().digest(Files.readAllBytes(p)));
      }
      out.put(rel, what);
    }
    return out;
  }

  @Test
  @DisplayName("export then import round-trips a tree byte for byte: content, modes, mtimes, symlinks, empty dirs")
  void roundTrip() throws IOException {
    Path root = Files.createDirectory(temp.resolve("live"));
    buildSampleTree(root);
    Map<String, String> before = describe(root);

    ByteArrayOutputStream archive = new ByteArrayOutputStream();
    SnapshotArchive.Header written = SnapshotArchive.exportTree(root, archive);
    assertEquals(List.of("data"), written.volumes());
    assertEquals(before.size(), written.entryCount());

    SnapshotArchive.Imported imported = SnapshotArchive.importArchive(
        new ByteArrayInputStream(archive.toByteArray()), temp.resolve("staging"), SnapshotArchive.Limits.defaults());
    assertEquals(written, imported.header());
    Path volume = imported.volumes().get("data");
    assertEquals(temp.resolve("staging/volumes/data"), volume);
    assertEquals(before, describe(volume));
    assertEquals(before, describe(root), "export does not touch the source");

    imported.discard();
    assertFalse(Files.exists(temp.resolve("staging")));
  }

  @Test
  @DisplayName("several volumes and the snapshot description survive export and import")
  void volumesAndDescription() throws IOException {
    Path a = Files.createDirectory(temp.resolve("a"));
    Path b = Files.createDirectory(temp.resolve("b"));
    Files.writeString(a.resolve("x"), "in a");
    Files.writeString(b.resolve("y"), "in b");
    SnapshotId id = SnapshotId.generate(Instant.parse("2026-01-02T03:04:05Z"), new Random(1));
    WorkloadRef workload = WorkloadRef.of("acme", "bot-7");
    Instant captured = Instant.parse("2026-01-02T03:04:05.678Z");
    Map<String, Path> volumes = new LinkedHashMap<>();
    volumes.put("workspace", a);
    volumes.put("cache", b);

    ByteArrayOutputStream archive = new ByteArrayOutputStream();
    SnapshotArchive.exportDirectories(volumes, SnapshotArchive.Description.of(id, workload, captured), archive);
    SnapshotArchive.Imported imported = SnapshotArchive.importArchive(
        new ByteArrayInputStream(archive.toByteArray()), temp.resolve("staging"), SnapshotArchive.Limits.defaults());

    SnapshotArchive.Header h = imported.header();
    assertEquals(Optional.of(id), h.snapshotId());
    assertEquals(Optional.of(workload), h.workload());
    assertEquals(Optional.of(captured), h.capturedAt());
    assertEquals(List.of("workspace", "cache"), h.volumes());
    assertEquals(4, h.entryCount());
    assertEquals(8, h.totalBytes());
    assertEquals(List.of("workspace", "cache"), List.copyOf(imported.volumes().keySet()));
    assertEquals("in a", Files.readString(imported.volumes().get("workspace").resolve("x")));
    assertEquals("in b", Files.readString(imported.volumes().get("cache").resolve("y")));
  }

  @Test
  @DisplayName("the manifest is the first entry and lists every later entry with sizes and SHA-256 digests")
  void manifestComesFirst() throws IOException {
    Path root = Files.createDirectory(temp.resolve("live"));
    Files.createDirectory(root.resolve("d"));
    Files.writeString(root.resolve("d/f"), "abc");
    Files.createSymbolicLink(root.resolve("l"), Path.of("d/f"));
    ByteArrayOutputStream archive = new ByteArrayOutputStream();
    SnapshotArchive.exportTree(root, archive);

    List<String> names = new ArrayList<>();
    JsonNode manifest = null;
    try (TarArchiveInputStream tar = new TarArchiveInputStream(
        new ZstdInputStream(new ByteArrayInputStream(archive.toByteArray())))) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        names.add(e.getName());
        if (manifest == null) {
          manifest = new ObjectMapper().readTree(tar.readAllBytes());
        }
      }
    }
    assertEquals(List.of("snapshotkit-archive.json", "volumes/data/", "volumes/data/d/", "volumes/data/d/f",
        "volumes/data/l"), names);
    assertEquals("snapshotkit-archive", manifest.get("format").asText());
    assertEquals(4, manifest.get("entryCount").asLong());
    assertEquals(3, manifest.get("totalBytes").asLong());
    assertEquals("SHA-256", manifest.get("digestAlgorithm").asText());
    JsonNode file = manifest.get("entries").get(2);
    assertEquals("volumes/data/d/f", file.get("path").asText());
    assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", file.get("sha256").asText());
    assertEquals("d/f", manifest.get("entries").get(3).get("target").asText());
  }

  @Test
  @DisplayName("an archive whose content was altered is refused by its digest and leaves no staging")
  void damagedContentIsRefused() throws IOException {
    Path root = Files.createDirectory(temp.resolve("live"));
    buildSampleTree(root);
    ByteArrayOutputStream archive = new ByteArrayOutputStream();
    SnapshotArchive.exportTree(root, archive);
    byte[] tar;
    try (InputStream in = new ZstdInputStream(new ByteArrayInputStream(archive.toByteArray()))) {
      tar = in.readAllBytes();
    }
    String text = new String(tar, StandardCharsets.ISO_8859_1);
    int at = text.indexOf("marker-7f3a");
    assertTrue(at > 0);
    tar[at] = 'M';
    ByteArrayOutputStream damaged = new ByteArrayOutputStream();
    try (ZstdOutputStream z = new ZstdOutputStream(damaged)) {
      z.write(tar);
    }

    SnapshotException e = assertThrows(SnapshotException.class, () -> SnapshotArchive.importArchive(
        new ByteArrayInputStream(damaged.toByteArray()), temp.resolve("staging"), SnapshotArchive.Limits.defaults()));
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    assertTrue(e.getMessage().contains("'volumes/data/README.md' does not match its SHA-256 digest"), e.getMessage());
    assertFalse(Files.exists(temp.resolve("staging")));
  }

  @Test
  @DisplayName("a truncated archive and a non-archive are refused with a clear error and no staging")
  void truncatedAndGarbageAreRefused() throws IOException {
    Path root = Files.createDirectory(temp.resolve("live"));
    buildSampleTree(root);
    ByteArrayOutputStream archive = new ByteArrayOutputStream();
    SnapshotArchive.exportTree(root, archive);
    byte[] bytes = archive.toByteArray();
    byte[] half = java.util.Arrays.copyOf(bytes, bytes.length / 2);

    SnapshotException truncated = assertThrows(SnapshotException.class, () -> SnapshotArchive.importArchive(
        new ByteArrayInputStream(half), temp.resolve("s1"), SnapshotArchive.Limits.defaults()));
    assertEquals(ErrorCode.INVALID_ARGUMENT, truncated.code());
    assertTrue(truncated.getMessage().contains("it was not imported"), truncated.getMessage());
    assertFalse(Files.exists(temp.resolve("s1")));

    byte[] garbage = new byte[4096];
    new Random(7).nextBytes(garbage);
    SnapshotException notAnArchive = assertThrows(SnapshotException.class, () -> SnapshotArchive.importArchive(
        new ByteArrayInputStream(garbage), temp.resolve("s2"), SnapshotArchive.Limits.defaults()));
    assertEquals(ErrorCode.INVALID_ARGUMENT, notAnArchive.code());
    assertTrue(notAnArchive.getMessage().contains("could not be read"), notAnArchive.getMessage());
    assertFalse(Files.exists(temp.resolve("s2")));
  }

  @Test
  @DisplayName("import refuses a staging directory that already exists and leaves it untouched")
  void existingStagingIsRefused() throws IOException {
    Path root = Files.createDirectory(temp.resolve("live"));
    Files.writeString(root.resolve("f"), "x");
    ByteArrayOutputStream archive = new ByteArrayOutputStream();
    SnapshotArchive.exportTree(root, archive);
    Path staging = Files.createDirectory(temp.resolve("staging"));
    Files.writeString(staging.resolve("mine"), "keep");
    SnapshotException e = assertThrows(SnapshotException.class, () -> SnapshotArchive.importArchive(
        new ByteArrayInputStream(archive.toByteArray()), staging, SnapshotArchive.Limits.defaults()));
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    assertEquals("keep", Files.readString(staging.resolve("mine")));
  }

  @Test
  @DisplayName("a file that changes during export fails it with CONFLICT instead of writing a lying archive")
  void changeDuringExportIsConflict() throws IOException {
    Path root = Files.createDirectory(temp.resolve("live"));
    Files.writeString(root.resolve("f"), "before");
    TarExport.Tree live = TarExport.directories(Map.of("data", root));
    TarExport.Tree changing = new TarExport.Tree() {
      @Override
      public List<String> volumes() {
        return live.volumes();
      }

      @Override
      public void walk(String volume, TarExport.Visitor visitor) throws IOException {
        live.walk(volume, visitor);
        Files.writeString(root.resolve("f"), "AFTER!");
      }

      @Override
      public InputStream open(String volume, TarExport.Item item) throws IOException {
        return live.open(volume, item);
      }
    };
    SnapshotArchive.Header header = new SnapshotArchive.Header(Optional.empty(), Optional.empty(), Optional.empty(),
        1, List.of(), 0, 0);
    SnapshotException e = assertThrows(SnapshotException.class,
        () -> TarExport.write(header, changing, new ByteArrayOutputStream(), 3));
    assertEquals(ErrorCode.CONFLICT, e.code());
    assertTrue(e.getMessage().contains("changed while it was being exported"), e.getMessage());
  }

  @Test
  @DisplayName("export refuses a fifo in a volume rather than skipping it silently")
  void exportRefusesFifo() throws Exception {
    Path root = Files.createDirectory(temp.resolve("live"));
    Process p = new ProcessBuilder("mkfifo", root.resolve("pipe").toString()).start();
    assertEquals(0, p.waitFor());
    SnapshotException e = assertThrows(SnapshotException.class,
        () -> SnapshotArchive.exportTree(root, new ByteArrayOutputStream()));
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    assertTrue(e.getMessage().contains("fifo, socket or device node"), e.getMessage());
  }

  @Test
  @DisplayName("export validates its inputs")
  void exportValidates() {
    assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(SnapshotException.class,
        () -> SnapshotArchive.exportDirectories(Map.of(), SnapshotArchive.Description.none(),
            new ByteArrayOutputStream())).code());
    assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(SnapshotException.class,
        () -> SnapshotArchive.exportDirectories(Map.of("a/b", temp), SnapshotArchive.Description.none(),
            new ByteArrayOutputStream())).code());
    assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(SnapshotException.class,
        () -> SnapshotArchive.exportTree(temp.resolve("missing"), new ByteArrayOutputStream())).code());
  }
}
