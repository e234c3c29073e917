package io.snapshotkit.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the real {@code bin/snapshotkit} launcher (and so the shaded jar that {@code package}
 * built) as a separate process against a real temporary directory.
 */
class CliIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path LAUNCHER = Path.of("bin", "snapshotkit").toAbsolutePath();
  private static final Path JAR = Path.of("target", "snapshotkit.jar").toAbsolutePath();

  @TempDir Path tmp;

  record Result(int status, String out, String err) {}

  @BeforeAll
  static void theLauncherAndJarExist() {
    assertTrue(Files.isExecutable(LAUNCHER), "missing or not executable: " + LAUNCHER);
    assertTrue(Files.isRegularFile(JAR), "the shaded jar is built in `package`, before this test: " + JAR);
  }

  private Result cli(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(LAUNCHER.toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("SNAPSHOTKIT_HOME", tmp.resolve("home").toString());
    pb.environment().remove("SNAPSHOTKIT_JAR");
    // the launcher's start-up cache has its own test (LauncherIT); no training runs behind these
    pb.environment().put("SNAPSHOTKIT_CACHE", "off");
    pb.redirectOutput(tmp.resolve("stdout").toFile());
    pb.redirectError(tmp.resolve("stderr").toFile());
    Process p = pb.start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("snapshotkit " + String.join(" ", args) + " did not finish in 120 s");
    }
    return new Result(p.exitValue(), Files.readString(tmp.resolve("stdout"), StandardCharsets.UTF_8),
        Files.readString(tmp.resolve("stderr"), StandardCharsets.UTF_8));
  }

  private Result ok(String... args) throws IOException, InterruptedException {
    Result r = cli(args);
    assertEquals(0, r.status(), () -> "snapshotkit " + String.join(" ", args) + ": " + r.err() + r.out());
    return r;
  }

  /** Every entry under {@code root}: path → type, mode and (for files) bytes, (for links) target. */
  private static Map<String, String> tree(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        String rel = root.relativize(p).toString();
        String mode = Files.isSymbolicLink(p) ? "" : PosixFilePermissions.toString(
            Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
        if (Files.isSymbolicLink(p)) {
          out.put(rel, "link " + Files.readSymbolicLink(p));
        } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          out.put(rel, "dir " + mode);
        } else {
          out.put(rel, "file " + mode + " " + java.util.HexFormat.of().formatHex(Files.readAllBytes(p)));
        }
      }
    }
    return out;
  }

  @Test
  void captureModifyDiffRestoreLeavesTheDirectoryByteForByteAsCaptured() throws Exception {
    Path project = tmp.resolve("project");
    Files.createDirectories(project.resolve("src/deep/er"));
    Files.createDirectories(project.resolve("empty"));
    Files.writeString(project.resolve("README.md"), "# project\n");
    Files.writeString(project.resolve("src/deep/er/code.txt"), "line\n".repeat(1000));
    byte[] binary = new byte[70_000];
    new java.util.Random(42).nextBytes(binary);
    Files.write(project.resolve("src/blob.bin"), binary);
    Path tool = Files.writeString(project.resolve("run.sh"), "#!/bin/sh\necho hi\n");
    Files.setPosixFilePermissions(tool, Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
        PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.GROUP_READ));
    Files.createSymbolicLink(project.resolve("link"), Path.of("src/blob.bin"));
    Map<String, String> before = tree(project);

    ok("init");
    ok("track", "proj", "main=" + project);
    JsonNode captured = JSON.readTree(ok("--json", "capture", "proj", "--name", "baseline").out());
    assertEquals(1, captured.path("version").asInt());
    assertEquals("baseline", captured.path("name").asText());

    // A risky change: edit, delete, add, change a mode, re-point a link, remove an empty dir.
    Files.writeString(project.resolve("README.md"), "# project, edited\n");
    Files.delete(project.resolve("src/deep/er/code.txt"));
    Files.writeString(project.resolve("src/new.txt"), "new\n");
    binary[1234] ^= 1;
    Files.write(project.resolve("src/blob.bin"), binary);
    Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rw-------"));
    Files.delete(project.resolve("link"));
    Files.createSymbolicLink(project.resolve("link"), Path.of("README.md"));
    Files.delete(project.resolve("empty"));

    JsonNode diff = JSON.readTree(ok("--json", "diff", "proj@1", "--current").out());
    Set<String> keys = new HashSet<>();
    diff.path("families").path("files").path("items").forEach(i -> keys.add(i.path("kind").asText() + " " + i.path("key").asText()));
    assertTrue(keys.containsAll(Set.of("changed main:README.md", "removed main:src/deep/er/code.txt",
        "added main:src/new.txt", "changed main:src/blob.bin", "changed main:run.sh", "changed main:link",
        "removed main:empty")), keys.toString());
    String human = ok("diff", "proj@1").out();
    assertTrue(human.contains("  + main:src/new.txt"), human);
    assertTrue(human.contains("  - main:src/deep/er/code.txt"), human);

    Result restore = ok("restore", "proj@1", "--replace");
    assertTrue(restore.out().startsWith("Restored proj@1 into the workload (replace)"), restore.out());
    assertEquals(before, tree(project), "the directory is byte-for-byte what was captured");
    assertTrue(ok("diff", "proj@1").out().contains("No differences."));

    JsonNode versions = JSON.readTree(ok("versions", "proj", "--json").out());
    assertEquals(2, versions.size(), "version 1 and the pre-restore safety snapshot");
    assertEquals("pre_restore", versions.get(1).path("trigger").asText());
  }

  @Test
  void aBadSnapshotNameExitsNonZeroWithOneLine() throws Exception {
    ok("init");
    Result r = cli("show", "proj@zero");
    assertEquals(4, r.status());
    assertEquals("", r.out());
    List<String> lines = r.err().lines().toList();
    assertEquals(1, lines.size(), r.err());
    assertTrue(lines.get(0).startsWith("snapshotkit: 'proj@zero' does not name a snapshot"), lines.get(0));

    Result unknown = cli("show", "01M82HM9V0P92A0B1TB414Y6F2");
    assertEquals(3, unknown.status(), unknown.err());
    assertEquals(1, unknown.err().lines().count(), unknown.err());
  }

  @Test
  void theLauncherSaysHowToBuildWhenTheJarIsMissing() throws Exception {
    ProcessBuilder pb = new ProcessBuilder(LAUNCHER.toString(), "list");
    pb.environment().put("SNAPSHOTKIT_JAR", tmp.resolve("missing.jar").toString());
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(127, p.exitValue());
    assertTrue(text.contains("mvn -B -q package -DskipTests -pl examples -am"), text);
  }
}
