package io.snapshotkit.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.jdbc.JdbcHostRegistry;
import io.snapshotkit.jdbc.JdbcManifestStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control-plane commands in-process on a real SQLite registry: {@code hosts}, drain and
 * undrain, {@code track --host}, and the errors of a missing registry or token and of local-only
 * commands. {@link ThreeAgentsIT} runs them against real agent processes.
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
    List<String> args = new ArrayList<>(List.of("--registry", registry.toString(), "--token-file", tokenFile.toString(),
        "--json"));
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
    assertEquals("[{\"id\":\"h1\",\"address\":\"127.0.0.1:1\",\"status\":\"ONLINE\"},"
        + "{\"id\":\"h2\",\"address\":\"127.0.0.1:2\",\"status\":\"OFFLINE\"}]",
        cp("hosts").json().toString(), "h2 never sent a heartbeat");
    Run table = run(Map.of(Home.ENV, tmp.resolve("home").toString()), "--registry", registry.toString(),
        "--token-file", tokenFile.toString(), "hosts");
    assertEquals(0, table.status(), table.err());
    List<List<String>> rows = table.out().lines().map(l -> List.of(l.trim().split("\\s+"))).toList();
    assertEquals(List.of(List.of("HOST", "ADDRESS", "STATUS"), List.of("h1", "127.0.0.1:1", "ONLINE"),
        List.of("h2", "127.0.0.1:2", "OFFLINE")), rows, table.out());
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
  void trackInControlPlaneModeNeedsAHostAndNoDirectories() {
    Run noHost = cp("track", "app");
    assertEquals(ExitCodes.of(ErrorCode.INVALID_ARGUMENT), noHost.status());
    assertTrue(noHost.err().contains("--host"), noHost.err());
    Run dirs = cp("track", "--host", "h1", "app", tmp.toString());
    assertEquals(ExitCodes.of(ErrorCode.INVALID_ARGUMENT), dirs.status());
    assertTrue(dirs.err().contains("agent --track"), dirs.err());
  }

  @Test
  void aCommandOnTheLocalRepositorySaysItDoesNotWorkWithARegistry() {
    Run r = cp("gc");
    assertEquals(ExitCodes.of(ErrorCode.INVALID_ARGUMENT), r.status(), r.err());
    assertTrue(r.err().contains("control-plane mode"), r.err());
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
