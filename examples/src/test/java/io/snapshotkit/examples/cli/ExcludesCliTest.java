package io.snapshotkit.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.snapshotkit.ErrorCode;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code --exclude} and {@code --exclude-file} on {@code track} and {@code capture}, in-process on real SQLite and directories. */
class ExcludesCliTest {
  @TempDir Path tmp;
  private Path home;
  private Path project;

  record Run(int status, String out, String err) {
    JsonNode json() throws IOException {
      return new ObjectMapper().readTree(out);
    }
  }

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
    Files.createDirectories(project.resolve("node_modules/lib"));
    Files.createDirectories(project.resolve("build"));
    Files.createDirectories(project.resolve("tmp"));
    Files.writeString(project.resolve("README.md"), "hello\n");
    Files.writeString(project.resolve("node_modules/lib/index.js"), "lib\n");
    Files.writeString(project.resolve("build/app.jar"), "jar\n");
    Files.writeString(project.resolve("tmp/scratch"), "scratch\n");
    Files.writeString(project.resolve("debug.log"), "noise\n");
    ok("init");
  }

  @Test
  void trackAndCaptureLeaveOutWhatTheirPatternsExclude() throws IOException {
    Path ignore = Files.writeString(tmp.resolve("ignore"), "# build output\nbuild/\n\n*.log\n");
    JsonNode tracked = ok("--json", "track", "app", project.toString(), "--exclude-file", ignore.toString(),
        "--exclude", "node_modules/").json();
    List<String> patterns = new ArrayList<>();
    tracked.path("excludes").forEach(n -> patterns.add(n.asText()));
    assertEquals(List.of("build/", "*.log", "node_modules/"), patterns, "file first, then --exclude");
    assertTrue(ok("track", "app").out().contains("Excluding: build/  *.log  node_modules/"));

    String id = ok("--json", "capture", "app", "--exclude", "tmp/").json().path("id").asText();
    Path out = tmp.resolve("out");
    ok("restore", id, "--to", out.toString());
    try (var files = Files.list(out.resolve("project"))) {
      assertEquals(List.of("README.md"), files.map(p -> p.getFileName().toString()).toList());
    }

    Files.writeString(project.resolve("README.md"), "changed\n");
    Files.writeString(project.resolve("tmp/scratch"), "changed\n");
    ok("restore", id, "--replace", "--no-safety-snapshot");
    assertEquals("hello\n", Files.readString(project.resolve("README.md")));
    assertEquals("changed\n", Files.readString(project.resolve("tmp/scratch")), "excluded by the capture: left alone");
    assertTrue(Files.exists(project.resolve("node_modules/lib/index.js")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"*", "**", "/", "", "a[b", "[[:nope:]]"})
  void aBadPatternIsAnInvalidArgumentSayingWhy(String pattern) {
    Run r = run("track", "app", project.toString(), "--exclude", pattern);
    assertEquals(ExitCodes.of(ErrorCode.INVALID_ARGUMENT), r.status(), r.err());
    assertTrue(r.err().contains("exclude pattern"), r.err());
    assertFalse(r.err().contains("INTERNAL"), r.err());
    assertEquals(ExitCodes.of(ErrorCode.NOT_FOUND), run("capture", "app").status(), "nothing was tracked");
  }

  @Test
  void anExcludeFileWithANulOrMissingIsAnInvalidArgument() throws IOException {
    Path bad = Files.writeString(tmp.resolve("bad"), "ok/\nsome\0thing\n");
    Run r = run("track", "app", project.toString(), "--exclude-file", bad.toString());
    assertEquals(ExitCodes.of(ErrorCode.INVALID_ARGUMENT), r.status(), r.err());
    assertTrue(r.err().contains("NUL"), r.err());
    Run missing = run("track", "app", project.toString(), "--exclude-file", tmp.resolve("nope").toString());
    assertEquals(ExitCodes.of(ErrorCode.INVALID_ARGUMENT), missing.status(), missing.err());
    assertTrue(missing.err().contains("does not exist"), missing.err());
  }
}
