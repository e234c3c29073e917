package io.snapshotkit.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.snapshotkit.examples.internal.JsonViews;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code snapshotkit ls} and {@code dump} in-process, on a real home (SQLite store, directory agent). */
class BrowseCliTest {
  @TempDir Path tmp;
  private Path home;

  /** One command's exit status, stdout as bytes, and stderr. */
  record Run(int status, byte[] out, String err) {
    String text() {
      return new String(out, StandardCharsets.UTF_8);
    }
  }

  private Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.run(args, Map.of(Home.ENV, home.toString()), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), false, Clock.systemUTC());
    return new Run(status, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
  }

  private Run ok(String... args) {
    Run r = run(args);
    assertEquals(0, r.status(), () -> Arrays.toString(args) + " failed: " + r.err() + r.text());
    return r;
  }

  @BeforeEach
  void snapshot() throws IOException {
    home = tmp.resolve("home");
    Path project = tmp.resolve("project");
    Files.createDirectories(project.resolve("src"));
    Files.writeString(project.resolve("README.md"), "hello\n");
    Files.writeString(project.resolve("src/main.py"), "print(1)\n");
    Files.createSymbolicLink(project.resolve("latest"), Path.of("src"));
    ok("init");
    ok("track", "app", project.toString());
    ok("capture", "app");
    Files.writeString(project.resolve("README.md"), "changed after the capture\n");
  }

  @Test
  @DisplayName("ls lists the volumes, then a directory's entries with mode, size and link target; --json gives them as an array")
  void lsListsDirectories() throws IOException {
    assertTrue(ok("ls", "app@1").text().contains("project/"), "volumes");
    List<String> lines = ok("ls", "app@1", "project").text().lines().toList();
    assertEquals(3, lines.size(), lines.toString());
    assertTrue(lines.get(0).startsWith("-rw") && lines.get(0).endsWith("  README.md") && lines.get(0).contains("6 B"),
        lines.get(0));
    assertTrue(lines.get(1).startsWith("l") && lines.get(1).endsWith("latest -> src"), lines.get(1));
    assertTrue(lines.get(2).startsWith("d") && lines.get(2).endsWith("src/"), lines.get(2));
    JsonNode json = JsonViews.mapper().readTree(ok("--json", "ls", "app@1", "project/src").out());
    assertEquals("project/src/main.py", json.get(0).path("path").asText());
    assertEquals(9, json.get(0).path("size").asLong());
  }

  @Test
  @DisplayName("dump writes a file's captured bytes to stdout, and a directory as a tar that commons-compress reads")
  void dumpWritesFilesAndTars() throws IOException {
    assertEquals("hello\n", ok("dump", "app@1", "project/README.md").text());
    List<String> names = new ArrayList<>();
    String main = null;
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new ByteArrayInputStream(ok("dump", "app@1", "project").out()))) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        names.add(e.getName());
        if (e.getName().equals("project/src/main.py")) {
          main = new String(tar.readAllBytes(), StandardCharsets.UTF_8);
        }
      }
    }
    assertEquals(List.of("project/", "project/README.md", "project/latest", "project/src/", "project/src/main.py"), names);
    assertEquals("print(1)\n", main);
  }

  @Test
  @DisplayName("bad paths: '..' and a path through a symlink exit 4 (INVALID_ARGUMENT), a missing file exits 3 (NOT_FOUND), each saying what to do")
  void badPaths() {
    Run climb = run("dump", "app@1", "project/../../etc/passwd");
    assertEquals(4, climb.status(), climb.err());
    assertTrue(climb.err().contains("'..'"), climb.err());
    assertEquals(0, climb.out().length, "nothing on stdout");
    Run through = run("dump", "app@1", "project/latest/main.py");
    assertEquals(4, through.status(), through.err());
    assertTrue(through.err().contains("symlink 'project/latest'"), through.err());
    Run link = run("dump", "app@1", "project/latest");
    assertEquals(4, link.status(), link.err());
    assertTrue(link.err().contains("dump the path it stands for"), link.err());
    Run missing = run("ls", "app@1", "project/nope");
    assertEquals(3, missing.status(), missing.err());
    assertTrue(missing.err().contains("list 'project'"), missing.err());
    Run bare = run("ls");
    assertEquals(4, bare.status(), bare.err());
    assertTrue(bare.err().contains("snapshotkit list"), "points to the snapshot list: " + bare.err());
  }
}
