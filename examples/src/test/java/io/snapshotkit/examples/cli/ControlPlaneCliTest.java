package io.snapshotkit.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.grpc.AgentServer;
import io.snapshotkit.jdbc.JdbcHostRegistry;
import io.snapshotkit.jdbc.JdbcManifestStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control-plane commands in-process on a real SQLite registry: {@code hosts}, drain and
 * undrain, {@code track --host}, and the errors of a missing registry or token and of local-only
 * commands; and, against real agents (FsHostAgents served over loopback gRPC in this JVM, as
 * {@code snapshotkit agent} serves them), volumes tracked from the control plane, replace restore
 * and rollback, gc and check on every host, the registry's events, and tokens scoped to tenants.
 * {@link ThreeAgentsIT} runs agents as real processes.
 */
class ControlPlaneCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;
  private Path registry;
  private Path tokenFile;

  private record Run(int status, String out, String err) {
    JsonNode json() throws IOException {
      return JSON.readTree(out);
    }
  }

  @BeforeEach
  void setUp() throws IOException {
    registry = tmp.resolve("registry.db");
    tokenFile = tmp.resolve("token");
    Files.writeString(tokenFile, "0123456789abcdef0123456789abcdef\n");
  }

  private Run run(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), false, Clock.systemUTC());
    return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private Run cp(String... command) {
    // agents registered once by these tests stay ONLINE for an hour
    List<String> args = new ArrayList<>(List.of("--registry", registry.toString(), "--token-file", tokenFile.toString(),
        "--heartbeat", "3600", "--json"));
    args.addAll(List.of(command));
    return run(Map.of(Home.ENV, tmp.resolve("home").toString()), args.toArray(String[]::new));
  }

  @Test
  void hostsWithoutARegistrySaysHowToGiveOne() {
    Run r = run(Map.of(Home.ENV, tmp.resolve("home").toString()), "hosts");
    assertEquals(ExitCodes.of(ErrorCode.INVALID_ARGUMENT), r.status(), r.err());
    assertTrue(r.err().contains("--registry") && r.err().contains(ControlPlane.REGISTRY_ENV), r.err());
  }

  @Test
  void aRegistryWithoutATokenSaysWhereTheTokenComesFrom() {
    Run r = run(Map.of(), "--registry", registry.toString(), "hosts");
    assertEquals(ExitCodes.of(ErrorCode.INVALID_ARGUMENT), r.status(), r.err());
    assertTrue(r.err().contains("--token-file") && r.err().contains(ControlPlane.TOKEN_ENV), r.err());
  }

  @Test
  void theTokenMayComeFromTheEnvironmentAndTheRegistryToo() throws IOException {
    Run r = run(Map.of(ControlPlane.TOKEN_ENV, "0123456789abcdef0123456789abcdef",
        ControlPlane.REGISTRY_ENV, registry.toString()), "--json", "hosts");
    assertEquals(0, r.status(), r.err());
    assertEquals(0, r.json().size());
  }

  @Test
  void hostsShowsEachAddressAndStatusAndDrainUndrainAndPlacementFollowTheRegistry() throws IOException {
    assertEquals(ExitCodes.of(ErrorCode.NOT_FOUND), cp("hosts", "drain", "h1").status(), "an unregistered host");
    try (JdbcManifestStore store = ControlPlane.openStore(registry.toString());
         JdbcHostRegistry hosts = JdbcHostRegistry.on(store, Clock.systemUTC(), Duration.ofSeconds(10),
             ControlPlane::noRemoteCalls)) {
      hosts.register("h1", "127.0.0.1:1");
      hosts.register("h2", "127.0.0.1:2");
      hosts.heartbeat("h1");
    }
    JsonNode listed = cp("hosts").json();
    Instant beat = Instant.parse(listed.get(0).get("lastHeartbeat").asText());
    assertTrue(Duration.between(beat, Instant.now()).abs().compareTo(Duration.ofMinutes(1)) < 0, beat.toString());
    assertEquals("[{\"id\":\"h1\",\"address\":\"127.0.0.1:1\",\"status\":\"ONLINE\",\"lastHeartbeat\":\"" + beat + "\"},"
        + "{\"id\":\"h2\",\"address\":\"127.0.0.1:2\",\"status\":\"OFFLINE\",\"lastHeartbeat\":null}]",
        listed.toString(), "h2 never sent a heartbeat");
    Run table = run(Map.of(Home.ENV, tmp.resolve("home").toString()), "--registry", registry.toString(),
        "--token-file", tokenFile.toString(), "hosts");
    assertEquals(0, table.status(), table.err());
    List<List<String>> rows = table.out().lines().map(l -> List.of(l.trim().split("\\s{2,}"))).toList();
    assertEquals(List.of(List.of("HOST", "ADDRESS", "STATUS", "HEARTBEAT"), List.of("h1", "127.0.0.1:1", "ONLINE", "just now"),
        List.of("h2", "127.0.0.1:2", "OFFLINE", "never")), rows, table.out());
    assertEquals(0, cp("hosts", "drain", "h1").status());
    assertEquals("DRAINING", cp("hosts").json().get(0).get("status").asText());
    Run refused = cp("track", "--host", "h1", "app");
    assertEquals(ExitCodes.of(ErrorCode.CONFLICT), refused.status(), "a draining host takes no new workload: " + refused.err());
    assertEquals(0, cp("hosts", "undrain", "h1").status());
    Run placed = cp("track", "--host", "h1", "app");
    assertEquals(0, placed.status(), placed.err());
    assertEquals("h1", placed.json().get("host").asText());
  }

  @Test
  void trackInControlPlaneModeNeedsAPlacedHostAndAbsoluteDirectories() {
    Run noHost = cp("track", "app");
    assertEquals(ExitCodes.of(ErrorCode.NOT_FOUND), noHost.status(), noHost.err());
    assertTrue(noHost.err().contains("not placed on any host") && noHost.err().contains("track --host ID app"), noHost.err());
    Run relative = cp("track", "--host", "h1", "app", "data=relative/dir");
    assertEquals(ExitCodes.of(ErrorCode.INVALID_ARGUMENT), relative.status(), relative.err());
    assertTrue(relative.err().contains("absolute paths on host h1"), relative.err());
  }

  @Test
  void localOnlyCommandsSayWhatToDoInstead() {
    Run export = cp("export", "app@1", tmp.resolve("app.tar.zst").toString());
    assertEquals(ExitCodes.of(ErrorCode.INVALID_ARGUMENT), export.status(), export.err());
    assertTrue(export.err().contains("control-plane mode") && export.err().contains("restore SNAPSHOT --to DIR"), export.err());
    Run importing = cp("import", tmp.resolve("app.tar.zst").toString());
    assertEquals(ExitCodes.of(ErrorCode.INVALID_ARGUMENT), importing.status(), importing.err());
    assertTrue(importing.err().contains("does not carry"), importing.err());
    Run untrack = cp("untrack", "app");
    assertEquals(ExitCodes.of(ErrorCode.NOT_FOUND), untrack.status(), untrack.err());
    assertTrue(untrack.err().contains("not placed on any host"), untrack.err());
    Run gc = cp("gc");
    assertEquals(ExitCodes.of(ErrorCode.NOT_FOUND), gc.status(), gc.err());
    assertTrue(gc.err().contains("no host is registered"), gc.err());
    assertFalse(Files.exists(tmp.resolve("home")), "no local home was created");
  }

  // ------------------------------------------------------------------ against real agents

  /** A host's agent in this JVM: its FsHostAgent on its own repository, served as `snapshotkit agent` serves it. */
  private record Agent(FsHostAgent fs, AgentServer server) implements AutoCloseable {
    @Override
    public void close() {
      server.close();
      fs.close();
    }
  }

  private final List<Agent> agents = new ArrayList<>();

  @AfterEach
  void stopAgents() {
    agents.forEach(Agent::close);
  }

  /**
   * Starts host {@code hostId}'s agent on a free loopback port with {@link AgentCommand#server}
   * (plain text, the test's token), and registers it with a heartbeat.
   */
  private Agent agent(String hostId, List<String> tenants, List<Path> volumeRoots) throws IOException {
    FsHostAgent fs = FsHostAgent.builder().repository(tmp.resolve("repo-" + hostId)).hostId(hostId).build();
    AgentServer server = AgentCommand.server(fs, hostId, new ControlPlane.HostPort("127.0.0.1", 0),
        Files.readString(tokenFile).strip(), tenants, volumeRoots).plaintext().start();
    Agent a = new Agent(fs, server);
    agents.add(a);
    try (JdbcManifestStore store = ControlPlane.openStore(registry.toString());
         JdbcHostRegistry hosts = JdbcHostRegistry.on(store, Clock.systemUTC(), Duration.ofHours(1),
             ControlPlane::noRemoteCalls)) {
      hosts.register(hostId, "127.0.0.1:" + server.port());
      hosts.heartbeat(hostId);
    }
    return a;
  }

  @Test
  void trackSetsVolumesOnThePlacedHostReplaceRestoreAndRollbackRunThereAndUntrackForgetsThem() throws IOException {
    Path root = Files.createDirectories(tmp.resolve("h1-volumes"));
    Path data = Files.createDirectories(root.resolve("app-data"));
    Files.writeString(data.resolve("a.txt"), "version one");
    Agent h1 = agent("h1", List.of(), List.of(root));

    Run tracked = cp("track", "--host", "h1", "app", "data=" + data);
    assertEquals(0, tracked.status(), tracked.err());
    assertEquals("h1", tracked.json().get("host").asText());
    assertEquals(data.toString(), tracked.json().get("volumes").get("data").asText());
    assertEquals(Optional.of(Map.of("data", data)), h1.fs().volumes(WorkloadRef.of(Cli.TENANT, "app")),
        "the host's agent tracks it");
    Run shown = cp("track", "app");
    assertEquals(0, shown.status(), shown.err());
    assertEquals(tracked.json().get("volumes"), shown.json().get("volumes"));

    assertEquals(0, cp("capture", "app").status());
    Files.writeString(data.resolve("a.txt"), "version two");
    Files.writeString(data.resolve("b.txt"), "added in two");
    assertEquals(0, cp("capture", "app").status());
    Files.writeString(data.resolve("c.txt"), "live only");
    Run diff = cp("diff", "app@1", "app@2");
    assertEquals(0, diff.status(), diff.err());
    assertTrue(diff.out().contains("data:b.txt"), "the diff streamed from the host: " + diff.out());

    Run replaced = cp("restore", "app@1", "--replace");
    assertEquals(0, replaced.status(), replaced.err());
    assertEquals("version one", Files.readString(data.resolve("a.txt")));
    assertFalse(Files.exists(data.resolve("b.txt")) || Files.exists(data.resolve("c.txt")), "replace removed what v1 lacks");
    assertTrue(replaced.json().hasNonNull("preRestoreSnapshot"), replaced.out());

    Run rolledBack = cp("rollback", "app", "2");
    assertEquals(0, rolledBack.status(), rolledBack.err());
    assertEquals("version two", Files.readString(data.resolve("a.txt")));
    assertEquals("added in two", Files.readString(data.resolve("b.txt")));
    assertFalse(Files.exists(data.resolve("c.txt")));
    // v1, v2, the safety snapshot of the replace restore, and the rollback's
    assertEquals(4, cp("versions", "app").json().size());

    Run untracked = cp("untrack", "app");
    assertEquals(0, untracked.status(), untracked.err());
    assertEquals("h1", untracked.json().get("host").asText());
    assertEquals(Optional.empty(), h1.fs().volumes(WorkloadRef.of(Cli.TENANT, "app")), "forgotten on the host");
    assertEquals(4, h1.fs().snapshots(WorkloadRef.of(Cli.TENANT, "app")).size(), "its snapshots stay");
    assertEquals(ExitCodes.of(ErrorCode.NOT_FOUND), cp("untrack", "app").status());
  }

  @Test
  void anAgentTracksOnlyExistingDirectoriesUnderItsVolumeRoots() throws IOException {
    Path root = Files.createDirectories(tmp.resolve("h1-volumes"));
    Path outside = Files.createDirectories(tmp.resolve("elsewhere"));
    agent("h1", List.of(), List.of(root));
    agent("h2", List.of(), List.of());

    Run out = cp("track", "--host", "h1", "app", "data=" + outside);
    assertEquals(ExitCodes.of(ErrorCode.FORBIDDEN), out.status(), out.err());
    assertTrue(out.err().contains("outside the volume roots of host h1"), out.err());
    assertEquals(ExitCodes.of(ErrorCode.NOT_FOUND), cp("track", "app").status(), "a refused track places nothing");
    assertEquals(0, cp("track", "--host", "h1", "app").status());
    Files.createSymbolicLink(root.resolve("link"), outside);
    Run viaLink = cp("track", "app", "data=" + root.resolve("link"));
    assertEquals(ExitCodes.of(ErrorCode.FORBIDDEN), viaLink.status(), "a link out of the root: " + viaLink.err());
    Run missing = cp("track", "app", "data=" + root.resolve("missing"));
    assertEquals(ExitCodes.of(ErrorCode.INVALID_ARGUMENT), missing.status(), missing.err());
    assertTrue(missing.err().contains("does not exist on host h1"), missing.err());

    Run noRoots = cp("track", "--host", "h2", "app", "data=" + outside);
    assertEquals(ExitCodes.of(ErrorCode.FORBIDDEN), noRoots.status(), noRoots.err());
    assertTrue(noRoots.err().contains("--volume-root"), noRoots.err());
    Run notTracked = cp("track", "app");
    assertEquals(ExitCodes.of(ErrorCode.NOT_FOUND), notTracked.status(), notTracked.err());
    assertTrue(notTracked.err().contains("no volumes on host h1"), "still placed on h1: " + notTracked.err());
  }

  @Test
  void gcAndCheckRunOnEveryHostsRepositoryAndNameTheHostsThatFail() throws IOException {
    Path root = Files.createDirectories(tmp.resolve("h1-volumes"));
    Path data = Files.createDirectories(root.resolve("app-data"));
    Files.writeString(data.resolve("big.bin"), "x".repeat(100_000));
    agent("h1", List.of(), List.of(root));
    Agent h2 = agent("h2", List.of(), List.of());
    assertEquals(0, cp("track", "--host", "h1", "app", "data=" + data).status());
    String id = cp("capture", "app").json().get("id").asText();
    assertEquals(0, cp("delete", id).status());

    Run gc = cp("gc");
    assertEquals(0, gc.status(), gc.err());
    assertEquals(List.of("h1", "h2"), List.of(gc.json().get(0).get("host").asText(), gc.json().get(1).get("host").asText()));
    assertTrue(gc.json().get(0).get("bytesReclaimed").asLong() > 0, gc.out());
    assertEquals(0, gc.json().get(1).get("contentsRemoved").asLong(), gc.out());

    assertEquals(0, cp("capture", "app").status());
    Run check = cp("check");
    assertEquals(0, check.status(), check.err());
    assertTrue(check.json().get(0).get("ok").asBoolean() && check.json().get(0).get("contentsChecked").asLong() >= 1, check.out());

    h2.close();
    agents.remove(h2);
    Run partly = cp("check", "--sample");
    assertEquals(ExitCodes.of(ErrorCode.HOST_UNAVAILABLE), partly.status(), partly.err());
    assertTrue(partly.json().get(0).get("ok").asBoolean(), "h1 still reports: " + partly.out());
    assertEquals("HOST_UNAVAILABLE", partly.json().get(1).get("error").asText(), partly.out());
    assertTrue(partly.err().contains("check failed on 1 of 2 hosts") && partly.err().contains("[hosts: h2]"), partly.err());
    Run one = cp("gc", "--host", "h1");
    assertEquals(0, one.status(), one.err());
    assertEquals(1, one.json().size());
  }

  @Test
  void eventsInControlPlaneModeAreTheRegistrysAndNoLocalHomeIsMade() throws IOException {
    Path root = Files.createDirectories(tmp.resolve("h1-volumes"));
    Path data = Files.createDirectories(root.resolve("app-data"));
    Files.writeString(data.resolve("a.txt"), "alpha");
    agent("h1", List.of(), List.of(root));
    assertEquals(0, cp("track", "--host", "h1", "app", "data=" + data).status());
    String id = cp("capture", "app").json().get("id").asText();

    Run events = cp("events");
    assertEquals(0, events.status(), events.err());
    List<String> created = new ArrayList<>();
    events.json().forEach(e -> {
      if (e.get("type").asText().equals("snapshot.created")) {
        created.add(e.get("snapshot").asText());
      }
    });
    assertEquals(List.of(id), created, events.out());
    assertEquals(0, cp("events").json().size(), "the cursor moved past them");
    assertFalse(Files.exists(tmp.resolve("home")), "no local home was created");
  }

  @Test
  void serveInControlPlaneModeServesTheRegistrysSnapshotsAndCapturesOnTheAgents() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("h1-volumes"));
    Path data = Files.createDirectories(root.resolve("app-data"));
    Files.writeString(data.resolve("a.txt"), "alpha");
    Agent h1 = agent("h1", List.of(), List.of(root));
    assertEquals(0, cp("track", "--host", "h1", "app", "data=" + data).status());
    assertEquals(0, cp("capture", "app").status());

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int[] status = {-1};
    Thread server = new Thread(() -> status[0] = Main.run(new String[] {"--registry", registry.toString(), "--token-file",
        tokenFile.toString(), "--heartbeat", "3600", "--json", "serve", "--port", "0", "--token", "t0ken"},
        Map.of(Home.ENV, tmp.resolve("home").toString()), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), false, Clock.systemUTC()));
    server.start();
    while (!out.toString(StandardCharsets.UTF_8).contains("}")) {
      assertTrue(server.isAlive(), "serve stopped early: " + out);
      Thread.onSpinWait();
    }
    String uri = JSON.readTree(out.toString(StandardCharsets.UTF_8)).path("uri").asText();
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> versions = http.send(HttpRequest.newBuilder(URI.create(uri + "/v1/workloads/app/versions"))
        .header("Authorization", "Bearer t0ken").build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, versions.statusCode(), versions.body());
    assertEquals(1, JSON.readTree(versions.body()).size(), versions.body());
    HttpResponse<String> captured = http.send(HttpRequest.newBuilder(URI.create(uri + "/v1/workloads/app/snapshots"))
        .header("Authorization", "Bearer t0ken").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
    assertTrue(captured.statusCode() / 100 == 2, captured.statusCode() + " " + captured.body());
    server.interrupt();
    server.join();
    assertEquals(0, status[0]);
    assertEquals(2, h1.fs().snapshots(WorkloadRef.of(Cli.TENANT, "app")).size(), "the REST capture ran on the agent");
    assertEquals(2, cp("versions", "app").json().size(), "and is recorded in the registry database");
    assertFalse(Files.exists(tmp.resolve("home")), "no local home was created");
  }

  @Test
  void aTokenScopedToAnotherTenantIsRefusedNamingTheTenant() throws IOException {
    Path root = Files.createDirectories(tmp.resolve("h1-volumes"));
    Path data = Files.createDirectories(root.resolve("app-data"));
    Files.writeString(data.resolve("a.txt"), "alpha");
    Agent h1 = agent("h1", List.of("other"), List.of(root));
    WorkloadRef app = WorkloadRef.of(Cli.TENANT, "app");
    h1.fs().track(app, Map.of("data", data));
    assertEquals(0, cp("track", "--host", "h1", "app").status());

    Run capture = cp("capture", "app");
    assertEquals(ExitCodes.of(ErrorCode.FORBIDDEN), capture.status(), capture.err());
    assertTrue(capture.err().contains("not for tenant 'local'") && capture.err().contains("tenant(s) other"), capture.err());
    assertEquals(List.of(), h1.fs().snapshots(app), "the agent captured nothing");
    Run gc = cp("gc");
    assertEquals(ExitCodes.of(ErrorCode.FORBIDDEN), gc.status(), gc.err());

    agents.remove(h1);
    h1.close();
    Agent allowed = agent("h1", List.of("other", Cli.TENANT.value()), List.of(root));
    Run again = cp("capture", "app");
    assertEquals(0, again.status(), again.err());
    assertEquals(1, allowed.fs().snapshots(app).size());

    Run badTenant = cp("agent", "--repository", tmp.resolve("repo-h3").toString(), "--listen", "127.0.0.1:0",
        "--host-id", "h3", "--tenant", "../etc");
    assertEquals(ExitCodes.of(ErrorCode.INVALID_ARGUMENT), badTenant.status(), badTenant.err());
    assertTrue(badTenant.err().contains("--tenant '../etc'"), badTenant.err());
  }

  @Test
  void anAgentRefusesAMalformedListenAddressAndHalfATlsPair() {
    Run listen = cp("agent", "--repository", tmp.resolve("repo").toString(), "--listen", "127.0.0.1", "--host-id", "h1");
    assertEquals(ExitCodes.of(ErrorCode.INVALID_ARGUMENT), listen.status());
    assertTrue(listen.err().contains("HOST:PORT"), listen.err());
    Run tls = cp("agent", "--repository", tmp.resolve("repo").toString(), "--listen", "127.0.0.1:0", "--host-id", "h1",
        "--tls-cert", tmp.resolve("c.pem").toString());
    assertEquals(ExitCodes.of(ErrorCode.INVALID_ARGUMENT), tls.status());
    assertTrue(tls.err().contains("--tls-key"), tls.err());
  }
}
