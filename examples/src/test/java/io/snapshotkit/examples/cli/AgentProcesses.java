package io.snapshotkit.examples.cli;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import io.snapshotkit.jdbc.testing.PostgresServer;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * {@code snapshotkit agent} JVMs for the multi-process tests: agent n keeps its repository in
 * {@code repoN}, tracks workload {@code wN} at {@code dataN} and logs to {@code agentN.out/.err},
 * all under one directory, registered in one registry with one token file. {@link #close()}
 * kills every agent it started.
 */
final class AgentProcesses implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(40);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final String registry;
  private final Path tokenFile;
  private final int heartbeatSeconds;
  private final List<Process> started = new ArrayList<>();
  /** Completes when agent n's standard output has been copied to its log to the end. */
  private final Map<Integer, CompletableFuture<Void>> logged = new ConcurrentHashMap<>();

  AgentProcesses(Path dir, String registry, Path tokenFile, int heartbeatSeconds) {
    this.dir = dir;
    this.registry = registry;
    this.tokenFile = tokenFile;
    this.heartbeatSeconds = heartbeatSeconds;
  }

  /** Starts agent {@code n} on 127.0.0.1:{@code port} and returns once it printed that it listens. */
  Process start(int n, int port) {
    return start(n, "127.0.0.1", port, List.of());
  }

  /**
   * Starts agent {@code n} listening on (and registered at) {@code host:port}, its command line
   * after {@code launcher} (e.g. {@code ip netns exec NAME}), and returns once it printed that it
   * listens.
   */
  Process start(int n, String host, int port, List<String> launcher) {
    try {
      List<String> cmd = new ArrayList<>(launcher);
      cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx128m",
          "-cp", System.getProperty("java.class.path"), Main.class.getName(),
          "--registry", registry, "--token-file", tokenFile.toString(),
          "--heartbeat", String.valueOf(heartbeatSeconds),
          "agent", "--repository", dir.resolve("repo" + n).toString(), "--listen", host + ":" + port,
          "--host-id", "h" + n, "--track", "w" + n + "=" + dir.resolve("data" + n)));
      Process p = new ProcessBuilder(cmd)
          .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("agent" + n + ".err").toFile())).start();
      synchronized (started) {
        started.add(p);
      }
      Path log = dir.resolve("agent" + n + ".out");
      String expected = "agent h" + n + " listening on " + host + ":" + port;
      CompletableFuture<Boolean> listening = new CompletableFuture<>();
      CompletableFuture<Void> eof = new CompletableFuture<>();
      logged.put(n, eof);
      Thread reader = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
          String line;
          while ((line = r.readLine()) != null) {
            Files.writeString(log, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            if (line.equals(expected)) {
              listening.complete(true);
            }
          }
        } catch (IOException e) {
          listening.completeExceptionally(e);
        }
        listening.complete(false);
        eof.complete(null);
      }, "agent" + n + "-stdout");
      reader.setDaemon(true);
      reader.start();
      if (!listening.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        fail("agent h" + n + " exited (" + p.waitFor() + ") before listening: "
            + Files.readString(dir.resolve("agent" + n + ".err")));
      }
      return p;
    } catch (Exception e) {
      throw new AssertionError("starting agent h" + n, e);
    }
  }

  /**
   * One CLI run in this JVM as the control plane of these agents ({@code --registry}, the token
   * file, the heartbeat, a host timeout of 5 s, {@code --json}), a new engine instance each time.
   */
  Run cli(String... command) {
    List<String> args = new ArrayList<>(List.of("--registry", registry, "--token-file", tokenFile.toString(),
        "--heartbeat", String.valueOf(heartbeatSeconds), "--host-timeout", "5", "--json"));
    args.addAll(List.of(command));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.run(args.toArray(String[]::new), Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), false, Clock.systemUTC());
    return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** One CLI run: its exit status and what it printed. */
  record Run(int status, String out, String err) {
    JsonNode json() throws IOException {
      return JSON.readTree(out);
    }
  }

  /** Completes when agent {@code n}'s standard output has been copied to {@code agentN.out} to the end. */
  CompletableFuture<Void> logged(int n) {
    return logged.get(n);
  }

  /** Kills every agent started, and waits for each to exit. */
  @Override
  public void close() {
    synchronized (started) {
      for (Process p : started) {
        p.destroyForcibly();
        try {
          p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /** A new database on the embedded PostgreSQL server (in this JVM; the agents connect over TCP). */
  static String postgresUrl(String prefix) {
    String database = PostgresServer.newDatabase(prefix);
    try (HikariDataSource ds = PostgresServer.pool(database, 1)) {
      String url = ds.getJdbcUrl();
      return url.contains("user=") ? url : url + (url.contains("?") ? "&" : "?") + "user=" + ds.getUsername();
    }
  }

  /** {@code count} loopback ports that were free a moment ago. */
  static int[] freePorts(int count) throws IOException {
    int[] ports = new int[count];
    List<ServerSocket> held = new ArrayList<>();
    try {
      for (int i = 0; i < count; i++) {
        ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        held.add(s);
        ports[i] = s.getLocalPort();
      }
    } finally {
      for (ServerSocket s : held) {
        s.close();
      }
    }
    return ports;
  }
}
