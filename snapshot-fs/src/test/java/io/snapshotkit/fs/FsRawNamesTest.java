package io.snapshotkit.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.Manifest;
import io.snapshotkit.RestoreMode;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.CaptureResult;
import io.snapshotkit.spi.RestoreOutcome;
import io.snapshotkit.spi.RestoreRequest;
import io.snapshotkit.testkit.RawTree;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Any name the filesystem allows (every byte but {@code /} and NUL, invalid UTF-8 included), any
 * symlink target and the setuid, setgid and sticky bits survive capture, every restore mode, diff
 * and export/import, byte for byte.
 */
class FsRawNamesTest {
  static final WorkloadRef W = WorkloadRef.of("acme", "names");
  private static final SplittableRandom IDS = new SplittableRandom(11);

  /** Names by raw bytes (ISO-8859-1 spelling: one char per byte). */
  static final List<String> NAMES = List.of("back\\slash", "new\nline", "tab\there", "latin1-\u00e9t\u00e9",
      "\u00ff\u00fe", "c:drive", "%41-not-escaped", "\u00ef\u00bf\u00bd-literal-replacement-char",
      "\u00ed\u00a0\u0080-encoded-surrogate", "caf\u00c3\u00a9-valid-utf8", "\u0001\u001f\u007f", "\u0080");

  @TempDir Path dir;

  private static SnapshotId id() {
    return SnapshotId.generate(Instant.parse("2026-03-01T00:00:00Z"), IDS);
  }

  /** A volume holding every name as a file, a directory with a file inside, and links to anywhere. */
  static Path volume(Path v, boolean specialBits) throws IOException {
    Files.createDirectories(v);
    int i = 0;
    for (String n : NAMES) {
      Path f = Files.write(RawTree.resolve(v, RawTree.latin1(n)), ("content of " + i++).getBytes());
      Path d = Files.createDirectory(RawTree.resolve(v, RawTree.latin1("dir-" + n)));
      Files.write(RawTree.resolve(d, RawTree.latin1(n)), new byte[] {(byte) i});
      if (specialBits) {
        Files.setAttribute(f, "unix:mode", 04755);
        Files.setAttribute(d, "unix:mode", i % 2 == 0 ? 02775 : 01777);
      }
    }
    Files.createSymbolicLink(v.resolve("abs-link"), Path.of("/etc/passwd"));
    Files.createSymbolicLink(v.resolve("out-link"), Path.of("../../../outside/x"));
    Files.createSymbolicLink(RawTree.resolve(v, RawTree.latin1("raw-link-\u00e9")),
        RawTree.path(RawTree.latin1("dir-\u00ff\u00fe/\u00ff\u00fe")));
    Files.createSymbolicLink(v.resolve("weird-target"), RawTree.path(RawTree.latin1("a\\b\nc\u00e9")));
    Files.createSymbolicLink(v.resolve("up-raw"), RawTree.path(RawTree.latin1("../\u00e9/./x/..")));
    return v;
  }

  static SnapshotId capture(FsHostAgent agent) {
    SnapshotId id = id();
    CaptureResult r = agent.capture(new CaptureRequest(W, id, Optional.empty(), Optional.empty(), false));
    assertFalse(r.manifest().partial(), "the capture is complete");
    return id;
  }

  static Manifest manifest(FsHostAgent agent, SnapshotId id) {
    return agent.repository().manifest(W, id).orElseThrow();
  }

  static RestoreOutcome restore(FsHostAgent agent, SnapshotId id, RestoreMode mode, Path target) {
    return agent.restore(new RestoreRequest(W, id, manifest(agent, id), mode,
        Optional.ofNullable(target).map(Path::toString), List.of()));
  }

  @Test
  @DisplayName("names with backslash, newline, tab, control bytes and invalid UTF-8 restore byte for byte in every mode")
  void everyByteNameRestoresInEveryMode() throws IOException {
    Path data = volume(dir.resolve("live/data"), false);
    Map<String, String> original = RawTree.read(data);
    try (FsHostAgent agent = FsHostAgent.rootedAt(dir.resolve("repo"))) {
      agent.track(W, Map.of("data", data));
      SnapshotId id = capture(agent);
      assertTrue(agent.check(false).ok());

      RestoreOutcome replaceInto = restore(agent, id, RestoreMode.REPLACE, dir.resolve("replace-target"));
      assertEquals(List.of(), errors(replaceInto));
      assertEquals(original, RawTree.read(dir.resolve("replace-target/data")), "replace restore into a directory");

      RestoreOutcome additiveInto = restore(agent, id, RestoreMode.ADDITIVE, dir.resolve("additive-target"));
      assertEquals(List.of(), errors(additiveInto));
      assertEquals(original, RawTree.read(dir.resolve("additive-target/data")), "additive restore into a directory");

      // live: remove every odd name, then additive restore brings them back
      for (String n : NAMES.subList(0, 6)) {
        Files.delete(RawTree.resolve(data, RawTree.latin1(n)));
      }
      RestoreOutcome additive = restore(agent, id, RestoreMode.ADDITIVE, null);
      assertEquals(List.of(), errors(additive));
      assertEquals(original, RawTree.read(data), "additive restore of the live volume");

      // live: scramble, then replace restore puts it back exactly
      for (String n : NAMES) {
        Files.write(RawTree.resolve(data, RawTree.latin1(n)), new byte[] {42});
      }
      Files.write(RawTree.resolve(data, RawTree.latin1("extra-\u00e9")), new byte[] {1});
      restore(agent, id, RestoreMode.REPLACE, null);
      assertEquals(original, RawTree.read(data), "replace restore of the live volume");
    }
  }

  @Test
  @DisplayName("diff reports changed raw names by their surrogate-escaped text")
  void diffSeesRawNames() throws IOException {
    Path data = volume(dir.resolve("live/data"), false);
    try (FsHostAgent agent = FsHostAgent.rootedAt(dir.resolve("repo"))) {
      agent.track(W, Map.of("data", data));
      SnapshotId a = capture(agent);
      Files.write(RawTree.resolve(data, RawTree.latin1("latin1-\u00e9t\u00e9")), new byte[] {7});
      Files.setAttribute(RawTree.resolve(data, RawTree.latin1("new\nline")), "unix:mode", 04644);
      Files.write(RawTree.resolve(data, RawTree.latin1("added-\u00ff")), new byte[] {8});
      List<String> live = new ArrayList<>();
      agent.diff(W, a, Optional.empty(), c -> live.add(c.kind() + " " + c.key()));
      SnapshotId b = capture(agent);
      List<String> stored = new ArrayList<>();
      agent.diff(W, a, Optional.of(b), c -> stored.add(c.kind() + " " + c.key()));
      List<String> expected = List.of(
          "ADDED data:" + RawTree.text(RawTree.latin1("added-\u00ff")),
          "MODE_CHANGED data:new\nline",
          "MODIFIED data:" + RawTree.text(RawTree.latin1("latin1-\u00e9t\u00e9")));
      assertEquals(escaped(expected), escaped(stored.stream().sorted().toList()));
      assertEquals(escaped(stored), escaped(live));
    }
  }

  @Test
  @DisplayName("setuid, setgid and sticky bits are captured, seen by diff and restored by every restore mode")
  void specialBitsRoundTrip() throws IOException {
    Path data = volume(dir.resolve("live/data"), true);
    Map<String, String> original = RawTree.read(data);
    try (FsHostAgent agent = FsHostAgent.rootedAt(dir.resolve("repo"))) {
      agent.track(W, Map.of("data", data));
      SnapshotId id = capture(agent);
      List<FileChange> changes = new ArrayList<>();
      Path suid = RawTree.resolve(data, RawTree.latin1("c:drive"));
      Files.setAttribute(suid, "unix:mode", 0755);
      agent.diff(W, id, Optional.empty(), changes::add);
      assertEquals(1, changes.size(), changes.toString());
      assertEquals(FileChange.Kind.MODE_CHANGED, changes.get(0).kind());
      assertEquals(04755, changes.get(0).before().orElseThrow().mode());
      assertEquals(0755, changes.get(0).after().orElseThrow().mode());

      restore(agent, id, RestoreMode.REPLACE, null);
      assertEquals(original, RawTree.read(data), "replace restore keeps 4755, 2775 and 1777");
      restore(agent, id, RestoreMode.ADDITIVE, dir.resolve("additive-target"));
      assertEquals(original, RawTree.read(dir.resolve("additive-target/data")), "additive restore too");
      assertTrue(original.values().stream().map(RawTree::body).anyMatch("d:1777"::equals), original.toString());
      assertTrue(original.values().stream().map(RawTree::body).anyMatch("d:2775"::equals), original.toString());
    }
  }

  @Test
  @DisplayName("export then import round-trips raw names and absolute or outside symlinks verbatim")
  void exportImportRoundTrips() throws IOException {
    Path data = volume(dir.resolve("live/data"), false);
    Map<String, String> original = RawTree.read(data);
    ByteArrayOutputStream archive = new ByteArrayOutputStream();
    SnapshotId id;
    Manifest captured;
    try (FsHostAgent source = FsHostAgent.rootedAt(dir.resolve("repo-a"))) {
      source.track(W, Map.of("data", data));
      id = capture(source);
      captured = manifest(source, id);
      source.exportSnapshot(W, id, archive);
    }
    try (FsHostAgent target = FsHostAgent.rootedAt(dir.resolve("repo-b"))) {
      Manifest imported = target.importSnapshot(W, id, new ByteArrayInputStream(archive.toByteArray()),
          SnapshotArchive.Limits.defaults());
      assertEquals(captured.families(), imported.families(), "same tree digest: same names, modes and content");
      restore(target, id, RestoreMode.REPLACE, dir.resolve("restored"));
      assertEquals(original, RawTree.read(dir.resolve("restored/data")));
    }
  }

  @Test
  @DisplayName("an import strips setuid, setgid and sticky bits of the untrusted archive")
  void importStripsSpecialBits() throws IOException {
    Path data = volume(dir.resolve("live/data"), true);
    ByteArrayOutputStream archive = new ByteArrayOutputStream();
    SnapshotId id;
    try (FsHostAgent source = FsHostAgent.rootedAt(dir.resolve("repo-a"))) {
      source.track(W, Map.of("data", data));
      id = capture(source);
      source.exportSnapshot(W, id, archive);
    }
    try (FsHostAgent target = FsHostAgent.rootedAt(dir.resolve("repo-b"))) {
      target.importSnapshot(W, id, new ByteArrayInputStream(archive.toByteArray()), SnapshotArchive.Limits.defaults());
      restore(target, id, RestoreMode.REPLACE, dir.resolve("restored"));
      Map<String, String> expected = new TreeMap<>();
      RawTree.read(data).forEach((k, v) -> expected.put(k, v.replaceFirst("^([fd]):[0-7]?([0-7]{3})", "$1:$2")));
      assertEquals(expected, RawTree.read(dir.resolve("restored/data")));
      assertFalse(Files.isSymbolicLink(dir.resolve("restored/data/c:drive")));
      assertEquals(0755, (Integer) Files.getAttribute(dir.resolve("restored/data/c:drive"), "unix:mode",
          LinkOption.NOFOLLOW_LINKS) & 07777);
    }
  }

  private static List<String> errors(RestoreOutcome o) {
    List<String> all = new ArrayList<>(o.warnings());
    o.families().values().forEach(f -> all.addAll(f.errors()));
    return all;
  }

  @Test
  @DisplayName("under an ASCII locale (LC_ALL=C, so sun.jnu.encoding is not UTF-8) raw names still round-trip")
  void asciiLocaleKeepsRawNames() throws Exception {
    Path log = dir.resolve("child.log");
    java.util.List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), RawNamesChild.class.getName(), dir.resolve("child").toString());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("LC_") || k.equals("LANG") || k.equals("LANGUAGE"));
    pb.environment().put("LC_ALL", "C");
    Process child = pb.start();
    assertTrue(child.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "the child finishes");
    String out = Files.readString(log, java.nio.charset.StandardCharsets.ISO_8859_1);
    assertEquals(0, child.exitValue(), out);
    assertTrue(out.contains("sun.jnu.encoding=ANSI_X3.4-1968"), out);
    assertTrue(out.contains("OK"), out);
  }

  @Test
  @DisplayName("ingest, the other way entries come from outside, stores raw names and strips special bits like an import")
  void ingestStripsSpecialBits() throws IOException {
    Path data = volume(dir.resolve("live/data"), true);
    try (FsHostAgent source = FsHostAgent.rootedAt(dir.resolve("repo-a"));
        FsHostAgent target = FsHostAgent.rootedAt(dir.resolve("repo-b"))) {
      source.track(W, Map.of("data", data));
      SnapshotId id = capture(source);
      try (SnapshotReader reader = RepositoryStreams.openSnapshot(source.repository(), W, id)) {
        RepositoryStreams.ingest(target.repository(), W, id, Instant.parse("2026-03-01T00:00:00Z"), false, reader);
      }
      restore(target, id, RestoreMode.REPLACE, dir.resolve("restored"));
      Map<String, String> expected = new TreeMap<>();
      RawTree.read(data).forEach((k, v) -> expected.put(k, v.replaceFirst("^([fd]):[0-7]?([0-7]{3})", "$1:$2")));
      assertEquals(expected, RawTree.read(dir.resolve("restored/data")));
    }
  }

  @Test
  @DisplayName("an archive of format 1 (UTF-8 pax names) with non-ASCII and long names still imports")
  void formatOneArchivesStillImport() throws IOException {
    String longName = "\u00fcn\u00ef-" + "x".repeat(120);
    byte[] content = "v1".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    String sha = HexFormat.of().formatHex(io.snapshotkit.fs.internal.archive.TarExport.sha256().digest(content));
    String json = "{\"format\":\"snapshotkit-archive\",\"formatVersion\":1,\"schemaVersion\":1,"
        + "\"digestAlgorithm\":\"SHA-256\",\"volumes\":[\"data\"],\"entryCount\":3,\"totalBytes\":2,\"entries\":["
        + "{\"path\":\"volumes/data\",\"type\":\"dir\",\"mode\":493,\"mtime\":\"\"},"
        + "{\"path\":\"volumes/data/" + longName + "\",\"type\":\"file\",\"size\":2,\"sha256\":\"" + sha
        + "\",\"mode\":420,\"mtime\":\"\"},"
        + "{\"path\":\"volumes/data/l\",\"type\":\"symlink\",\"target\":\"" + longName + "\",\"mode\":511,\"mtime\":\"\"}]}";
    byte[] manifest = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    ByteArrayOutputStream archive = new ByteArrayOutputStream();
    // written as format 1 was: UTF-8 headers, pax names for long and non-ASCII names
    try (var zstd = new com.github.luben.zstd.ZstdOutputStream(archive, 1);
        var tar = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(zstd, "UTF-8")) {
      tar.setLongFileMode(org.apache.commons.compress.archivers.tar.TarArchiveOutputStream.LONGFILE_POSIX);
      tar.setAddPaxHeadersForNonAsciiNames(true);
      var m = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("snapshotkit-archive.json");
      m.setSize(manifest.length);
      tar.putArchiveEntry(m);
      tar.write(manifest);
      tar.closeArchiveEntry();
      var d = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("volumes/data/");
      d.setMode(0755);
      tar.putArchiveEntry(d);
      tar.closeArchiveEntry();
      var f = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("volumes/data/" + longName);
      f.setSize(2);
      f.setMode(0644);
      tar.putArchiveEntry(f);
      tar.write(content);
      tar.closeArchiveEntry();
      var l = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("volumes/data/l",
          org.apache.commons.compress.archivers.tar.TarConstants.LF_SYMLINK);
      l.setLinkName(longName);
      tar.putArchiveEntry(l);
      tar.closeArchiveEntry();
    }
    SnapshotArchive.Imported imported = SnapshotArchive.importArchive(new ByteArrayInputStream(archive.toByteArray()),
        dir.resolve("staging"), SnapshotArchive.Limits.defaults());
    Path data = imported.volumes().get("data");
    assertEquals("v1", Files.readString(data.resolve(longName)));
    assertEquals(Path.of(longName), Files.readSymbolicLink(data.resolve("l")));
    imported.discard();
  }

  /** Printable, so a failure report shows lone surrogates and control chars. */
  static List<String> escaped(List<String> texts) {
    return texts.stream().map(RawTree::escape).toList();
  }
}
