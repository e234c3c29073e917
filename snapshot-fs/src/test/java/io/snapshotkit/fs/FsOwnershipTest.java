package io.snapshotkit.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.snapshotkit.RestoreMode;
import io.snapshotkit.SnapshotId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Owners (numeric uid and gid) are captured and restored with the setuid and setgid bits, so a
 * restore run as root never turns another user's setuid file into a setuid-root one.
 */
class FsOwnershipTest {
  @TempDir Path dir;

  static int uid(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
  }

  static int gid(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS);
  }

  static int mode(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
  }

  static void chown(Path p, int uid, int gid) throws IOException {
    Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(p, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
  }

  static boolean root() throws IOException {
    Path probe = Files.createTempFile("owner-probe", "");
    try {
      return uid(probe) == 0;
    } finally {
      Files.delete(probe);
    }
  }

  /** "uid:gid mode" of an entry. */
  static String owned(Path p) throws IOException {
    return uid(p) + ":" + gid(p) + " " + Integer.toOctalString(mode(p));
  }

  /** A volume with a setuid file, a setgid directory and a link, each owned by another user. */
  private static Path volume(Path v) throws IOException {
    Files.createDirectories(v);
    Path tool = Files.write(v.resolve("tool"), "#!/bin/sh\n".getBytes());
    chown(tool, 1000, 1000);
    Files.setAttribute(tool, "unix:mode", 04755);
    Path shared = Files.createDirectory(v.resolve("shared"));
    chown(shared, 1000, 1001);
    Files.setAttribute(shared, "unix:mode", 02775);
    Path inner = Files.write(shared.resolve("inner"), "x".getBytes());
    chown(inner, 1002, 1001);
    Files.setAttribute(inner, "unix:mode", 02750);
    Path link = Files.createSymbolicLink(v.resolve("link"), Path.of("tool"));
    chown(link, 1003, 1004);
    return v;
  }

  private static void assertOwners(Path v, String what) throws IOException {
    assertEquals("1000:1000 4755", owned(v.resolve("tool")), what + ": the setuid file keeps its owner, not root");
    assertEquals("1000:1001 2775", owned(v.resolve("shared")), what);
    assertEquals("1002:1001 2750", owned(v.resolve("shared/inner")), what);
    assertEquals(1003 + ":" + 1004, uid(v.resolve("link")) + ":" + gid(v.resolve("link")), what + ": lchown");
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
}
