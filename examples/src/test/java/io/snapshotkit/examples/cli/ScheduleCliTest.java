package io.snapshotkit.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.snapshotkit.testkit.MutableClock;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code snapshotkit schedule} in-process through {@link Main#run}, on a real home (SQLite and a
 * real repository) and a controllable clock, so slots come due without waiting.
 */
class ScheduleCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;
  private Path home;
  private final MutableClock clock = MutableClock.epoch();

  record Run(int status, String out, String err) {
    JsonNode json() {
      try {
        return JSON.readTree(out);
      } catch (IOException e) {
        throw new AssertionError("stdout is not JSON: " + out, e);
      }
    }
  }

  private Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.run(args, Map.of(Home.ENV, home.toString()),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
        false, clock);
    return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private Run ok(String... args) {
    Run r = run(args);
    assertEquals(0, r.status(), () -> Arrays.toString(args) + " failed: " + r.err() + r.out());
    return r;
  }

  private void refused(String says, String... args) {
    Run r = run(args);
    assertEquals(ExitCodes.of(io.snapshotkit.ErrorCode.INVALID_ARGUMENT), r.status(), r.err() + r.out());
    assertTrue(r.err().contains(says), "'" + r.err() + "' should say '" + says + "'");
  }

  @BeforeEach
  void setUp() throws IOException {
    home = tmp.resolve("home");
    Path project = tmp.resolve("project");
    Files.createDirectories(project);
    Files.writeString(project.resolve("README.md"), "hello\n");
    ok("init");
    ok("track", "app", project.toString());
  }

  @Test
  void setListRunAndRemoveASchedule() {
    Run set = ok("schedule", "set", "app", "--every", "1h", "--jitter", "10m", "--keep-last", "2");
    assertTrue(set.out().contains("Scheduled app: every 1h00m +10m00s jitter, then retention keep-last 2"), set.out());
    JsonNode listed = ok("--json", "schedule", "list").json();
    assertEquals(1, listed.size());
    JsonNode s = listed.get(0);
    assertEquals("app", s.path("workload").asText());
    assertEquals("PT1H", s.path("every").asText());
    assertEquals("PT10M", s.path("jitter").asText());
    assertEquals(2, s.path("retention").path("keepLast").asInt());
    assertEquals(0, s.path("runs").asInt());
    assertTrue(s.path("nextDue").asText().startsWith("2026-01-01T01:"), s.toString());

    assertEquals("Nothing was due.\n", ok("schedule", "run").out());
    clock.advance(Duration.ofMinutes(10)); // past each slot's jitter, below 10 minutes
    for (int hour = 1; hour <= 4; hour++) {
      clock.advance(Duration.ofHours(1));
      JsonNode report = ok("--json", "schedule", "run").json();
      assertEquals(1, report.size(), report.toString());
      assertEquals("CAPTURED", report.get(0).path("outcome").asText());
      assertEquals(hour, report.get(0).path("version").asInt());
    }
    JsonNode versions = ok("--json", "versions", "app").json();
    assertEquals(2, versions.size(), "the schedule's keep-last 2 ran after each capture: " + versions);
    assertEquals("schedule", versions.get(0).path("trigger").asText());
    Run table = ok("schedule");
    assertTrue(table.out().contains("keep-last 2"), table.out());

    Run rm = ok("schedule", "rm", "app");
    assertTrue(rm.out().contains("Removed the schedule of app"), rm.out());
    Run again = run("schedule", "rm", "app");
    assertEquals(ExitCodes.of(io.snapshotkit.ErrorCode.NOT_FOUND), again.status());
    assertTrue(again.err().contains("has no schedule"), again.err());
  }

  @Test
  void aCronScheduleCatchesUpOnceAfterAGap() {
    ok("schedule", "set", "app", "--cron", "0 3 * * *");
    clock.advance(Duration.ofDays(5));
    Run r = ok("schedule", "run");
    assertTrue(r.out().contains("captured (caught up)"), r.out());
    assertEquals("Nothing was due.\n", ok("schedule", "run").out(), "one run, not five");
  }

  @Test
  void serveRunsTheDueSchedulesOnItsOwnThread() throws Exception {
    ok("schedule", "set", "app", "--every", "1m");
    clock.advance(Duration.ofMinutes(3));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int[] status = {-1};
    Thread server = new Thread(() -> status[0] = Main.run(
        new String[] {"--json", "serve", "--port", "0", "--token", "t0ken", "--schedule-check", "1s"},
        Map.of(Home.ENV, home.toString()), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), false, clock));
    server.start();
    while (!out.toString(StandardCharsets.UTF_8).contains("}")) {
      assertTrue(server.isAlive(), "serve stopped early: " + out);
      Thread.onSpinWait();
    }
    String uri = JSON.readTree(out.toString(StandardCharsets.UTF_8)).path("uri").asText();
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    java.net.http.HttpRequest get = java.net.http.HttpRequest.newBuilder(java.net.URI.create(uri + "/v1/workloads/app/schedule"))
        .header("Authorization", "Bearer t0ken").build();
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    JsonNode schedule;
    do {
      Thread.sleep(50);
      schedule = JSON.readTree(http.send(get, java.net.http.HttpResponse.BodyHandlers.ofString()).body());
    } while (schedule.path("runs").asInt() == 0 && System.nanoTime() < deadline);
    assertEquals(1, schedule.path("runs").asInt(), "the missed minutes ran once: " + schedule);
    // the run is counted when its slot is claimed, before its capture ends: stopping serve now
    // could interrupt the capture (seen on a loaded machine), so wait for the version it makes
    java.net.http.HttpRequest versionsGet = java.net.http.HttpRequest.newBuilder(
        java.net.URI.create(uri + "/v1/workloads/app/versions")).header("Authorization", "Bearer t0ken").build();
    JsonNode made;
    do {
      Thread.sleep(50);
      made = JSON.readTree(http.send(versionsGet, java.net.http.HttpResponse.BodyHandlers.ofString()).body());
    } while (!(made.size() == 1 && made.get(0).path("status").asText().equals("READY")) && System.nanoTime() < deadline);
    server.interrupt();
    server.join();
    assertEquals(0, status[0]);
    JsonNode versions = ok("--json", "versions", "app").json();
    assertEquals(1, versions.size());
    assertEquals("schedule", versions.get(0).path("trigger").asText());
  }

  @Test
  void badInputIsRefusedWithWhatToFix() {
    refused("invalid cron expression '61 * * * *'", "schedule", "set", "app", "--cron", "61 * * * *");
    refused("a Unix cron expression has 5", "schedule", "set", "app", "--cron", "0 3 * *");
    refused("interval must be positive", "schedule", "set", "app", "--every", "0s");
    refused("--every takes a duration", "schedule", "set", "app", "--every", "-5m");
    refused("must be shorter than its interval", "schedule", "set", "app", "--every", "1h", "--jitter", "1h");
    refused("--jitter takes a duration", "schedule", "set", "app", "--every", "1h", "--jitter", "-1m");
    refused("give exactly one of --cron", "schedule", "set", "app", "--every", "1h", "--cron", "0 3 * * *");
    refused("give exactly one of --cron", "schedule", "set", "app");
    assertEquals("[]", ok("--json", "schedule", "list").json().toString(), "nothing was stored");
  }
}
