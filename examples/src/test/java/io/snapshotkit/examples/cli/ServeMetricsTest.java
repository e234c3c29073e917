package io.snapshotkit.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code snapshotkit serve} exposes the engine's meters (snapshot-micrometer) at {@code /metrics}
 * in Prometheus's text format, behind the same bearer token as the REST routes.
 */
class ServeMetricsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  private int run(Path home, String... args) {
    return Main.run(args, Map.of(Home.ENV, home.toString()),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), false, Clock.systemUTC());
  }

  @Test
  @DisplayName("GET /metrics answers the meters after a REST capture, and 401 without the token")
  void metricsAfterACapture() throws Exception {
    Path home = tmp.resolve("home");
    Path project = tmp.resolve("project");
    Files.createDirectories(project);
    Files.writeString(project.resolve("README.md"), "hello\n");
    assertEquals(0, run(home, "init"));
    assertEquals(0, run(home, "track", "app", project.toString()));

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int[] status = {-1};
    Thread server = new Thread(() -> status[0] = Main.run(
        new String[] {"--json", "serve", "--port", "0", "--token", "t0ken"},
        Map.of(Home.ENV, home.toString()), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), false, Clock.systemUTC()));
    server.start();
    try {
      while (!out.toString(StandardCharsets.UTF_8).contains("}")) {
        assertTrue(server.isAlive(), "serve stopped early: " + out);
        Thread.sleep(10);
      }
      String uri = JSON.readTree(out.toString(StandardCharsets.UTF_8)).path("uri").asText();
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> captured = http.send(HttpRequest.newBuilder(URI.create(uri + "/v1/workloads/app/snapshots"))
          .header("Authorization", "Bearer t0ken").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(201, captured.statusCode(), captured.body());

      HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(uri + "/metrics"))
          .header("Authorization", "Bearer t0ken").build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, metrics.statusCode(), metrics.body());
      assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
          metrics.headers().toString());
      assertTrue(metrics.body().contains(
          "snapshotkit_operation_seconds_count{operation=\"capture\",outcome=\"success\"} 1"), metrics.body());
      assertTrue(metrics.body().contains("snapshotkit_usage_bytes{tenant=\"local\"}"), metrics.body());

      HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(URI.create(uri + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(401, anonymous.statusCode(), "the meters are behind the token");
    } finally {
      server.interrupt();
      server.join();
    }
    assertEquals(0, status[0]);
  }
}
