package io.snapshotkit.examples.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.Plan;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.TenantId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.SnapshotEngine;
import io.snapshotkit.examples.internal.JsonViews;
import io.snapshotkit.spi.HostStatus;
import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.testkit.FakeHostAgent;
import io.snapshotkit.testkit.FakeHostDirectory;
import io.snapshotkit.testkit.Fault;
import io.snapshotkit.testkit.FaultyHostAgent;
import io.snapshotkit.testkit.InMemoryManifestStore;
import io.snapshotkit.testkit.MutableClock;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Drives the REST example with real HTTP requests over loopback, on the testkit's fakes. */
class SnapshotServerTest {
  private static final TenantId ACME = TenantId.of("acme");
  private static final TenantId GLOBEX = TenantId.of("globex");
  private static final TenantId CAPPED = TenantId.of("capped");
  private static final String ACME_TOKEN = "token-acme";
  private static final String GLOBEX_TOKEN = "token-globex";
  private static final String CAPPED_TOKEN = "token-capped";
  private static final WorkloadRef ACME_WS = WorkloadRef.of(ACME, "ws-acme");
  private static final WorkloadRef GLOBEX_WS = WorkloadRef.of(GLOBEX, "ws-globex");
  private static final WorkloadRef CAPPED_WS = WorkloadRef.of(CAPPED, "ws-capped");

  private final MutableClock clock = MutableClock.epoch();
  private final InMemoryManifestStore store = new InMemoryManifestStore();
  private final FakeHostDirectory hosts = FakeHostDirectory.withHosts(3);
  private final FakeHostAgent h1 = hosts.agentFor("h1");
  private ExecutorService engineThreads;
  private ExecutorService serverThreads;
  private SnapshotEngine engine;
  private SnapshotServer server;
  private HttpClient http;

  @BeforeEach
  void start() {
    engineThreads = Executors.newFixedThreadPool(4);
    serverThreads = Executors.newFixedThreadPool(2);
    for (WorkloadRef w : new WorkloadRef[] {ACME_WS, GLOBEX_WS, CAPPED_WS}) {
      h1.createWorkload(w);
      hosts.place(w, "h1");
      h1.put(w, "services", "api", TextNode.valueOf("v1"));
      h1.put(w, "services", "web", TextNode.valueOf("v1"));
    }
    engine = SnapshotEngine.builder()
        .manifestStore(store)
        .hosts(hosts)
        .lifecycle(Lifecycle.none())
        .clock(clock)
        .executor(engineThreads)
        .plans(tenant -> tenant.equals(CAPPED) ? new Plan(0, Optional.empty()) : Plan.UNLIMITED)
        .hostTimeout(Duration.ofSeconds(5))
        .build();
    server = SnapshotServer.builder()
        .engine(engine)
        .tokens(Map.of(ACME_TOKEN, ACME, GLOBEX_TOKEN, GLOBEX, CAPPED_TOKEN, CAPPED))
        .executor(serverThreads)
        .requestTimeout(Duration.ofSeconds(3))
        .build()
        .start();
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    server.close();
    engine.close();
    serverThreads.shutdownNow();
    engineThreads.shutdownNow();
    assertTrue(serverThreads.awaitTermination(10, TimeUnit.SECONDS));
    assertTrue(engineThreads.awaitTermination(10, TimeUnit.SECONDS));
  }

  /** A response: status and parsed JSON body (null when there is none). */
  record Reply(int status, JsonNode body) {
    String error() {
      return body.path("error").asText();
    }
  }

  private Reply call(String method, String path, String token, String body) throws IOException, InterruptedException {
    HttpResponse<byte[]> r = send(method, path, token, body);
    JsonNode json = r.body().length == 0 ? null : JsonViews.mapper().readTree(r.body());
    return new Reply(r.statusCode(), json);
  }

  private HttpResponse<byte[]> send(String method, String path, String token, String body)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.baseUri() + path))
        .timeout(Duration.ofSeconds(20))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  @DisplayName("a capture's exclude patterns are checked before anything is stored, and an agent that cannot exclude refuses them")
  void captureExcludes() throws Exception {
    Reply everything = call("POST", "/v1/workloads/ws-acme/snapshots", ACME_TOKEN, "{\"excludes\": [\"node_modules/\", \"**\"]}");
    assertEquals(400, everything.status());
    assertEquals("INVALID_ARGUMENT", everything.error());
    assertTrue(everything.body().path("message").asText().contains("excludes everything"), everything.body().toString());
    Reply notAList = call("POST", "/v1/workloads/ws-acme/snapshots", ACME_TOKEN, "{\"excludes\": \"tmp/\"}");
    assertEquals(400, notAList.status());
    assertEquals(0, engine.list(SnapshotQuery.of(ACME_WS)).items().size(), "nothing stored for bad patterns");

    Reply fake = call("POST", "/v1/workloads/ws-acme/snapshots", ACME_TOKEN, "{\"excludes\": [\"tmp/\"]}");
    assertEquals(400, fake.status());
    assertTrue(fake.body().path("message").asText().contains("cannot exclude paths"), fake.body().toString());
  }

  private String captureVia(String token, WorkloadRef w, String name) throws Exception {
    Reply r = call("POST", "/v1/workloads/" + w.id() + "/snapshots", token, "{\"name\":\"" + name + "\"}");
    assertEquals(201, r.status(), () -> String.valueOf(r.body()));
    return r.body().get("id").asText();
  }

  @Test
  @DisplayName("capture answers 201 with the READY snapshot; list, get and versions show it")
  void captureListGet() throws Exception {
    Reply created = call("POST", "/v1/workloads/ws-acme/snapshots", ACME_TOKEN,
        "{\"name\":\"before upgrade\",\"labels\":{\"ticket\":\"OPS-1\"}}");
    assertEquals(201, created.status());
    assertEquals("READY", created.body().get("status").asText());
    assertEquals(1, created.body().get("version").asInt());
    assertEquals("before upgrade", created.body().get("name").asText());
    assertEquals("OPS-1", created.body().at("/labels/ticket").asText());
    String id = created.body().get("id").asText();

    Reply list = call("GET", "/v1/workloads/ws-acme/snapshots?limit=10&status=ready", ACME_TOKEN, null);
    assertEquals(200, list.status());
    assertEquals(1, list.body().get("items").size());
    assertEquals(id, list.body().at("/items/0/id").asText());

    Reply get = call("GET", "/v1/snapshots/" + id, ACME_TOKEN, null);
    assertEquals(200, get.status());
    assertEquals("ws-acme", get.body().get("workload").asText());

    Reply versions = call("GET", "/v1/workloads/ws-acme/versions", ACME_TOKEN, null);
    assertEquals(1, versions.body().size());
    assertEquals(1, versions.body().at("/0/version").asInt());
  }

  @Test
  @DisplayName("POST /v1/snapshots/{id}/fork answers 201 with the new workload's version 1; bad bodies are 400, an existing workload 409")
  void fork() throws Exception {
    String id = captureVia(ACME_TOKEN, ACME_WS, "golden");
    Reply forked = call("POST", "/v1/snapshots/" + id + "/fork", ACME_TOKEN,
        "{\"workload\":\"ws-child\",\"name\":\"from golden\",\"labels\":{\"origin\":\"golden\"}}");
    assertEquals(201, forked.status(), () -> String.valueOf(forked.body()));
    assertEquals("ws-child", forked.body().get("workload").asText());
    assertEquals(1, forked.body().get("version").asInt());
    assertEquals("fork", forked.body().get("trigger").asText());
    assertEquals("golden", forked.body().at("/labels/origin").asText());
    assertEquals(id, forked.body().at("/origin/snapshot").asText(), "the child's origin: the source snapshot");
    String child = forked.body().get("id").asText();
    Reply shown = call("GET", "/v1/snapshots/" + child, ACME_TOKEN, null);
    assertEquals(id, shown.body().at("/origin/snapshot").asText());
    assertEquals("ws-acme", shown.body().at("/origin/workload").asText());
    assertTrue(call("GET", "/v1/snapshots/" + id, ACME_TOKEN, null).body().path("origin").isMissingNode(),
        "a captured snapshot has no origin");
    assertEquals(h1.state(ACME_WS), h1.state(WorkloadRef.of(ACME, "ws-child")));

    Reply again = call("POST", "/v1/snapshots/" + id + "/fork", ACME_TOKEN, "{\"workload\":\"ws-child\"}");
    assertEquals(409, again.status(), () -> String.valueOf(again.body()));
    assertEquals(400, call("POST", "/v1/snapshots/" + id + "/fork", ACME_TOKEN, "{}").status());
    assertEquals(400, call("POST", "/v1/snapshots/" + id + "/fork", ACME_TOKEN,
        "{\"workload\":\"ws-x\",\"target\":\"/tmp\"}").status(), "a typo is refused, not ignored");
    assertEquals(400, call("POST", "/v1/snapshots/" + id + "/fork", ACME_TOKEN,
        "{\"workload\":\"ws-acme\"}").status(), "not into the source's own workload");
    assertEquals(405, call("GET", "/v1/snapshots/" + id + "/fork", ACME_TOKEN, null).status());
  }

  @Test
  @DisplayName("list takes ?label=KEY=VALUE, repeated for several; a malformed pair is 400 INVALID_ARGUMENT")
  void listByLabel() throws Exception {
    Reply prod = call("POST", "/v1/workloads/ws-acme/snapshots", ACME_TOKEN, "{\"labels\":{\"env\":\"prod\",\"team\":\"a\"}}");
    assertEquals(201, prod.status());
    assertEquals(201, call("POST", "/v1/workloads/ws-acme/snapshots", ACME_TOKEN, "{\"labels\":{\"env\":\"staging\"}}").status());
    String id = prod.body().get("id").asText();

    Reply one = call("GET", "/v1/workloads/ws-acme/snapshots?label=env%3Dprod", ACME_TOKEN, null);
    assertEquals(200, one.status());
    assertEquals(1, one.body().get("items").size());
    assertEquals(id, one.body().at("/items/0/id").asText());
    Reply both = call("GET", "/v1/workloads/ws-acme/snapshots?label=env=prod&label=team=b", ACME_TOKEN, null);
    assertEquals(0, both.body().get("items").size(), "every pair must match");
    Reply bad = call("GET", "/v1/workloads/ws-acme/snapshots?label=env", ACME_TOKEN, null);
    assertEquals(400, bad.status());
    assertEquals("INVALID_ARGUMENT", bad.body().get("error").asText());
  }

  @Test
  @DisplayName("PUT/GET/DELETE /v1/workloads/{w}/schedule; the schedule runs; bad input is 400 naming the field; tenants are apart")
  void scheduleRoutes() throws Exception {
    String path = "/v1/workloads/ws-acme/schedule";
    assertEquals(404, call("GET", path, ACME_TOKEN, null).status(), "no schedule yet");
    Reply put = call("PUT", path, ACME_TOKEN,
        "{\"every\":\"PT1H\",\"jitter\":\"PT10M\",\"retention\":{\"keepLast\":2,\"within\":\"PT36H\"}}");
    assertEquals(200, put.status(), put.body().toString());
    assertEquals("PT1H", put.body().get("every").asText());
    assertEquals("PT10M", put.body().get("jitter").asText());
    assertEquals(2, put.body().at("/retention/keepLast").asInt());
    assertEquals("PT36H", put.body().at("/retention/within").asText());
    assertTrue(put.body().get("nextDue").asText().startsWith("2026-01-01T01:"), put.body().toString());
    assertEquals(404, call("GET", "/v1/workloads/ws-acme/schedule", GLOBEX_TOKEN, null).status(),
        "another tenant's schedule is not found");

    clock.advance(Duration.ofHours(2));
    assertEquals(1, engine.schedules().runDue().runs().size());
    Reply got = call("GET", path, ACME_TOKEN, null);
    assertEquals(200, got.status());
    assertEquals(1, got.body().get("runs").asInt());

    Reply cron = call("PUT", path, ACME_TOKEN, "{\"cron\":\"0 3 * * *\"}");
    assertEquals("0 3 * * *", cron.body().get("cron").asText());
    assertEquals(1, cron.body().get("runs").asInt(), "replacing keeps the progress");

    for (String bad : new String[] {"{\"cron\":\"61 * * * *\"}", "{\"every\":\"PT0S\"}", "{\"every\":\"-PT5M\"}",
        "{\"every\":\"PT1H\",\"jitter\":\"PT1H\"}", "{\"every\":\"PT1H\",\"jitter\":\"-PT1M\"}",
        "{\"every\":\"1h\"}", "{}", "{\"every\":\"PT1H\",\"retention\":{\"keepLats\":2}}"}) {
      Reply r = call("PUT", path, ACME_TOKEN, bad);
      assertEquals(400, r.status(), bad);
      assertEquals("INVALID_ARGUMENT", r.error(), bad);
    }
    assertTrue(call("PUT", path, ACME_TOKEN, "{\"cron\":\"61 * * * *\"}").body().get("message").asText()
        .contains("invalid cron expression '61 * * * *'"));
    assertEquals(405, call("POST", path, ACME_TOKEN, "{}").status());
    assertEquals(204, call("DELETE", path, ACME_TOKEN, null).status());
    assertEquals(404, call("DELETE", path, ACME_TOKEN, null).status());
  }

  @Test
  @DisplayName("capture with wait=false answers 202 with the CAPTURING row")
  void asyncCapture() throws Exception {
    Reply r = call("POST", "/v1/workloads/ws-acme/snapshots", ACME_TOKEN, "{\"wait\":false}");
    assertEquals(202, r.status());
    assertEquals("CAPTURING", r.body().get("status").asText());
    assertEquals(0, r.body().get("version").asInt());
  }

  @Test
  @DisplayName("diff against current shows what changed since the snapshot; against a snapshot compares the two")
  void diff() throws Exception {
    String first = captureVia(ACME_TOKEN, ACME_WS, "one");
    h1.put(ACME_WS, "services", "api", TextNode.valueOf("v2"));
    h1.put(ACME_WS, "services", "worker", TextNode.valueOf("v1"));
    h1.remove(ACME_WS, "services", "web");

    Reply current = call("GET", "/v1/snapshots/" + first + "/diff?against=current", ACME_TOKEN, null);
    assertEquals(200, current.status());
    assertEquals("current", current.body().get("against").asText());
    JsonNode services = current.body().at("/families/services");
    assertEquals(1, services.get("added").asInt());
    assertEquals(1, services.get("removed").asInt());
    assertEquals(1, services.get("changed").asInt());

    String second = captureVia(ACME_TOKEN, ACME_WS, "two");
    Reply between = call("GET", "/v1/snapshots/" + first + "/diff?against=" + second, ACME_TOKEN, null);
    assertEquals(200, between.status());
    assertEquals(second, between.body().get("to").asText());
    assertEquals(3, between.body().get("changes").asInt());

    Reply none = call("GET", "/v1/snapshots/" + second + "/diff", ACME_TOKEN, null);
    assertTrue(none.body().get("empty").asBoolean(), "no change since the second snapshot");
  }

  @Test
  @DisplayName("additive restore re-creates what is missing and skips what exists")
  void additiveRestore() throws Exception {
    String id = captureVia(ACME_TOKEN, ACME_WS, "one");
    h1.remove(ACME_WS, "services", "web");
    Reply r = call("POST", "/v1/snapshots/" + id + "/restore", ACME_TOKEN, null);
    assertEquals(200, r.status(), () -> r.body().toString());
    assertEquals("ADDITIVE", r.body().get("mode").asText());
    assertEquals(1, r.body().get("created").asInt());
    assertEquals(1, r.body().get("skipped").asInt());
    assertTrue(h1.state(ACME_WS).get("services").containsKey("web"));
  }

  @Test
  @DisplayName("an additive restore that could not write every resource returns each failure in its JSON")
  void additiveRestoreReturnsItsFailures() throws Exception {
    String id = captureVia(ACME_TOKEN, ACME_WS, "one");
    h1.remove(ACME_WS, "services", "web");
    h1.remove(ACME_WS, "services", "api");
    h1.failNext(FaultyHostAgent.Op.RESTORE, Fault.failResource("web"));
    Reply r = call("POST", "/v1/snapshots/" + id + "/restore", ACME_TOKEN, null);
    assertEquals(200, r.status(), () -> r.body().toString());
    assertFalse(r.body().get("complete").asBoolean(), r.body().toString());
    assertEquals("INTERNAL", r.body().get("failureCode").asText(), r.body().toString());
    assertEquals(1, r.body().get("failures").size(), r.body().toString());
    JsonNode failure = r.body().get("failures").get(0);
    assertEquals("services/web", failure.get("resource").asText());
    assertEquals("INTERNAL", failure.get("code").asText());
    assertFalse(failure.get("reason").asText().isBlank());
    assertEquals(1, r.body().get("created").asInt(), "the other resource was still restored");
  }

  @Test
  @DisplayName("rollback to a version replaces the workload's state and takes a safety snapshot")
  void rollback() throws Exception {
    captureVia(ACME_TOKEN, ACME_WS, "one");
    h1.put(ACME_WS, "services", "api", TextNode.valueOf("broken"));
    Reply r = call("POST", "/v1/workloads/ws-acme/rollback", ACME_TOKEN, "{\"version\":1}");
    assertEquals(200, r.status(), () -> r.body().toString());
    assertEquals("REPLACE", r.body().get("mode").asText());
    assertFalse(r.body().get("preRestoreSnapshot").isNull());
    assertEquals("v1", h1.state(ACME_WS).get("services").get("api").asText());

    Reply outOfRange = call("POST", "/v1/workloads/ws-acme/rollback", ACME_TOKEN, "{\"version\":9}");
    assertEquals(400, outOfRange.status());
    assertTrue(outOfRange.body().get("message").asText().contains("1 to"), outOfRange.body().toString());
  }

  @Test
  @DisplayName("delete answers 204 and the snapshot is gone")
  void delete() throws Exception {
    String id = captureVia(ACME_TOKEN, ACME_WS, "one");
    assertEquals(204, call("DELETE", "/v1/snapshots/" + id, ACME_TOKEN, null).status());
    Reply after = call("GET", "/v1/snapshots/" + id, ACME_TOKEN, null);
    assertEquals(404, after.status());
    assertEquals("NOT_FOUND", after.error());
  }

  @Test
  @DisplayName("a delete with a host down answers 409 naming that host, and the snapshot stays READY")
  void deleteWithHostDown() throws Exception {
    String id = captureVia(ACME_TOKEN, ACME_WS, "one");
    hosts.setStatus("h2", HostStatus.OFFLINE);
    Reply r = call("DELETE", "/v1/snapshots/" + id, ACME_TOKEN, null);
    assertEquals(409, r.status());
    assertEquals("CONFLICT", r.error());
    assertTrue(r.body().get("message").asText().contains("h2"), r.body().toString());
    assertEquals(1, r.body().get("failedHosts").size());
    assertEquals("h2", r.body().at("/failedHosts/0").asText());
    Reply still = call("GET", "/v1/snapshots/" + id, ACME_TOKEN, null);
    assertEquals("READY", still.body().get("status").asText());

    hosts.setStatus("h2", HostStatus.ONLINE);
    assertEquals(204, call("DELETE", "/v1/snapshots/" + id, ACME_TOKEN, null).status(), "retry succeeds once h2 is back");
  }

  /** Every route, as tenant ACME aimed at GLOBEX's snapshot or workload. */
  static Stream<String[]> crossTenantRoutes() {
    return Stream.of(
        new String[] {"GET", "/v1/snapshots/{theirs}", null},
        new String[] {"GET", "/v1/snapshots/{theirs}/diff?against=current", null},
        new String[] {"GET", "/v1/snapshots/{theirs}/diff?against={mine}", null},
        new String[] {"GET", "/v1/snapshots/{mine}/diff?against={theirs}", null},
        new String[] {"POST", "/v1/snapshots/{theirs}/restore", "{}"},
        new String[] {"POST", "/v1/snapshots/{theirs}/fork", "{\"workload\":\"ws-new\"}"},
        new String[] {"DELETE", "/v1/snapshots/{theirs}", null},
        new String[] {"POST", "/v1/workloads/ws-globex/rollback", "{\"version\":1}"},
        new String[] {"POST", "/v1/workloads/ws-globex/snapshots", "{}"});
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("crossTenantRoutes")
  @DisplayName("tenant A's token gets 404 for tenant B's snapshot on every route, and B's data is untouched")
  void crossTenant(String method, String template, String body) throws Exception {
    String theirs = captureVia(GLOBEX_TOKEN, GLOBEX_WS, "theirs");
    String mine = captureVia(ACME_TOKEN, ACME_WS, "mine");
    h1.put(GLOBEX_WS, "services", "api", TextNode.valueOf("changed-by-globex"));
    String path = template.replace("{theirs}", theirs).replace("{mine}", mine);

    Reply r = call(method, path, ACME_TOKEN, body);
    assertEquals(404, r.status(), () -> method + " " + path + " answered " + r.body());
    assertEquals("NOT_FOUND", r.error());
    assertFalse(r.body().get("message").asText().contains("globex/"), "no hint of the other tenant: " + r.body());

    Reply owner = call("GET", "/v1/snapshots/" + theirs, GLOBEX_TOKEN, null);
    assertEquals(200, owner.status());
    assertEquals("READY", owner.body().get("status").asText());
    assertEquals("changed-by-globex", h1.state(GLOBEX_WS).get("services").get("api").asText(), "not rolled back");
    assertEquals(1, engine.versions(GLOBEX_WS).size(), "no snapshot added or removed for globex");
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(ErrorCode.class)
  @DisplayName("every ErrorCode answers with its HTTP status and {error, message}")
  void everyErrorCode(ErrorCode code) throws Exception {
    String id = captureVia(ACME_TOKEN, ACME_WS, "one");
    Reply r = switch (code) {
      case NOT_FOUND -> call("GET", "/v1/snapshots/01ARZ3NDEKTSV4RRFFQ69G5FAV", ACME_TOKEN, null);
      case INVALID_ARGUMENT -> call("GET", "/v1/snapshots/not-an-id", ACME_TOKEN, null);
      case FORBIDDEN -> {
        engine.protect(ACME, io.snapshotkit.SnapshotId.parse(id), true);
        yield call("DELETE", "/v1/snapshots/" + id, ACME_TOKEN, null);
      }
      case CONFLICT -> {
        hosts.setStatus("h3", HostStatus.DRAINING);
        yield call("DELETE", "/v1/snapshots/" + id, ACME_TOKEN, null);
      }
      case QUOTA_EXCEEDED -> call("POST", "/v1/workloads/" + CAPPED_WS.id() + "/snapshots", CAPPED_TOKEN, "{}");
      case HOST_UNAVAILABLE -> {
        h1.failNext(FaultyHostAgent.Op.CAPTURE, Fault.offline());
        yield call("POST", "/v1/workloads/ws-acme/snapshots", ACME_TOKEN, "{}");
      }
      case CORRUPT -> {
        h1.failNext(FaultyHostAgent.Op.RESTORE, Fault.corrupt());
        yield call("POST", "/v1/snapshots/" + id + "/restore", ACME_TOKEN, "{}");
      }
      case INSUFFICIENT_STORAGE -> {
        h1.failNext(FaultyHostAgent.Op.CAPTURE, Fault.error("write failed: No space left on device"));
        yield call("POST", "/v1/workloads/ws-acme/snapshots", ACME_TOKEN, "{}");
      }
      case INTERNAL -> {
        h1.failNext(FaultyHostAgent.Op.CAPTURE, Fault.error("agent bug"));
        yield call("POST", "/v1/workloads/ws-acme/snapshots", ACME_TOKEN, "{}");
      }
    };
    assertEquals(code.httpStatus(), r.status(), () -> code + " answered " + r.body());
    assertEquals(code.name(), r.error());
    assertFalse(r.body().get("message").asText().isBlank());
  }

  @Test
  @DisplayName("a missing or unknown bearer token is 401 and reaches no data")
  void unauthenticated() throws Exception {
    captureVia(ACME_TOKEN, ACME_WS, "one");
    for (String token : new String[] {null, "wrong"}) {
      Reply r = call("GET", "/v1/workloads/ws-acme/snapshots", token, null);
      assertEquals(401, r.status());
      assertEquals("UNAUTHENTICATED", r.error());
    }
  }

  @Test
  @DisplayName("bad requests are explained: malformed JSON 400, unknown route 404, wrong method 405")
  void badRequests() throws Exception {
    Reply malformed = call("POST", "/v1/workloads/ws-acme/snapshots", ACME_TOKEN, "{not json");
    assertEquals(400, malformed.status());
    assertEquals("INVALID_ARGUMENT", malformed.error());
    Reply reserved = call("POST", "/v1/workloads/ws-acme/snapshots", ACME_TOKEN, "{\"trigger\":\"rollback\"}");
    assertEquals(400, reserved.status());
    Reply noRoute = call("GET", "/v1/nothing/here", ACME_TOKEN, null);
    assertEquals(404, noRoute.status());
    Reply wrongMethod = call("PUT", "/v1/workloads/ws-acme/versions", ACME_TOKEN, "{}");
    assertEquals(405, wrongMethod.status());
    assertEquals(Set.of(), Set.copyOf(engine.versions(ACME_WS)), "nothing was captured");
  }

  @Test
  @DisplayName("a wrong method is 405 with an Allow header naming the methods the route takes")
  void wrongMethodNamesTheAllowedOnes() throws Exception {
    String id = captureVia(ACME_TOKEN, ACME_WS, "one");
    Map<String, String> expected = Map.of(
        "PUT /v1/workloads/ws-acme/versions", "GET",
        "DELETE /v1/workloads/ws-acme/snapshots", "GET, POST",
        "GET /v1/workloads/ws-acme/rollback", "POST",
        "PUT /v1/snapshots/" + id, "GET, DELETE",
        "POST /v1/snapshots/" + id + "/diff", "GET",
        "GET /v1/snapshots/" + id + "/restore", "POST");
    for (Map.Entry<String, String> e : expected.entrySet()) {
      String[] request = e.getKey().split(" ");
      HttpResponse<byte[]> r = send(request[0], request[1], ACME_TOKEN, "{}");
      assertEquals(405, r.statusCode(), e.getKey());
      assertEquals(Optional.of(e.getValue()), r.headers().firstValue("Allow"), e.getKey());
      assertEquals("METHOD_NOT_ALLOWED", JsonViews.mapper().readTree(r.body()).path("error").asText(), e.getKey());
    }
  }

  @Test
  @DisplayName("an unknown or mistyped body field is 400 naming the field, and nothing is done")
  void unknownOrMistypedBodyFieldsAreRefusedByName() throws Exception {
    String id = captureVia(ACME_TOKEN, ACME_WS, "one");
    h1.put(ACME_WS, "services", "api", TextNode.valueOf("changed"));
    Map<String, String[]> refused = Map.of(
        "{\"nmae\":\"typo\"}", new String[] {"POST", "/v1/workloads/ws-acme/snapshots", "nmae"},
        "{\"wait\":\"no\"}", new String[] {"POST", "/v1/workloads/ws-acme/snapshots", "wait"},
        "{\"name\":\"x\",\"labels\":{},\"wait\":0}", new String[] {"POST", "/v1/workloads/ws-acme/snapshots", "wait"},
        "{\"version\":1,\"preRestoreSnapshot\":\"yes\"}", new String[] {"POST", "/v1/workloads/ws-acme/rollback", "preRestoreSnapshot"},
        "{\"version\":1,\"verison\":1}", new String[] {"POST", "/v1/workloads/ws-acme/rollback", "verison"},
        "{\"paths\":[\"services:api\",7]}", new String[] {"POST", "/v1/snapshots/" + id + "/restore", "paths"},
        "{\"path\":[\"services:api\"]}", new String[] {"POST", "/v1/snapshots/" + id + "/restore", "path"});
    for (Map.Entry<String, String[]> e : refused.entrySet()) {
      String[] route = e.getValue();
      Reply r = call(route[0], route[1], ACME_TOKEN, e.getKey());
      assertEquals(400, r.status(), () -> e.getKey() + " answered " + r.body());
      assertEquals("INVALID_ARGUMENT", r.error());
      assertTrue(r.body().path("message").asText().contains("'" + route[2] + "'"), e.getKey() + ": " + r.body());
    }
    assertEquals(1, engine.versions(ACME_WS).size(), "nothing was captured");
    assertEquals("changed", h1.state(ACME_WS).get("services").get("api").asText(), "nothing was restored");
  }

  @Test
  @DisplayName("an oversized body gets a 413 JSON answer the client can read, and the server keeps serving")
  void oversizedBodyIsAnswered413() throws Exception {
    byte[] big = new byte[4 << 20];
    java.util.Arrays.fill(big, (byte) 'x');
    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(server.baseUri() + "/v1/workloads/ws-acme/snapshots"))
        .timeout(Duration.ofSeconds(20)).header("Authorization", "Bearer " + ACME_TOKEN)
        .POST(HttpRequest.BodyPublishers.ofByteArray(big)).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(413, r.statusCode());
    JsonNode json = JsonViews.mapper().readTree(r.body());
    assertEquals("PAYLOAD_TOO_LARGE", json.path("error").asText());
    assertTrue(json.path("message").asText().contains(String.valueOf(Intake.MAX_BODY_BYTES)), json.toString());

    try (Socket raw = new Socket(server.baseUri().getHost(), server.port())) {
      raw.setSoTimeout(20_000);
      Thread writer = new Thread(() -> {
        try {
          OutputStream out = raw.getOutputStream();
          out.write(("POST /v1/workloads/ws-acme/snapshots HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ACME_TOKEN
              + "\r\nConnection: close\r\nContent-Length: " + big.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
          out.write(big);
          out.flush();
        } catch (IOException ignored) {
          // the reader's assertions tell whether the answer arrived
        }
      });
      writer.start();
      String answer = new String(raw.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      assertTrue(answer.startsWith("HTTP/1.1 413"), answer);
      assertTrue(answer.contains("PAYLOAD_TOO_LARGE"), answer);
      writer.join(20_000);
    }
    assertEquals(200, call("GET", "/v1/workloads/ws-acme/versions", ACME_TOKEN, null).status());
    assertEquals(0, engine.versions(ACME_WS).size(), "nothing was captured");
  }

  @Test
  @DisplayName("clients that connect and stay silent, or send their request a byte at a time, cannot starve a normal request, and the slow ones are cut off")
  void slowClientsCannotStarveOthers() throws Exception {
    List<Socket> silent = new ArrayList<>();
    List<Socket> trickling = new ArrayList<>();
    ExecutorService tricklers = Executors.newCachedThreadPool();
    try {
      for (int i = 0; i < 6; i++) {
        silent.add(new Socket(server.baseUri().getHost(), server.port()));
      }
      for (int i = 0; i < 6; i++) {
        Socket s = new Socket(server.baseUri().getHost(), server.port());
        trickling.add(s);
        String head = "POST /v1/workloads/ws-acme/snapshots HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ACME_TOKEN
            + "\r\nContent-Length: 500\r\n\r\n";
        String request = i % 2 == 0 ? head.replace("\r\n\r\n", "\r\nX-Slow: " + "z".repeat(500)) : head + " ".repeat(500);
        int start = i % 2 == 0 ? 0 : head.length(); // half trickle their headers, half their body
        tricklers.execute(() -> {
          try {
            OutputStream out = s.getOutputStream();
            out.write(request.substring(0, start).getBytes(StandardCharsets.US_ASCII));
            for (int c = start; c < request.length(); c++) {
              out.write(request.charAt(c));
              out.flush();
              Thread.sleep(200);
            }
          } catch (IOException | InterruptedException cutOff) {
            // the server closed the connection: what the test expects
          }
        });
      }
      Thread.sleep(500); // every slow client has started its request
      long started = System.nanoTime();
      for (int i = 0; i < 3; i++) {
        assertEquals(200, call("GET", "/v1/workloads/ws-acme/versions", ACME_TOKEN, null).status());
      }
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      assertTrue(millis < 3_000, "three normal requests took " + millis + " ms beside 12 slow clients");
      for (Socket s : trickling) {
        s.setSoTimeout(10_000);
        long t0 = System.nanoTime();
        int read;
        try {
          read = s.getInputStream().read();
        } catch (IOException reset) {
          read = -1;
        }
        assertEquals(-1, read, "a client that takes too long to send its request is cut off");
        assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0) < 6, "cut off after the 3 s request timeout");
      }
    } finally {
      tricklers.shutdownNow();
      for (Socket s : silent) {
        s.close();
      }
      for (Socket s : trickling) {
        s.close();
      }
    }
    assertEquals(0, engine.versions(ACME_WS).size(), "no slow request was served");
  }

  @Test
  @DisplayName("a request the executor cannot take (its bounded queue is full) is answered 503 at once, not left hanging")
  void overflowIs503() throws Exception {
    ThreadPoolExecutor bounded = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1));
    CountDownLatch release = new CountDownLatch(1);
    try (SnapshotServer small = SnapshotServer.builder().engine(engine).tokens(Map.of(ACME_TOKEN, ACME))
        .executor(bounded).build().start()) {
      String id = captureVia(ACME_TOKEN, ACME_WS, "one");
      h1.gate(FaultyHostAgent.Op.DESCRIBE, new CountDownLatch(1), release);
      HttpRequest diff = HttpRequest.newBuilder(URI.create(small.baseUri() + "/v1/snapshots/" + id + "/diff"))
          .timeout(Duration.ofSeconds(20)).header("Authorization", "Bearer " + ACME_TOKEN).build();
      var running = http.sendAsync(diff, HttpResponse.BodyHandlers.ofByteArray());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (bounded.getActiveCount() < 1 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      var queued = http.sendAsync(diff, HttpResponse.BodyHandlers.ofByteArray());
      while (bounded.getQueue().size() < 1 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      HttpResponse<byte[]> overflow = http.send(diff, HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(503, overflow.statusCode());
      JsonNode json = JsonViews.mapper().readTree(overflow.body());
      assertEquals("BUSY", json.path("error").asText());
      assertTrue(overflow.headers().firstValue("Retry-After").isPresent());
      release.countDown();
      assertEquals(200, running.get(20, TimeUnit.SECONDS).statusCode());
      assertEquals(200, queued.get(20, TimeUnit.SECONDS).statusCode());
    } finally {
      release.countDown();
      bounded.shutdownNow();
    }
  }

  @Test
  @DisplayName("the builder reports every missing setting at once and refuses double-set")
  void builder() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> SnapshotServer.builder().build());
    assertTrue(e.getMessage().contains("engine") && e.getMessage().contains("tokens")
        && e.getMessage().contains("executor"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> SnapshotServer.builder().executor(Runnable::run).executor(Runnable::run));
    assertThrows(IllegalArgumentException.class, () -> SnapshotServer.builder().tokens(Map.of()));
    assertNotNull(EnumSet.allOf(SnapshotStatus.class));
  }
}
