package io.snapshotkit.examples.rest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.snapshotkit.Snapshot;
import io.snapshotkit.TenantId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.SnapshotEngine;
import io.snapshotkit.examples.internal.JsonViews;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.jdbc.JdbcManifestStore;
import io.snapshotkit.spi.HostDirectory;
import io.snapshotkit.spi.Lifecycle;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/snapshots/{id}/files/...} over real HTTP, on the directory agent and the SQLite
 * store: listings, file bytes, ranges (206, 416), a directory as a tar, and the bad paths.
 */
class SnapshotFilesRouteTest {
  private static final TenantId ACME = TenantId.of("acme");
  private static final WorkloadRef APP = WorkloadRef.of(ACME, "app");
  @TempDir Path dir;
  private ExecutorService threads;
  private FsHostAgent agent;
  private JdbcManifestStore store;
  private SnapshotEngine engine;
  private SnapshotServer server;
  private HttpClient http;
  private byte[] big;
  private Snapshot snapshot;

  @BeforeEach
  void start() throws IOException {
    threads = Executors.newFixedThreadPool(4);
    agent = FsHostAgent.builder().repository(dir.resolve("repo")).build();
    store = JdbcManifestStore.sqlite(dir.resolve("snapshots.db"));
    engine = SnapshotEngine.builder().manifestStore(store).hosts(HostDirectory.single(agent))
        .lifecycle(Lifecycle.none()).clock(Clock.systemUTC()).executor(threads).random(new SplittableRandom(1)).build();
    server = SnapshotServer.builder().engine(engine)
        .tokens(Map.of("token-acme", ACME, "token-globex", TenantId.of("globex")))
        .executor(threads).requestTimeout(Duration.ofSeconds(30)).build().start();
    http = HttpClient.newHttpClient();
    Path data = Files.createDirectories(dir.resolve("live/data/src"));
    Files.writeString(data.resolve("main.py"), "print(1)\n");
    big = new byte[3 << 20]; // chunked (over 1 MiB)
    new SplittableRandom(9).nextBytes(big);
    Files.write(data.resolve("big.bin"), big);
    Files.createSymbolicLink(data.resolve("up"), Path.of(".."));
    agent.track(APP, Map.of("data", data.getParent()));
    snapshot = engine.capture(CaptureSpec.of(APP));
  }

  @AfterEach
  void stop() {
    server.close();
    engine.close();
    store.close();
    agent.close();
    threads.shutdownNow();
  }

  private HttpResponse<byte[]> getAs(String token, String path, String... headers) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.baseUri() + "/v1/snapshots/" + snapshot.id().value()
        + "/files" + path)).header("Authorization", "Bearer " + token);
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private HttpResponse<byte[]> get(String path, String... headers) throws IOException, InterruptedException {
    return getAs("token-acme", path, headers);
  }

  private static JsonNode json(HttpResponse<byte[]> r) throws IOException {
    return JsonViews.mapper().readTree(r.body());
  }

  @Test
  @DisplayName("a directory answers a JSON listing of its direct entries; no path lists the volumes")
  void listsDirectories() throws Exception {
    HttpResponse<byte[]> volumes = get("");
    assertEquals(200, volumes.statusCode());
    assertEquals("data", json(volumes).path("entries").get(0).path("path").asText());

    HttpResponse<byte[]> r = get("/data/src");
    assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
    List<String> names = new ArrayList<>();
    json(r).path("entries").forEach(e -> names.add(e.path("name").asText() + ":" + e.path("type").asText()));
    assertEquals(List.of("big.bin:file", "main.py:file", "up:symlink"), names);
    assertEquals(big.length, json(r).path("entries").get(0).path("size").asLong());
    assertEquals("..", json(r).path("entries").get(2).path("target").asText());
  }

  @Test
  @DisplayName("a file answers its bytes with Accept-Ranges; a Range answers 206 with Content-Range, a suffix range the tail, an unsatisfiable one 416")
  void filesAndRanges() throws Exception {
    HttpResponse<byte[]> whole = get("/data/src/big.bin");
    assertEquals(200, whole.statusCode());
    assertArrayEquals(big, whole.body());
    assertEquals("bytes", whole.headers().firstValue("Accept-Ranges").orElse(""));

    HttpResponse<byte[]> part = get("/data/src/big.bin", "Range", "bytes=1048000-2097999");
    assertEquals(206, part.statusCode());
    assertEquals("bytes 1048000-2097999/" + big.length, part.headers().firstValue("Content-Range").orElse(""));
    assertArrayEquals(Arrays.copyOfRange(big, 1_048_000, 2_098_000), part.body());

    HttpResponse<byte[]> open = get("/data/src/main.py", "Range", "bytes=6-");
    assertEquals(206, open.statusCode());
    assertEquals("1)\n", new String(open.body(), StandardCharsets.UTF_8));
    HttpResponse<byte[]> tail = get("/data/src/big.bin", "Range", "bytes=-10");
    assertEquals(206, tail.statusCode());
    assertArrayEquals(Arrays.copyOfRange(big, big.length - 10, big.length), tail.body());
    HttpResponse<byte[]> clipped = get("/data/src/main.py", "Range", "bytes=0-999");
    assertEquals("bytes 0-8/9", clipped.headers().firstValue("Content-Range").orElse(""));

    HttpResponse<byte[]> beyond = get("/data/src/main.py", "Range", "bytes=9-20");
    assertEquals(416, beyond.statusCode());
    assertEquals("bytes */9", beyond.headers().firstValue("Content-Range").orElse(""));
    assertEquals("RANGE_NOT_SATISFIABLE", json(beyond).path("error").asText());
  }

  @Test
  @DisplayName("?format=tar answers a directory as a tar that commons-compress reads, the chunked file intact")
  void directoryAsTar() throws Exception {
    HttpResponse<byte[]> r = get("/data?format=tar");
    assertEquals(200, r.statusCode());
    assertEquals("application/x-tar", r.headers().firstValue("Content-Type").orElse(""));
    List<String> names = new ArrayList<>();
    byte[] bigInTar = null;
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new ByteArrayInputStream(r.body()))) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        names.add(e.getName());
        if (e.getName().equals("data/src/big.bin")) {
          bigInTar = tar.readAllBytes();
        }
      }
    }
    assertEquals(List.of("data/", "data/src/", "data/src/big.bin", "data/src/main.py", "data/src/up"), names);
    assertArrayEquals(big, bigInTar);
  }

  @Test
  @DisplayName("bad input: '..' and a path through a symlink are 400 INVALID_ARGUMENT, a missing path and another tenant's snapshot 404 NOT_FOUND")
  void badInput() throws Exception {
    HttpResponse<byte[]> climb = get("/data/src/%2E%2E/%2E%2E/etc");
    assertEquals(400, climb.statusCode(), new String(climb.body(), StandardCharsets.UTF_8));
    assertEquals("INVALID_ARGUMENT", json(climb).path("error").asText());
    assertTrue(json(climb).path("message").asText().contains("'..'"), json(climb).toString());

    HttpResponse<byte[]> through = get("/data/src/up/src/main.py");
    assertEquals(400, through.statusCode());
    assertTrue(json(through).path("message").asText().contains("symlink"), json(through).toString());

    HttpResponse<byte[]> missing = get("/data/src/nope.txt");
    assertEquals(404, missing.statusCode());
    assertEquals("NOT_FOUND", json(missing).path("error").asText());

    for (String path : new String[] {"/data/src/main.py", "/data", ""}) {
      HttpResponse<byte[]> other = getAs("token-globex", path);
      assertEquals(404, other.statusCode(), path);
      assertEquals("NOT_FOUND", json(other).path("error").asText(), path);
    }
  }
}
