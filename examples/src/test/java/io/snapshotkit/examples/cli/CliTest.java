package io.snapshotkit.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.fs.RestoreStep;
import io.snapshotkit.testkit.ReadOnlyDirectory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI in-process through {@link Main#run}: real SQLite and a real repository in a temporary
 * home, real directories; only the process boundary is skipped (CliIT covers it).
 */
class CliTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;
  private Path home;
  private Path project;

  /** What one run printed. */
  record Run(int status, String out, String err) {
    List<String> errLines() {
      return err.lines().toList();
    }

    JsonNode json() {
      try {
        return JSON.readTree(out);
      } catch (IOException e) {
        throw new AssertionError("stdout is not JSON: " + out, e);
      }
    }
  }

  private Run run(boolean terminal, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.run(args, Map.of(Home.ENV, home.toString()),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
        terminal, Clock.systemUTC());
    return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private Run run(String... args) {
    return run(false, args);
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
  }

  private String captureJson(String... extra) {
    String[] args = new String[extra.length + 3];
    args[0] = "--json";
    args[1] = "capture";
    args[2] = "app";
    System.arraycopy(extra, 0, args, 3, extra.length);
    return ok(args).json().path("id").asText();
  }

  private void initAndTrack() {
    ok("init");
    ok("track", "app", project.toString());
  }

  @Test
  void theDemoExitsZeroAndPrintsADiffAndAVersionList() {
    Run r = ok("demo");
    assertTrue(r.out().contains("- workspace:README.md"), r.out());
    assertTrue(r.out().contains("~ workspace:config/settings.json"), r.out());
    assertTrue(r.out().contains("+ workspace:data/cache.bin"), r.out());
    assertTrue(r.out().contains("VERSION  ID"), r.out());
    assertTrue(r.out().contains("byte-for-byte version 1 again"), r.out());
    assertFalse(Files.exists(home), "the demo uses its own temporary home");
  }

  @Test
  void jsonOutputIsOneParsableDocumentPerCommand() {
    initAndTrack();
    String id = captureJson("--name", "first", "--label", "team=core");
    Run list = ok("--json", "list");
    JsonNode items = list.json().path("items");
    assertEquals(1, items.size());
    assertEquals(id, items.get(0).path("id").asText());
    assertEquals("first", items.get(0).path("name").asText());
    assertEquals("core", items.get(0).path("labels").path("team").asText());
    captureJson("--trigger", "schedule");
    assertEquals(1, ok("--json", "list", "--trigger", "schedule").json().path("items").size());
    assertEquals(2, ok("--json", "list", "-t", "manual,schedule").json().path("items").size());
    JsonNode versions = ok("versions", "app", "--json").json();
    assertEquals(1, versions.get(0).path("version").asInt());
    JsonNode show = ok("show", "app@1", "--json").json();
    assertEquals("project", show.path("volumes").get(0).path("volume").asText());
    assertEquals(2, show.path("volumes").get(0).path("files").asInt());
  }

  @Test
  void diffRestoreAndRollbackWorkOnARealDirectory() throws IOException {
    initAndTrack();
    captureJson();
    Files.writeString(project.resolve("README.md"), "changed\n");
    Files.delete(project.resolve("src/main.py"));
    Files.writeString(project.resolve("new.txt"), "new\n");

    JsonNode diff = ok("--json", "diff", "app@1").json();
    assertEquals(3, diff.path("changes").asInt());
    Set<String> keys = new HashSet<>();
    diff.path("families").path("files").path("items").forEach(i -> keys.add(i.path("kind").asText() + " " + i.path("key").asText()));
    assertEquals(Set.of("changed project:README.md", "removed project:src/main.py", "added project:new.txt"), keys);
    Run human = ok("diff", "app@1", "--current");
    assertTrue(human.out().contains("  ~ project:README.md"), human.out());
    assertTrue(human.out().contains("3 changes: 1 added, 1 removed, 1 changed"), human.out());

    // Additive: brings back the deleted file, overwrites nothing.
    ok("restore", "app@1");
    assertEquals("print(1)\n", Files.readString(project.resolve("src/main.py")));
    assertEquals("changed\n", Files.readString(project.resolve("README.md")));

    // Into another directory, only one path.
    Path other = tmp.resolve("other");
    ok("restore", "app@1", "--to", other.toString(), "--path", "project:src");
    assertTrue(Files.exists(other.resolve("project/src/main.py")));
    assertFalse(Files.exists(other.resolve("project/README.md")));

    // Rollback: exactly version 1, with a safety snapshot as version 2.
    ok("rollback", "app", "1");
    assertEquals("hello\n", Files.readString(project.resolve("README.md")));
    assertFalse(Files.exists(project.resolve("new.txt")));
    assertTrue(ok("diff", "app@1").out().contains("No differences."));
    assertEquals("rollback", ok("--json", "show", "app@2").json().path("trigger").asText());
  }

  @Test
  void anUninitialisedHomeIsNotFoundWithOneLineThatSaysToRunInit() {
    Run r = run("list");
    assertEquals(ExitCodes.of(ErrorCode.NOT_FOUND), r.status());
    assertEquals(1, r.errLines().size(), r.err());
    assertTrue(r.err().contains("snapshotkit init"), r.err());
    assertEquals("", r.out());
  }

  @Test
  void aBadSnapshotNameExitsWithInvalidArgumentAndOneLine() {
    initAndTrack();
    Run r = run("show", "not-a-snapshot");
    assertEquals(4, r.status());
    assertEquals(List.of("snapshotkit: 'not-a-snapshot' does not name a snapshot: it is neither an id (26 characters) "
        + "nor WORKLOAD@VERSION; use an id from `snapshotkit list` or WORKLOAD@VERSION such as app@3 (INVALID_ARGUMENT)"),
        r.errLines());
    assertEquals("", r.out());
  }

  @Test
  void withJsonAnErrorIsAlsoAJsonDocumentOnStdout() {
    initAndTrack();
    Run r = run("--json", "show", "app@1");
    assertEquals(ExitCodes.of(ErrorCode.NOT_FOUND), r.status());
    assertEquals("NOT_FOUND", r.json().path("error").asText());
    assertTrue(r.json().path("message").asText().contains("no versions"), r.out());
  }

  @Test
  void aProtectedSnapshotCannotBeDeletedAndSaysSo() {
    initAndTrack();
    captureJson("--protect");
    Run r = run("delete", "app@1");
    assertEquals(ExitCodes.of(ErrorCode.FORBIDDEN), r.status());
    assertTrue(r.err().contains("protected"), r.err());
    ok("protect", "app@1", "--off");
    ok("delete", "app@1");
    assertEquals(0, ok("--json", "list").json().path("items").size());
  }

  @Test
  void aBadCommandLineIsUsageStatusTwo() {
    Run r = run("capture");
    assertEquals(ExitCodes.USAGE, r.status());
    assertEquals(1, r.errLines().size(), r.err());
    assertTrue(r.err().contains("WORKLOAD"), r.err());
    assertEquals(ExitCodes.USAGE, run("no-such-command").status());
  }

  @Test
  void verbosePrintsTheStackTraceAndQuietDoesNot() {
    assertEquals(1, run("list").errLines().size());
    Run r = run("list", "--verbose");
    assertTrue(r.errLines().size() > 1, r.err());
    assertTrue(r.err().contains("at io.snapshotkit."), r.err());
  }

  @Test
  void everyErrorCodeHasItsOwnExitStatus() {
    Set<Integer> seen = new HashSet<>();
    for (ErrorCode c : ErrorCode.values()) {
      int status = ExitCodes.of(c);
      assertTrue(seen.add(status), c + " shares " + status);
      assertNotEquals(ExitCodes.OK, status);
      assertNotEquals(ExitCodes.UNEXPECTED, status);
      assertNotEquals(ExitCodes.USAGE, status);
    }
  }

  @Test
  void exportThenImportMakesAnEqualNewWorkloadAndProgressIsDrawnOnlyOnATerminal() throws IOException {
    initAndTrack();
    captureJson();
    Path archive = tmp.resolve("app.tar.zst");
    Run quiet = run(false, "export", "app@1", archive.toString());
    assertEquals(0, quiet.status(), quiet.err());
    assertFalse(quiet.out().contains("\r"), "no progress when stdout is not a terminal");
    Path archive2 = tmp.resolve("app2.tar.zst");
    Run drawn = run(true, "export", "app@1", archive2.toString());
    assertEquals(0, drawn.status(), drawn.err());
    assertTrue(drawn.out().contains("\rexport  "), "a progress bar on a terminal");
    assertEquals(4, run("export", "app@1", archive.toString()).status(), "no silent overwrite");

    JsonNode imported = ok("--json", "import", archive.toString(), "copy").json();
    assertEquals("copy", imported.path("workload").asText());
    assertEquals("import", imported.path("trigger").asText());
    Path unpacked = Path.of(imported.path("volumes").path("project").asText());
    assertTrue(unpacked.startsWith(Path.of(imported.path("unpackedInto").asText())));
    assertEquals("print(1)\n", Files.readString(unpacked.resolve("src/main.py")));
    assertEquals("hello\n", Files.readString(unpacked.resolve("README.md")));
    assertEquals(ExitCodes.of(ErrorCode.CONFLICT), run("import", archive.toString(), "copy").status());
  }

  @Test
  void anImportKilledWhileUnpackingIsRemovedByTheNextCommand() throws IOException {
    initAndTrack();
    captureJson();
    Path archive = tmp.resolve("app.tar.zst");
    ok("export", "app@1", archive.toString());
    JsonNode imported = ok("--json", "import", archive.toString(), "copy").json();
    Path done = Path.of(imported.path("unpackedInto").asText());
    assertEquals(home.resolve("imports"), done.getParent());
    assertFalse(done.getFileName().toString().startsWith("."), "a finished import has its final name: " + done);
    // what a SIGKILL in the middle of unpacking leaves: a partly written directory, with a
    // read-only directory and a symlink out of it, which the removal must not follow
    Path killed = home.resolve("imports").resolve(ArchiveCommands.UNFINISHED + "copy2-1700000000000");
    Files.createDirectories(killed.resolve("volumes/project/src"));
    Files.writeString(killed.resolve("volumes/project/src/half.py"), "print(");
    Path outside = Files.writeString(tmp.resolve("outside.txt"), "keep");
    Files.createSymbolicLink(killed.resolve("volumes/project/link"), outside);
    Files.setPosixFilePermissions(killed.resolve("volumes/project/src"),
        java.nio.file.attribute.PosixFilePermissions.fromString("r-x------"));

    Run list = run("list");

    assertEquals(0, list.status(), list.err());
    assertFalse(Files.exists(killed), "the half-unpacked import is gone");
    assertTrue(list.err().contains("warning: removed " + killed), list.err());
    assertEquals("keep", Files.readString(outside), "the removal did not follow the symlink");
    assertTrue(Files.exists(done.resolve("volumes/project/src/main.py")), "the finished import is kept");
    assertEquals("", run("list").err(), "nothing left to remove the next time");
  }

  @Test
  void captureRestoreAndCheckDrawProgressOnlyOnATerminal() throws IOException {
    initAndTrack();
    Run piped = run(false, "capture", "app");
    assertEquals(0, piped.status(), piped.err());
    assertFalse(piped.out().contains("\r"), piped.out());
    Run capture = run(true, "capture", "app");
    assertEquals(0, capture.status(), capture.err());
    assertTrue(capture.out().contains("\rcapture  "), capture.out());
    Run restore = run(true, "restore", "app@1", "--replace");
    assertEquals(0, restore.status(), restore.err());
    assertTrue(restore.out().contains("\rrestore  stage  [") || restore.out().contains("\rrestore  swap  ["),
        "a known total draws a bar: " + restore.out());
    Run check = run(true, "check");
    assertEquals(0, check.status(), check.err());
    assertTrue(check.out().contains("\rcheck  "), check.out());
    Run json = run(true, "--json", "capture", "app");
    assertEquals(0, json.status(), json.err());
    assertFalse(json.out().contains("\r"), "never in JSON mode");
    json.json();
  }

  @Test
  void jsonModeWritesEachProgressEventAsOneJsonObjectPerLineOnStderr() throws IOException {
    initAndTrack();
    Run capture = run(false, "--json", "capture", "app");
    assertEquals(0, capture.status(), capture.err());
    capture.json();
    List<JsonNode> events = new java.util.ArrayList<>();
    for (String line : capture.errLines()) {
      events.add(JSON.readTree(line));
    }
    assertTrue(events.size() >= 5, capture.err());
    assertTrue(events.stream().allMatch(e -> e.path("operation").asText().equals("capture")), capture.err());
    JsonNode last = events.get(events.size() - 1);
    assertTrue(last.path("finished").asBoolean(), capture.err());
    assertEquals(1.0, last.path("fraction").asDouble());
    assertEquals(3, last.path("filesTotal").asLong(), "README.md, src/ and src/main.py: " + capture.err());
    assertTrue(events.stream().anyMatch(e -> e.path("phase").asText().equals("scan")), capture.err());

    Run restore = run(false, "--json", "restore", "app@1", "--replace");
    assertEquals(0, restore.status(), restore.err());
    JsonNode restoreLast = JSON.readTree(restore.errLines().get(restore.errLines().size() - 1));
    assertEquals("restore", restoreLast.path("operation").asText());
    assertEquals(restoreLast.path("bytesTotal").asLong(), restoreLast.path("bytesDone").asLong(), restore.err());
  }

  @Test
  void retentionKeepsTheNewestAndADryRunDeletesNothing() {
    initAndTrack();
    captureJson();
    captureJson();
    captureJson();
    JsonNode dry = ok("--json", "retention", "app", "--keep-last", "1", "--dry-run").json();
    assertEquals(2, dry.get(0).path("deleted").size());
    assertEquals(3, ok("--json", "versions", "app").json().size());
    ok("retention", "--keep-last", "1");
    assertEquals(1, ok("--json", "versions", "app").json().size());
    assertEquals(4, run("retention", "app").status(), "a policy that keeps nothing is refused");
    assertTrue(ok("--json", "gc").json().path("bytesReclaimed").asLong() >= 0);
    assertTrue(ok("--json", "check").json().path("ok").asBoolean());
  }

  @Test
  void eventsAreShownOnceThroughTheCliCursor() {
    initAndTrack();
    captureJson();
    JsonNode first = ok("--json", "events").json();
    Set<String> types = new HashSet<>();
    first.forEach(e -> types.add(e.path("type").asText()));
    assertEquals(Set.of("snapshot.capture.started", "snapshot.created"), types);
    assertEquals(0, ok("--json", "events").json().size());
    captureJson();
    assertEquals(2, ok("--json", "events").json().size());
  }

  /** Opens the home as another snapshotkit process would, holding its repository lock. */
  private Services holdHome() {
    return Services.open(Home.resolve(java.util.Optional.of(home.toString()), Map.of(), "/u"),
        Clock.systemUTC(), java.util.Optional.empty());
  }

  @Test
  void anotherCommandHoldingTheHomeIsAConflictAfterTheWait() {
    initAndTrack();
    Services held = holdHome();
    try {
      Run r = run("list", "--lock-wait", "0");
      assertEquals(ExitCodes.of(ErrorCode.CONFLICT), r.status());
      assertEquals(1, r.errLines().size(), r.err());
      assertTrue(r.err().contains("another snapshotkit command is using " + home), r.err());
    } finally {
      held.close();
    }
    ok("list", "--lock-wait", "0");
  }

  @Test
  void untrackForgetsTheVolumesButKeepsTheSnapshots() {
    initAndTrack();
    captureJson();
    ok("untrack", "app");
    assertEquals(ExitCodes.of(ErrorCode.NOT_FOUND), run("track", "app").status());
    assertEquals(ExitCodes.of(ErrorCode.NOT_FOUND), run("capture", "app").status());
    assertEquals(ExitCodes.of(ErrorCode.NOT_FOUND), run("untrack", "app").status());
    assertEquals(1, ok("--json", "versions", "app").json().size());
    ok("restore", "app@1", "--to", tmp.resolve("out").toString());
    assertTrue(Files.exists(tmp.resolve("out/project/src/main.py")));
  }

  @Test
  void aCommandWaitsForAnotherToReleaseTheHome() throws Exception {
    initAndTrack();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int[] status = {-1};
    Thread waiter;
    Services held = holdHome();
    try {
      waiter = new Thread(() -> status[0] = Main.run(new String[] {"list", "--lock-wait", "600"},
          Map.of(Home.ENV, home.toString()), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8), false, Clock.systemUTC()));
      waiter.start();
      while (!err.toString(StandardCharsets.UTF_8).contains("waiting up to 600 s")) {
        assertTrue(waiter.isAlive(), "the command gave up instead of waiting: " + err);
        Thread.onSpinWait();
      }
    } finally {
      held.close();
    }
    waiter.join();
    assertEquals(0, status[0], err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void capturingAnUntrackedWorkloadSaysToTrackItAndLeavesNoFailedRow() {
    ok("init");
    Run r = run("capture", "ghost");
    assertEquals(ExitCodes.of(ErrorCode.NOT_FOUND), r.status());
    assertTrue(r.err().contains("snapshotkit track ghost DIR"), r.err());
    assertEquals(0, ok("--json", "list").json().path("items").size());
  }

  @Test
  void aCaptureLeftByAStoppedProcessIsMarkedFailedWhenTheHomeIsNextOpened() {
    initAndTrack();
    // A capture whose process stopped: the row is stored CAPTURING and its work never runs.
    Home h = Home.resolve(java.util.Optional.of(home.toString()), Map.of(), "/u");
    try (io.snapshotkit.fs.FsHostAgent agent = io.snapshotkit.fs.FsHostAgent.rootedAt(h.repository());
        io.snapshotkit.core.SnapshotEngine engine = io.snapshotkit.core.SnapshotEngine.builder()
            .manifestStore(io.snapshotkit.jdbc.JdbcManifestStore.sqlite(h.database()))
            .hosts(io.snapshotkit.spi.HostDirectory.single(agent))
            .lifecycle(io.snapshotkit.spi.Lifecycle.none())
            .clock(Clock.systemUTC())
            .executor(task -> { })
            .build()) {
      engine.startCapture(io.snapshotkit.core.CaptureSpec.of(Base.workload("app")));
    }
    // The next command, a little later (its clock is a minute ahead), finds it.
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.run(new String[] {"--json", "list"}, Map.of(Home.ENV, home.toString()),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), false,
        Clock.offset(Clock.systemUTC(), java.time.Duration.ofMinutes(1)));
    assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("1 capture(s) interrupted"), err.toString(StandardCharsets.UTF_8));
    JsonNode items = new Run(0, out.toString(StandardCharsets.UTF_8), "").json().path("items");
    assertEquals("FAILED", items.get(0).path("status").asText());
    assertEquals(0, run("list").errLines().size(), "reaped once");
  }

  @Test
  void serveAnswersRestRequestsForTheHomeUntilStopped() throws Exception {
    initAndTrack();
    captureJson();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int[] status = {-1};
    Thread server = new Thread(() -> status[0] = Main.run(new String[] {"--json", "serve", "--port", "0", "--token", "t0ken"},
        Map.of(Home.ENV, home.toString()), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), false, Clock.systemUTC()));
    server.start();
    while (!out.toString(StandardCharsets.UTF_8).contains("}")) {
      assertTrue(server.isAlive(), "serve stopped early: " + out);
      Thread.onSpinWait();
    }
    String uri = JSON.readTree(out.toString(StandardCharsets.UTF_8)).path("uri").asText();
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    java.net.http.HttpResponse<String> versions = http.send(java.net.http.HttpRequest.newBuilder(
        java.net.URI.create(uri + "/v1/workloads/app/versions")).header("Authorization", "Bearer t0ken").build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, versions.statusCode(), versions.body());
    assertEquals(1, JSON.readTree(versions.body()).get(0).path("version").asInt());
    java.net.http.HttpResponse<String> denied = http.send(java.net.http.HttpRequest.newBuilder(
        java.net.URI.create(uri + "/v1/workloads/app/versions")).header("Authorization", "Bearer wrong").build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(401, denied.statusCode());
    server.interrupt();
    server.join();
    assertEquals(0, status[0]);
    ok("list", "--lock-wait", "0");
  }

  @Test
  void restoreThatCouldNotWriteEveryFileExitsCorruptWithASummaryLine() throws IOException {
    initAndTrack();
    byte[] big = new byte[9 << 20]; // over the 1 MiB chunking threshold: about 70 chunks in the pack
    new java.util.Random(7).nextBytes(big);
    Files.write(project.resolve("big.bin"), big);
    captureJson();
    // Damage the middle of the biggest pack: inside one of the large file's chunks, not the small
    // files' nor the snapshot's directory trees (packed apart from file content).
    Path biggest = biggestPack();
    damageStoredContent(p -> p.equals(biggest));
    Path target = tmp.resolve("restored");

    Run r = run("restore", "app@1", "--to", target.toString());

    assertEquals(ExitCodes.of(ErrorCode.CORRUPT), r.status(), r.err() + r.out());
    assertTrue(r.out().contains("Restored part of app@1"), r.out());
    assertTrue(r.out().contains(", 1 failed"), r.out());
    assertTrue(r.out().contains("  failed: project:"), r.out());
    assertEquals(1, r.errLines().size(), r.err());
    assertTrue(r.err().matches("(?s)snapshotkit: restored 3 of 4 entries; 1 failed: project:\\S+; run `snapshotkit check`.*"
        + "\\(CORRUPT\\)\\s*"), r.err());
    assertFalse(r.out().contains("nothing was restored") || r.err().contains("nothing was restored"), r.out() + r.err());
    assertTrue(r.out().contains("  failed: project:big.bin"), r.out());
    assertTrue(Files.exists(target.resolve("project/README.md")), "the undamaged files are restored");
    assertFalse(Files.exists(target.resolve("project/big.bin")), "no torn file is left");

    Run json = run("--json", "restore", "app@1", "--to", tmp.resolve("restored-json").toString());
    assertEquals(ExitCodes.of(ErrorCode.CORRUPT), json.status(), json.err());
    assertFalse(json.json().path("complete").asBoolean(), json.out());
    assertEquals("CORRUPT", json.json().path("failureCode").asText(), json.out());
    assertEquals(1, json.json().path("failures").size(), json.out());
    assertEquals("CORRUPT", json.json().path("failures").get(0).path("code").asText(), json.out());
  }

  @Test
  void diffAgainstATruncatedManifestExitsCorruptNotAnEmptyDiff() throws IOException {
    initAndTrack();
    String first = captureJson();
    Files.writeString(project.resolve("README.md"), "changed\n");
    captureJson();
    Path manifest;
    try (java.util.stream.Stream<Path> files = Files.walk(home.resolve("repository"))) {
      manifest = files.filter(p -> p.getFileName().toString().equals(first + ".root")).findFirst().orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(manifest);
    Files.write(manifest, Arrays.copyOf(bytes, bytes.length / 2));

    Run r = run("diff", "app@1", "app@2");

    assertEquals(ExitCodes.of(ErrorCode.CORRUPT), r.status(), r.err() + r.out());
    assertFalse(r.out().contains("0 changes"), r.out());
    assertTrue(r.err().contains("(CORRUPT)"), r.err());
  }

  /** The largest pack file of the home's repository. */
  private Path biggestPack() throws IOException {
    try (java.util.stream.Stream<Path> files = Files.walk(home.resolve("repository"))) {
      return files.filter(Files::isRegularFile).filter(p -> p.toString().endsWith(".pack"))
          .max(java.util.Comparator.comparingLong(p -> p.toFile().length())).orElseThrow();
    }
  }

  private void damageStoredContent(java.util.function.Predicate<Path> which) throws IOException {
    try (java.util.stream.Stream<Path> files = Files.walk(home.resolve("repository"))) {
      for (Path f : files.filter(Files::isRegularFile)
          .filter(p -> p.toString().contains("/packs/") || p.toString().contains("/blobs/"))
          .filter(p -> !p.toString().endsWith(".idx")).filter(which).toList()) {
        byte[] b = Files.readAllBytes(f);
        if (b.length > 0) {
          b[b.length / 2] ^= 0x5a;
          Files.write(f, b);
        }
      }
    }
  }

  @Test
  void checkFindsDamageExitsCorruptAndStillPrintsOneJsonDocument() throws IOException {
    initAndTrack();
    captureJson();
    // Damage every stored content: flip a byte in the middle of each pack and blob file.
    try (java.util.stream.Stream<Path> files = Files.walk(home.resolve("repository"))) {
      for (Path f : files.filter(Files::isRegularFile)
          .filter(p -> p.toString().contains("/packs/") || p.toString().contains("/blobs/"))
          .filter(p -> !p.toString().endsWith(".idx")).toList()) {
        byte[] b = Files.readAllBytes(f);
        if (b.length > 0) {
          b[b.length / 2] ^= 0x5a;
          Files.write(f, b);
        }
      }
    }
    Run r = run("--json", "check");
    assertEquals(ExitCodes.of(ErrorCode.CORRUPT), r.status(), r.err() + r.out());
    assertFalse(r.json().path("ok").asBoolean(), r.out());
    assertTrue(r.json().path("damagedSnapshots").size() > 0, r.out());
    // besides the check's progress events (one JSON object a line), one error line
    assertEquals(1, r.errLines().stream().filter(l -> !l.startsWith("{\"operation\":\"check\"")).count(), r.err());
  }

  @Test
  void aDamagedDatabaseIsReportedCorruptNamingTheFileAndWhatToDo() throws IOException {
    initAndTrack();
    captureJson();
    Path db = home.resolve("snapshotkit.db");
    byte[] garbage = new byte[64 * 1024];
    new java.util.Random(7).nextBytes(garbage);
    Files.write(db, garbage);
    for (String[] command : List.of(new String[] {"list"}, new String[] {"capture", "app"})) {
      Run r = run(command);
      assertEquals(ExitCodes.of(ErrorCode.CORRUPT), r.status(), Arrays.toString(command) + ": " + r.err());
      assertTrue(r.err().contains(db.toString()), r.err());
      assertTrue(r.err().contains("backup") && r.err().contains("move it away"), r.err());
      assertFalse(r.err().contains("could not be reached"), r.err());
    }
  }

  @Test
  void aReadOnlyHomeStillListsAndShowsAndRefusesWritesSayingItIsReadOnly() throws IOException {
    try (ReadOnlyDirectory ro = ReadOnlyDirectory.at(tmp.resolve("ro"))) {
      home = ro.dir().resolve("home");
      initAndTrack();
      String id = captureJson("--name", "kept");
      ro.makeReadOnly();
      JsonNode items = ok("--json", "list").json().path("items");
      assertEquals(1, items.size());
      assertEquals(id, items.get(0).path("id").asText());
      assertEquals(1, ok("--json", "versions", "app").json().size());
      assertEquals("kept", ok("--json", "show", "app@1").json().path("name").asText());
      for (String[] write : List.of(new String[] {"capture", "app"}, new String[] {"protect", "app@1"},
          new String[] {"diff", "app@1"})) {
        Run r = run(write);
        assertEquals(ExitCodes.of(ErrorCode.FORBIDDEN), r.status(), Arrays.toString(write) + ": " + r.err() + r.out());
        assertTrue(r.err().contains("read-only") && r.err().contains(home.toString()), r.err());
        assertFalse(r.err().contains("could not be reached"), r.err());
      }
    }
  }

  @Test
  void trackAndImportRefuseDirectoriesThatOverlapAnotherWorkloadsVolumes() throws IOException {
    ok("init");
    Path inner = Files.createDirectories(tmp.resolve("outer/inner"));
    ok("track", "app", project.toString(), inner.toString());
    for (Map.Entry<Path, Path> attempt : Map.of(project, project, project.resolve("src"), project,
        tmp.resolve("outer"), inner).entrySet()) {
      Run r = run("track", "other", attempt.getKey().toString());
      assertEquals(ExitCodes.of(ErrorCode.CONFLICT), r.status(), r.err() + r.out());
      assertTrue(r.err().contains("local/other") && r.err().contains("local/app"), r.err());
      assertTrue(r.err().contains(attempt.getKey().toString()) && r.err().contains(attempt.getValue().toString()), r.err());
      assertEquals(ExitCodes.of(ErrorCode.NOT_FOUND), run("track", "other").status(), "other stays untracked");
    }
    captureJson();
    Path archive = tmp.resolve("app.tar.zst");
    ok("export", "app@1", archive.toString());
    Path into = project.resolve("imported");
    Run named = run("import", archive.toString(), "copy", "--into", into.toString());
    assertEquals(ExitCodes.of(ErrorCode.CONFLICT), named.status(), named.err() + named.out());
    assertTrue(named.err().contains("local/app") && named.err().contains(into.toString()), named.err());
    Run unnamed = run("import", archive.toString(), "--into", into.toString());
    assertEquals(ExitCodes.of(ErrorCode.CONFLICT), unnamed.status(), unnamed.err() + unnamed.out());
    assertFalse(Files.exists(into), "nothing was left in app's volume");
    Path damaged = Files.write(tmp.resolve("damaged.tar.zst"), new byte[] {1, 2, 3});
    Run early = run("import", damaged.toString(), "copy", "--into", into.toString());
    assertEquals(ExitCodes.of(ErrorCode.CONFLICT), early.status(), "refused before the archive is unpacked: " + early.err());
  }

  @Test
  void trackNamesVolumesAfterTheirDirectoriesOrAsGiven() throws IOException {
    Path a = Files.createDirectories(tmp.resolve("a dir"));
    Path b = Files.createDirectories(tmp.resolve("b"));
    assertEquals(Map.of("a_dir", a, "data", b), AdminCommands.Track.volumes(List.of(a.toString(), "data=" + b)));
    SnapshotException dup = assertThrows(SnapshotException.class,
        () -> AdminCommands.Track.volumes(List.of(b.toString(), b.toString())));
    assertTrue(dup.getMessage().contains("NAME=DIR"), dup.getMessage());
    SnapshotException missing = assertThrows(SnapshotException.class,
        () -> AdminCommands.Track.volumes(List.of(tmp.resolve("nope").toString())));
    assertEquals(ErrorCode.INVALID_ARGUMENT, missing.code());
  }

  @Test
  void aRegularFileAsRestoreTargetOrADirectoryAsExportFileIsInvalidArgumentNotInternal() throws IOException {
    initAndTrack();
    captureJson();
    Path file = Files.writeString(tmp.resolve("a-file"), "keep me\n");
    for (String[] args : List.of(
        new String[] {"restore", "app@1", "--to", file.toString()},
        new String[] {"restore", "app@1", "--to", file.toString(), "--replace"},
        new String[] {"restore", "app@1", "--to", file.resolve("below").toString()})) {
      Run r = run(args);
      assertEquals(ExitCodes.of(ErrorCode.INVALID_ARGUMENT), r.status(), Arrays.toString(args) + ": " + r.err());
      assertTrue(r.err().contains(file.toString()) && r.err().contains("not a directory"), r.err());
    }
    assertEquals("keep me\n", Files.readString(file));
    Path dir = Files.createDirectories(tmp.resolve("a-dir"));
    Run export = run("export", "app@1", dir.toString(), "--force");
    assertEquals(ExitCodes.of(ErrorCode.INVALID_ARGUMENT), export.status(), export.err());
    assertTrue(export.err().contains(dir + " is a directory"), export.err());
    assertTrue(Files.isDirectory(dir));
  }

  @Test
  void aVersionOutOfRangeIsNotFoundAndANonPositiveVersionIsInvalid() {
    initAndTrack();
    captureJson();
    for (String[] args : List.of(new String[] {"show", "app@7"}, new String[] {"restore", "app@7"},
        new String[] {"rollback", "app", "7"}, new String[] {"export", "app@7", tmp.resolve("x.tar.zst").toString()})) {
      Run r = run(args);
      assertEquals(ExitCodes.of(ErrorCode.NOT_FOUND), r.status(), Arrays.toString(args) + ": " + r.err());
      assertTrue(r.err().contains("versions 1 to 1"), r.err());
    }
    assertEquals(ExitCodes.of(ErrorCode.INVALID_ARGUMENT), run("rollback", "app", "0").status());
  }

  @Test
  void listsMoreHintRepeatsTheHomeTheFiltersAndTheLimit() {
    initAndTrack();
    String oldest = captureJson();
    captureJson();
    captureJson();
    Run first = ok("--home", home.toString(), "list", "-w", "app", "-t", "manual", "-s", "ready", "--limit", "2");
    List<String> more = first.out().lines().filter(l -> l.startsWith("More: ")).toList();
    assertEquals(1, more.size(), first.out());
    String hint = more.get(0).substring("More: ".length());
    assertTrue(hint.startsWith("snapshotkit --home " + home + " list --workload app --status READY --trigger manual "
        + "--limit 2 --after "), hint);
    List<String> args = new java.util.ArrayList<>(List.of(hint.substring("snapshotkit ".length()).split(" ")));
    args.add(0, "--json");
    JsonNode next = ok(args.toArray(String[]::new)).json();
    assertEquals(1, next.path("items").size(), next.toString());
    assertEquals(oldest, next.path("items").get(0).path("id").asText());
  }

  @Test
  void listSaysNoSnapshotsYetOnlyWhenThereAreNone() {
    initAndTrack();
    assertTrue(ok("list").out().startsWith("No snapshots yet."), "an empty home");
    String id = captureJson();
    Run filtered = ok("list", "--status", "failed", "-w", "app");
    assertEquals("No snapshots match --workload app --status FAILED.\n", filtered.out());
    Run pastTheEnd = ok("list", "--after", id);
    assertEquals("", pastTheEnd.out(), "nothing after the last page");
  }

  @Test
  void listLabelFilterShowsOnlyMatchingSnapshotsAndAMalformedPairIsInvalid() {
    initAndTrack();
    String prod = captureJson("--label", "env=prod", "--label", "team=a");
    ok("capture", "app", "--label", "env=staging");
    JsonNode listed = ok("--json", "list", "--label", "env=prod").json();
    assertEquals(1, listed.path("items").size(), listed.toString());
    assertEquals(prod, listed.path("items").get(0).path("id").asText());
    assertEquals(1, ok("--json", "list", "-l", "env=prod", "-l", "team=a").json().path("items").size());
    Run none = ok("list", "--label", "env=dev");
    assertEquals("No snapshots match --label env=dev.\n", none.out());
    Run bad = run("list", "--label", "novalue");
    assertEquals(ExitCodes.of(io.snapshotkit.ErrorCode.INVALID_ARGUMENT), bad.status(), bad.err());
    assertTrue(bad.err().contains("KEY=VALUE"), bad.err());
  }

  @Test
  void retentionTakesHourlyMonthlyYearlyAndKeepWithinAndRefusesABadDuration() {
    initAndTrack();
    captureJson();
    captureJson();
    String newest = captureJson();
    JsonNode hourly = ok("--json", "retention", "app", "--hourly", "1", "--dry-run").json();
    assertEquals(List.of(newest), ids(hourly.path(0).path("kept")), hourly.toString());
    JsonNode within = ok("--json", "retention", "app", "--keep-within", "1d12h", "--dry-run").json();
    assertEquals(3, within.path(0).path("kept").size(), within.toString());
    assertEquals(1, ok("--json", "retention", "app", "--monthly", "1", "--yearly", "1", "--dry-run").json()
        .path(0).path("kept").size());
    for (String bad : List.of("0", "tomorrow", "5x", "3d-", "")) {
      Run r = run("retention", "app", "--keep-within", bad);
      assertEquals(ExitCodes.of(io.snapshotkit.ErrorCode.INVALID_ARGUMENT), r.status(), bad + ": " + r.err());
    }
    Run negative = run("retention", "app", "--hourly", "-2");
    assertEquals(ExitCodes.of(io.snapshotkit.ErrorCode.INVALID_ARGUMENT), negative.status(), negative.err());
    assertTrue(negative.err().contains("must not be negative"), negative.err());
  }

  private static List<String> ids(JsonNode array) {
    List<String> out = new java.util.ArrayList<>();
    array.forEach(n -> out.add(n.isTextual() ? n.asText() : n.path("id").asText()));
    return out;
  }

  @Test
  void listLimitBelowOneIsAUsageErrorAndAboveTheMaximumIsClampedWithAWarning() {
    ok("init");
    for (String bad : List.of("0", "-3")) {
      Run r = run("list", "--limit", bad);
      assertEquals(ExitCodes.USAGE, r.status(), r.err());
      assertTrue(r.err().contains("--limit must be 1 to 500"), r.err());
    }
    Run big = ok("list", "--limit", "1000");
    assertTrue(big.err().contains("--limit 1000 is over the maximum; showing at most 500"), big.err());
  }

  @Test
  void restoreToADirectoryWithReplaceTakesNoSafetySnapshotOfTheLiveVolumes() throws IOException {
    initAndTrack();
    captureJson();
    Path out = tmp.resolve("elsewhere");
    JsonNode r = ok("--json", "restore", "app@1", "--to", out.toString(), "--replace").json();
    assertTrue(r.path("preRestoreSnapshot").isNull(), r.toString());
    assertEquals(1, ok("--json", "versions", "app").json().size(), "no pre_restore version of the untouched workload");
    assertEquals("print(1)\n", Files.readString(out.resolve("project/src/main.py")));
    assertEquals(0, ok("--json", "list", "--trigger", "pre_restore").json().path("items").size());
  }

  @Test
  void everyCommandsHelpListsHelpAndVersionOnceAndVersionPrintsTheVersion() {
    RootCommand root = new RootCommand(new RootCommand.Environment(Map.of(), System.out, System.err, false,
        Clock.systemUTC()));
    for (String name : RootCommand.commandLine(root).getSubcommands().keySet()) {
      Run help = run(name, "--help");
      assertEquals(0, help.status(), name + ": " + help.err());
      assertEquals(1, help.out().lines().filter(l -> l.trim().startsWith("-h, --help")).count(), name + ":\n" + help.out());
      if (!name.equals("help")) {
        assertEquals(1, help.out().lines().filter(l -> l.trim().startsWith("-V, --version")).count(),
            name + ":\n" + help.out());
        Run version = run(name, "--version");
        assertTrue(version.out().startsWith("snapshotkit "), name + " --version printed: '" + version.out() + "'");
      }
    }
  }

  @Test
  void versionAloneSkipsPicocliButPrintsWhatPicocliPrintsWithTheJdkThatRunsIt() {
    Run fast = ok("--version");
    Run viaPicocli = ok("list", "--version");

    assertEquals(viaPicocli.out(), fast.out());
    assertEquals(fast.out(), ok("-V").out());
    List<String> lines = fast.out().lines().toList();
    assertEquals(3, lines.size(), fast.out());
    assertEquals("Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ") at "
        + System.getProperty("java.home"), lines.get(1));
    assertEquals("Start-up cache: none", lines.get(2));
  }

  /** Every file under {@code root}: relative path to content; MISSING if the directory is gone. */
  private static Map<String, String> files(Path root) throws IOException {
    Map<String, String> out = new java.util.TreeMap<>();
    if (!Files.isDirectory(root)) {
      out.put("", "MISSING");
      return out;
    }
    try (java.util.stream.Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        out.put(root.relativize(p).toString(), Files.readString(p));
      }
    }
    return out;
  }

  /** What a signalled child left: its exit status and stderr. */
  private record Signalled(int status, String err) {}

  /**
   * Runs {@code args} in a child JVM ({@link InterruptedRestoreChild}) that holds a replace restore
   * at {@code step}, sends it {@code signal} there and waits for it to exit.
   */
  private Signalled signalDuringRestore(RestoreStep step, int swapped, String signal, String... args)
      throws IOException, InterruptedException {
    Path marker = tmp.resolve("reached");
    Path err = tmp.resolve("child.err");
    List<String> cmd = new java.util.ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), InterruptedRestoreChild.class.getName(),
        marker.toString(), step.name(), Integer.toString(swapped)));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile())
        .redirectOutput(tmp.resolve("child.out").toFile());
    pb.environment().put(Home.ENV, home.toString());
    Process p = pb.start();
    try {
      for (int i = 0; i < 2400 && !Files.exists(marker); i++) {
        assertFalse(p.waitFor(50, TimeUnit.MILLISECONDS), () -> "the child exited before " + step + ": " + read(err));
      }
      assertTrue(Files.exists(marker), () -> "the child did not reach " + step + ": " + read(err));
      if (signal.equals("TERM")) {
        p.destroy();
      } else {
        String ignored = Files.readAllLines(Path.of("/proc/" + p.pid() + "/status")).stream()
            .filter(l -> l.startsWith("SigIgn:")).findFirst().orElseThrow().substring(7).trim();
        // A JVM started with SIGINT ignored (a background job's children) keeps ignoring it.
        assumeTrue((Long.parseLong(ignored, 16) & 0b10) == 0, "SIGINT is ignored in this test environment");
        assertEquals(0, new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor());
      }
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the signalled child did not exit");
    } finally {
      p.destroyForcibly();
      p.waitFor();
    }
    return new Signalled(p.exitValue(), read(err));
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Two volumes, project and data, captured as app@1, then both changed. Returns app@1's files. */
  private Map<String, Map<String, String>> twoVolumesCapturedThenChanged() throws IOException {
    Path data = Files.createDirectories(tmp.resolve("data"));
    Files.writeString(data.resolve("db.txt"), "rows v1\n");
    ok("init");
    ok("track", "app", project.toString(), data.toString());
    captureJson();
    Map<String, Map<String, String>> v1 = Map.of("project", files(project), "data", files(data));
    Files.writeString(project.resolve("README.md"), "changed\n");
    Files.writeString(data.resolve("db.txt"), "rows v2\n");
    Files.writeString(data.resolve("new.txt"), "new\n");
    return v1;
  }

  private Map<String, Map<String, String>> liveVolumes() throws IOException {
    return Map.of("project", files(project), "data", files(tmp.resolve("data")));
  }

  /** Nothing is left for the next command to recover: no journal, no staging directory. */
  private void nothingLeftToRecover() throws IOException {
    try (java.util.stream.Stream<Path> journals = Files.list(home.resolve("repository/journal"))) {
      assertEquals(List.of(), journals.toList(), "no restore journal left");
    }
    try (java.util.stream.Stream<Path> beside = Files.list(tmp)) {
      assertEquals(List.of(), beside.filter(p -> p.getFileName().toString().contains(".sk-restore-")).toList());
    }
    Run next = ok("list");
    assertEquals("", next.err(), "the next command has nothing to replay");
  }

  @Test
  void aSigtermBetweenTwoVolumeSwapsFinishesTheRestoreBeforeTheProcessExits() throws Exception {
    Map<String, Map<String, String>> v1 = twoVolumesCapturedThenChanged();
    Signalled child = signalDuringRestore(RestoreStep.VOLUME_SWAPPED, 1, "TERM", "restore", "app@1", "--replace");
    assertEquals(143, child.status(), child.err());
    assertEquals(v1, liveVolumes(), "both volumes hold app@1 as soon as the process has exited: " + child.err());
    assertEquals(List.of("snapshotkit: interrupted: finished restoring volumes 'data', 'project' from app@1 "
        + "before stopping; they hold the snapshot"), child.err().lines().toList());
    nothingLeftToRecover();
  }

  @Test
  void aSigintWhileAReplaceRestoreIsStagingRollsItBackBeforeTheProcessExits() throws Exception {
    twoVolumesCapturedThenChanged();
    Map<String, Map<String, String>> before = liveVolumes();
    Signalled child = signalDuringRestore(RestoreStep.STAGED, 0, "INT", "rollback", "app", "1");
    assertEquals(130, child.status(), child.err());
    assertEquals(before, liveVolumes(), "both volumes as they were: " + child.err());
    assertEquals(List.of("snapshotkit: interrupted: stopped the restore of app@1 before any volume was "
        + "swapped (the replace restore was rolled back: every volume is on its original data) (CONFLICT)"),
        child.err().lines().toList());
    nothingLeftToRecover();
  }

  @Test
  void openingAHomeAfterAnInterruptedRestoreWarnsWhatRecoveryDid() throws Exception {
    Map<String, Map<String, String>> v1 = twoVolumesCapturedThenChanged();
    Map<String, Map<String, String>> before = liveVolumes();
    // SIGKILL between the two swaps: no hook runs, data is swapped, project is not.
    Path marker = tmp.resolve("reached");
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), InterruptedRestoreChild.class.getName(),
        marker.toString(), RestoreStep.VOLUME_SWAPPED.name(), "1", "restore", "app@1", "--replace");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile());
    pb.environment().put(Home.ENV, home.toString());
    Process p = pb.start();
    try {
      for (int i = 0; i < 2400 && !Files.exists(marker); i++) {
        assertFalse(p.waitFor(50, TimeUnit.MILLISECONDS), () -> read(tmp.resolve("child.log")));
      }
    } finally {
      p.destroyForcibly();
      p.waitFor();
    }
    assertEquals(v1.get("data"), liveVolumes().get("data"), "killed mid-restore");
    assertEquals(before.get("project"), liveVolumes().get("project"));
    Run next = ok("list");
    assertEquals(1, next.errLines().size(), next.err());
    assertTrue(next.err().startsWith("warning: the interrupted replace restore of snapshot "), next.err());
    assertTrue(next.err().contains(" for local/app was rolled back: volume 'data', volume 'project' hold the original "
        + "data again (it was stopped by an earlier snapshotkit process)"), next.err());
    assertEquals(before, liveVolumes());
    nothingLeftToRecover();
  }
}
