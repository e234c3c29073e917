package io.snapshotkit.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.snapshotkit.RestoreMode;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.fs.internal.files.Modes;
import io.snapshotkit.fs.internal.files.SafeTree;
import io.snapshotkit.fs.internal.repo.FsRepository;
import io.snapshotkit.fs.internal.repo.SnapshotWriter;
import io.snapshotkit.fs.internal.repo.Summary;
import io.snapshotkit.fs.internal.repo.TreeReader;
import io.snapshotkit.spi.RestoreOutcome;
import io.snapshotkit.testkit.RawTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Owners (numeric uid and gid) are captured and restored with the setuid and setgid bits, so a
 * restore run as root never turns another user's setuid file into a setuid-root one.
 */
class FsOwnershipTest {
  @TempDir Path dir;

  static boolean root() throws IOException {
    Path probe = Files.createTempFile("owner-probe", "");
    try {
      return RawTree.owner(probe).startsWith("0:");
    } finally {
      Files.delete(probe);
    }
  }

  /** "uid:gid mode" of an entry. */
  static String owned(Path p) {
    return RawTree.owner(p) + " " + Integer.toOctalString(RawTree.mode(p));
  }

  /** A volume with a setuid file, a setgid directory and a link, each owned by another user. */
  private static Path volume(Path v) throws IOException {
    Files.createDirectories(v);
    Path tool = Files.write(v.resolve("tool"), "#!/bin/sh\n".getBytes());
    RawTree.chown(tool, 1000, 1000);
    Files.setAttribute(tool, "unix:mode", 04755);
    Path shared = Files.createDirectory(v.resolve("shared"));
    RawTree.chown(shared, 1000, 1001);
    Files.setAttribute(shared, "unix:mode", 02775);
    Path inner = Files.write(shared.resolve("inner"), "x".getBytes());
    RawTree.chown(inner, 1002, 1001);
    Files.setAttribute(inner, "unix:mode", 02750);
    Path link = Files.createSymbolicLink(v.resolve("link"), Path.of("tool"));
    RawTree.chown(link, 1003, 1004);
    return v;
  }

  private static void assertOwners(Path v, String what) throws IOException {
    assertEquals("1000:1000 4755", owned(v.resolve("tool")), what + ": the setuid file keeps its owner, not root");
    assertEquals("1000:1001 2775", owned(v.resolve("shared")), what);
    assertEquals("1002:1001 2750", owned(v.resolve("shared/inner")), what);
    assertEquals(1003 + ":" + 1004, RawTree.owner(v.resolve("link")), what + ": lchown");
  }

  @Test
  @DisplayName("as root, a setuid file owned by uid 1000 restores owned by uid 1000 with 4755 in every mode, never setuid-root")
  void setuidFileOfAnotherUserRestoresWithItsOwnerNotAsRoot() throws IOException {
    assumeTrue(root(), "chown needs root; CI runs as root");
    Path data = volume(dir.resolve("live/data"));
    try (FsHostAgent agent = FsHostAgent.rootedAt(dir.resolve("repo"))) {
      agent.track(FsRawNamesTest.W, Map.of("data", data));
      SnapshotId id = FsRawNamesTest.capture(agent);
      Files.delete(data.resolve("tool"));
      Files.write(data.resolve("tool"), "#!/bin/sh\n".getBytes());
      FsRawNamesTest.restore(agent, id, RestoreMode.REPLACE, null);
      assertOwners(data, "replace restore");
      FsRawNamesTest.restore(agent, id, RestoreMode.REPLACE, dir.resolve("to"));
      assertOwners(dir.resolve("to/data"), "restore into a directory");
      FsRawNamesTest.restore(agent, id, RestoreMode.ADDITIVE, dir.resolve("added"));
      assertOwners(dir.resolve("added/data"), "additive restore");
    }
  }

  @Test
  @DisplayName("a chown alone (no content or mode change) is a MODE_CHANGED in the live and the snapshot diff, with both owners")
  void chownOnlyChangeIsSeenByDiff() throws IOException {
    assumeTrue(root(), "chown needs root; CI runs as root");
    Path data = volume(dir.resolve("live/data"));
    try (FsHostAgent agent = FsHostAgent.rootedAt(dir.resolve("repo"))) {
      agent.track(FsRawNamesTest.W, Map.of("data", data));
      SnapshotId before = FsRawNamesTest.capture(agent);
      // chown clears setuid; put the mode back so that only the owner differs
      RawTree.chown(data.resolve("tool"), 1000, 1005);
      Files.setAttribute(data.resolve("tool"), "unix:mode", 04755);
      List<FileChange> live = new ArrayList<>();
      agent.diff(FsRawNamesTest.W, before, Optional.empty(), live::add);
      assertEquals(1, live.size(), live.toString());
      assertEquals(FileChange.Kind.MODE_CHANGED, live.get(0).kind());
      assertEquals(Optional.of(new FileEntry.Owner(1000, 1000)), live.get(0).before().orElseThrow().owner());
      assertEquals(Optional.of(new FileEntry.Owner(1000, 1005)), live.get(0).after().orElseThrow().owner());

      SnapshotId after = FsRawNamesTest.capture(agent);
      List<FileChange> stored = new ArrayList<>();
      DiffSummary summary = agent.diff(FsRawNamesTest.W, before, Optional.of(after), stored::add);
      assertEquals(1, summary.modeChanged(), stored.toString());
      assertEquals(live, stored, "the incremental capture read the new owner");
      String doc = agent.diff(FsRawNamesTest.W, before, Optional.of(after)).families().toString();
      assertTrue(doc.contains("\"gid\":1005"), doc);
    }
  }

  @Test
  @DisplayName("a snapshot that records no owners restores as root with setuid and setgid stripped and one warning")
  void ownerlessManifestRestoresWithSpecialBitsStrippedAndAWarning() throws IOException {
    assumeTrue(root(), "the stripping under test is what root does with an entry that records no owner");
    Path data = volume(dir.resolve("live/data"));
    try (FsHostAgent agent = FsHostAgent.rootedAt(dir.resolve("repo"))) {
      agent.track(FsRawNamesTest.W, Map.of("data", data));
      SnapshotId id = FsRawNamesTest.capture(agent);
      rewriteWithoutOwners(agent.repository(), id);

      RestoreOutcome outcome = FsRawNamesTest.restore(agent, id, RestoreMode.REPLACE, dir.resolve("to"));
      Path to = dir.resolve("to/data");
      assertEquals("0:0 755", owned(to.resolve("tool")), "no setuid-root file");
      assertEquals("0:0 775", owned(to.resolve("shared")));
      assertEquals("0:0 750", owned(to.resolve("shared/inner")));
      assertEquals(1, outcome.warnings().size(), outcome.warnings().toString());
      String warning = outcome.warnings().get(0);
      assertTrue(warning.startsWith("3 entries were restored without their setuid or setgid bit"), warning);
      assertTrue(warning.contains("records no owner"), warning);

      RestoreOutcome added = FsRawNamesTest.restore(agent, id, RestoreMode.ADDITIVE, dir.resolve("added"));
      assertEquals("0:0 755", owned(dir.resolve("added/data/tool")));
      assertEquals(outcome.warnings(), added.warnings(), "additive restore warns the same");
    }
  }

  @Test
  @DisplayName("a sticky directory without a recorded owner keeps its sticky bit, with no warning")
  void stickyBitIsAlwaysKept() throws IOException {
    Path data = dir.resolve("live/data");
    Path tmp = Files.createDirectories(data.resolve("tmp"));
    Files.setAttribute(tmp, "unix:mode", 01777);
    try (FsHostAgent agent = FsHostAgent.rootedAt(dir.resolve("repo"))) {
      agent.track(FsRawNamesTest.W, Map.of("data", data));
      SnapshotId id = FsRawNamesTest.capture(agent);
      rewriteWithoutOwners(agent.repository(), id);
      RestoreOutcome outcome = FsRawNamesTest.restore(agent, id, RestoreMode.REPLACE, dir.resolve("to"));
      assertEquals(01777, RawTree.mode(dir.resolve("to/data/tmp")));
      assertEquals(List.of(), outcome.warnings());
    }
  }

  /**
   * Stores the snapshot again, under its id, with no owner recorded on any entry: what an import
   * (or a snapshot from before owners were captured) holds.
   */
  static void rewriteWithoutOwners(FsRepository repo, SnapshotId id) throws IOException {
    Summary summary = repo.summary(FsRawNamesTest.W, id).orElseThrow();
    try (TreeReader r = repo.entries(FsRawNamesTest.W, id);
        SnapshotWriter w = repo.begin(FsRawNamesTest.W, id)) {
      summary.volumes().keySet().forEach(w::volume);
      while (r.hasNext()) {
        w.add(r.next().withoutOwner());
      }
      w.commit(summary.capturedAt(), summary.partial());
    }
  }

  @Test
  @DisplayName("the mode kept for an entry: setuid only for its recorded uid, setgid only for its recorded gid, sticky always")
  void keptModeJudgesEachBitByItsOwner() {
    assertEquals(04755, Modes.keptMode(04755, 1000, 1000, 1000, 0));
    assertEquals(0755, Modes.keptMode(04755, 1000, 1000, 0, 1000), "uid 1000's setuid file owned by root");
    assertEquals(02775, Modes.keptMode(02775, 5, 7, 0, 7));
    assertEquals(0775, Modes.keptMode(02775, 5, 7, 5, 8));
    assertEquals(01777, Modes.keptMode(07777, 1, 2, 3, 4), "sticky and permissions stay");
    assertEquals(0755, Modes.keptMode(06755, SafeTree.NO_OWNER, SafeTree.NO_OWNER, 0, 0),
        "no recorded owner: no setuid, even for root");
    assertEquals(06755, Modes.keptMode(06755, 0, 0, 0, 0));
  }

  @Test
  @DisplayName("restoring as an unprivileged user (a child JVM run as nobody): setuid and setgid stay only on the files captured as that user's, with one warning")
  void nonRootRestoreKeepsSetIdBitsOnlyForItsOwnFiles() throws Exception {
    assumeTrue(root() && Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs root and setpriv to start the child as nobody");
    int nobody = 65534;
    Path data = Files.createDirectories(dir.resolve("live/data"));
    Path mine = Files.write(data.resolve("mine"), "x".getBytes());
    RawTree.chown(mine, nobody, nobody);
    Files.setAttribute(mine, "unix:mode", 06755);
    Path theirs = Files.write(data.resolve("theirs"), "y".getBytes());
    RawTree.chown(theirs, 1000, 1000);
    Files.setAttribute(theirs, "unix:mode", 04755);
    Path group = Files.createDirectory(data.resolve("group"));
    RawTree.chown(group, 1000, nobody);
    Files.setAttribute(group, "unix:mode", 02775);
    Path repo = dir.resolve("repo");
    SnapshotId id;
    try (FsHostAgent agent = FsHostAgent.rootedAt(repo)) {
      agent.track(FsRawNamesTest.W, Map.of("data", data));
      id = FsRawNamesTest.capture(agent);
    }
    // the child reads the repository and writes beside it as nobody; its class path must be
    // readable by nobody too (the local Maven repository is not)
    Path child = Files.createDirectory(dir.resolve("child"));
    List<String> classPath = new ArrayList<>();
    int n = 0;
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      Path p = Path.of(entry);
      if (Files.isRegularFile(p)) {
        p = Files.copy(p, child.resolve((n++) + "-" + p.getFileName()));
      }
      classPath.add(p.toString());
    }
    try (var walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        RawTree.chown(p, nobody, nobody);
      }
    }
    Files.setAttribute(dir, "unix:mode", 0755);
    Path log = dir.resolve("child.log");
    List<String> cmd = List.of("/usr/bin/setpriv", "--reuid=" + nobody, "--regid=" + nobody, "--clear-groups",
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Djava.io.tmpdir=" + child,
        "-cp", String.join(java.io.File.pathSeparator, classPath), NonRootRestoreChild.class.getName(),
        repo.toString(), id.value(), dir.resolve("to").toString(), dir.resolve("added").toString());
    Process process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(process.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "the child finishes");
    String out = Files.readString(log);
    assertEquals(0, process.exitValue(), out);
    assertTrue(out.contains("OK"), out);
    for (String target : List.of("to", "added")) {
      Path v = dir.resolve(target).resolve("data");
      assertEquals(nobody + ":" + nobody + " 6755", owned(v.resolve("mine")), target + ": nobody's own setuid file");
      assertEquals(nobody + ":" + nobody + " 755", owned(v.resolve("theirs")), target + ": uid 1000's loses setuid");
      assertEquals(nobody + ":" + nobody + " 2775", owned(v.resolve("group")), target + ": the group is nobody's");
    }
    for (String mode : List.of("replace", "additive")) {
      assertTrue(out.contains(mode + " WARNING 1 entries were restored without their setuid or setgid bit")
          && out.contains("did not run as root"), out);
    }
  }

  @Test
  @DisplayName("an export's tar headers carry no setuid or setgid bit, so a plain 'tar -x' as root makes no setuid-root file")
  void exportTarHeadersCarryNoSetIdBits() throws IOException {
    Path data = Files.createDirectories(dir.resolve("live/data"));
    Files.setAttribute(Files.write(data.resolve("tool"), "x".getBytes()), "unix:mode", 06755);
    Files.setAttribute(Files.createDirectory(data.resolve("tmp")), "unix:mode", 03777);
    java.io.ByteArrayOutputStream archive = new java.io.ByteArrayOutputStream();
    try (FsHostAgent agent = FsHostAgent.rootedAt(dir.resolve("repo"))) {
      agent.track(FsRawNamesTest.W, Map.of("data", data));
      agent.exportSnapshot(FsRawNamesTest.W, FsRawNamesTest.capture(agent), archive);
    }
    Map<String, Integer> modes = new java.util.TreeMap<>();
    try (var tar = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(
        new com.github.luben.zstd.ZstdInputStream(new java.io.ByteArrayInputStream(archive.toByteArray())))) {
      for (var e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        modes.put(e.getName(), e.getMode() & 07777);
      }
    }
    assertEquals(0755, modes.entrySet().stream().filter(e -> e.getKey().endsWith("/tool")).findFirst()
        .orElseThrow().getValue(), modes.toString());
    assertEquals(01777, modes.entrySet().stream().filter(e -> e.getKey().endsWith("/tmp/")).findFirst()
        .orElseThrow().getValue(), "the sticky bit is harmless and kept: " + modes);
  }
}
