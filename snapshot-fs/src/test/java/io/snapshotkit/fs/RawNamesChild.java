package io.snapshotkit.fs;

import io.snapshotkit.RestoreMode;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.testkit.RawTree;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * Child JVM of {@link FsRawNamesTest#asciiLocaleKeepsRawNames}: captures, restores, exports and
 * imports the raw-name volume under whatever locale it was started with, and exits 0 only if
 * every tree is byte for byte the original.
 */
final class RawNamesChild {
  private RawNamesChild() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    System.out.println("sun.jnu.encoding=" + System.getProperty("sun.jnu.encoding"));
    Path data = FsRawNamesTest.volume(dir.resolve("live/data"), true);
    Map<String, String> original = RawTree.read(data);
    ByteArrayOutputStream archive = new ByteArrayOutputStream();
    SnapshotId id;
    try (FsHostAgent agent = FsHostAgent.rootedAt(dir.resolve("repo"))) {
      agent.track(FsRawNamesTest.W, Map.of("data", data));
      id = FsRawNamesTest.capture(agent);
      FsRawNamesTest.restore(agent, id, RestoreMode.REPLACE, dir.resolve("replaced"));
      check(original, RawTree.read(dir.resolve("replaced/data")), "replace restore");
      FsRawNamesTest.restore(agent, id, RestoreMode.ADDITIVE, dir.resolve("added"));
      check(original, RawTree.read(dir.resolve("added/data")), "additive restore");
      agent.exportSnapshot(FsRawNamesTest.W, id, archive);
    }
    try (FsHostAgent target = FsHostAgent.rootedAt(dir.resolve("repo-b"))) {
      target.importSnapshot(FsRawNamesTest.W, id, new ByteArrayInputStream(archive.toByteArray()),
          SnapshotArchive.Limits.defaults());
      FsRawNamesTest.restore(target, id, RestoreMode.REPLACE, dir.resolve("imported"));
      Map<String, String> stripped = new java.util.TreeMap<>();
      original.forEach((k, v) -> stripped.put(k, v.replaceFirst("^([fd]):[0-7]?([0-7]{3})", "$1:$2")));
      check(stripped, RawTree.read(dir.resolve("imported/data")), "export and import");
    }
    System.out.println("OK");
  }

  private static void check(Map<String, String> expected, Map<String, String> actual, String what) {
    if (!expected.equals(actual)) {
      System.out.println(what + " differs: expected " + expected + " but was " + actual);
      System.exit(1);
    }
  }
}
