package io.snapshotkit.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code snapshotkit fork} on a real home (SQLite store, directory agent). */
class ForkCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;
  private Path home;
  private Path project;

  private record Run(int status, String out, String err) {}

  private Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.run(args, Map.of(Home.ENV, home.toString()),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
        false, Clock.systemUTC());
    return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private Run ok(String... args) {
    Run r = run(args);
    assertEquals(0, r.status(), () -> Arrays.toString(args) + " failed: " + r.err() + r.out());
    return r;
  }

  @BeforeEach
  void setUp() throws IOException {
    home = tmp.resolve("home");
    project = tmp.resolve("project");
    Files.createDirectories(project.resolve("src"));
    Files.writeString(project.resolve("README.md"), "hello\n");
    Files.writeString(project.resolve("src/main.py"), "print(1)\n");
    ok("init");
    ok("track", "app", project.toString());
    ok("capture", "app");
    Files.writeString(project.resolve("README.md"), "changed after version 1\n");
  }

  @Test
  void forkToADirectoryMakesATrackedWorkloadWhoseVersionOneIsTheSnapshot() throws IOException {
    Path to = tmp.resolve("copy");
    JsonNode child = JSON.readTree(ok("--json", "fork", "app@1", "app2", "--to", to.toString(), "-l", "from=app").out());
    assertEquals("app2", child.path("workload").asText());
    assertEquals(1, child.path("version").asInt());
    assertEquals("fork", child.path("trigger").asText());
    assertEquals("hello\n", Files.readString(to.resolve("project/README.md")), "the snapshot's files, not the live ones");
    assertEquals("print(1)\n", Files.readString(to.resolve("project/src/main.py")));
    Files.writeString(to.resolve("project/new.txt"), "only in the fork\n");
    JsonNode second = JSON.readTree(ok("--json", "capture", "app2").out());
    assertEquals(2, second.path("version").asInt(), "the child is captured like any tracked workload");
    assertEquals("changed after version 1\n", Files.readString(project.resolve("README.md")), "the source is untouched");
  }

  @Test
  void forkWithoutADirectoryStoresTheVersionOnlyAndRestoresElsewhere() throws IOException {
    Run r = ok("fork", "app@1", "template");
    assertTrue(r.out().contains("Forked app@1 into template@1"), r.out());
    ok("restore", "template@1", "--to", tmp.resolve("out").toString());
    assertEquals("hello\n", Files.readString(tmp.resolve("out/project/README.md")));
  }

  @Test
  void showSaysWhichSnapshotAForkCameFrom() throws IOException {
    String source = JSON.readTree(ok("--json", "show", "app@1").out()).path("id").asText();
    ok("fork", "app@1", "template");
    JsonNode child = JSON.readTree(ok("--json", "show", "template@1").out());
    assertEquals(source, child.path("origin").path("snapshot").asText());
    assertEquals("app", child.path("origin").path("workload").asText());
    assertTrue(ok("show", "template@1").out().contains("Forked     from " + source + " (app)"),
        ok("show", "template@1").out());
    assertTrue(JSON.readTree(ok("--json", "show", "app@1").out()).path("origin").isMissingNode(),
        "a captured snapshot has no origin");
  }

  @Test
  void forkingIntoAnExistingWorkloadOrTheSourceItselfIsRefusedWithItsExitStatus() {
    ok("fork", "app@1", "app2");
    Run again = run("fork", "app@1", "app2");
    assertEquals(6, again.status(), again.err());
    assertTrue(again.err().contains("already exists"), again.err());
    Run self = run("fork", "app@1", "app");
    assertEquals(4, self.status(), self.err());
    Run occupied = run("fork", "app@1", "app3", "--to", project.toString());
    assertEquals(6, occupied.status(), occupied.err());
  }
}
