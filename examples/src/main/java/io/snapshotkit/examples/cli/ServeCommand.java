package io.snapshotkit.examples.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.examples.internal.JsonViews;
import io.snapshotkit.examples.rest.SnapshotServer;
import io.snapshotkit.micrometer.SnapshotMetrics;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Serves the home's snapshots over the REST example ({@link SnapshotServer}) until stopped: the
 * CLI's workloads (tenant {@code local}) behind one bearer token.
 *
 * <p><b>Thread-safety:</b> not thread-safe; one instance serves once.
 */
@Command(name = "serve", description = {
    "Serve this home's snapshots over HTTP (the REST example) until Ctrl-C.",
    "Every request needs 'Authorization: Bearer TOKEN'. Other commands on this home wait while it serves.",
    "GET /metrics answers the engine's meters in Prometheus's text format (the same token).",
    "While it serves, it runs the due capture schedules (`snapshotkit schedule`) every --schedule-check.",
    "With --registry: serves the registry database's snapshots; captures, restores and deletes run on the agents."})
final class ServeCommand extends Base {
  /** Requests that may wait for one of the four request threads; more are answered 503. */
  static final int QUEUED_REQUESTS = 64;

  @Option(names = "--port", paramLabel = "PORT", description = "TCP port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port = 8080;

  @Option(names = "--bind", paramLabel = "ADDRESS", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String bind = "127.0.0.1";

  @Option(names = "--token", paramLabel = "TOKEN", description = "The bearer token to accept (default: a random one, printed).")
  String token;

  @Option(names = "--schedule-check", paramLabel = "DURATION",
      description = "How often to run the due schedules (`snapshotkit schedule`) while serving, on one thread of its own "
          + "(default: ${DEFAULT-VALUE}); 0s turns it off.")
  String scheduleCheck = "30s";

  @Override
  void run() {
    if (port < 0 || port > 65_535) {
      throw SnapshotException.invalid("--port must be 0 to 65535");
    }
    if (token != null && token.isBlank()) {
      throw SnapshotException.invalid("--token must not be blank");
    }
    Duration schedulePeriod = Format.parseDuration(scheduleCheck, "--schedule-check");
    String secret = token != null ? token : randomToken();
    InetAddress address;
    try {
      address = InetAddress.getByName(bind);
    } catch (UnknownHostException e) {
      throw SnapshotException.invalid("--bind " + bind + " is not an address of this machine");
    }
    // Four request threads and a bounded queue: a request beyond them is answered 503, not left waiting.
    ExecutorService requests = new ThreadPoolExecutor(4, 4, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUED_REQUESTS), r -> {
      Thread t = new Thread(r, "snapshotkit-http");
      t.setDaemon(true);
      return t;
    });
    // One thread of its own for the schedules: a scheduled capture never takes a request thread.
    ScheduledExecutorService schedules = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "snapshotkit-schedules");
      t.setDaemon(true);
      return t;
    });
    CountDownLatch stopped = new CountDownLatch(1);
    CountDownLatch closed = new CountDownLatch(1);
    // On Ctrl-C, let the server close before the JVM halts.
    Thread hook = new Thread(() -> {
      stopped.countDown();
      try {
        closed.await(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "snapshotkit-stop");
    // The engine's meters, served at /metrics behind the same token (snapshot-micrometer's table).
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    SnapshotMetrics metrics = SnapshotMetrics.on(meters);
    root.observeWith(metrics);
    metrics.bindTo(engine()).trackUsage(engine(), Cli.TENANT);
    try (SnapshotServer server = SnapshotServer.builder()
        .engine(engine())
        .tokens(Map.of(secret, Cli.TENANT))
        .metrics(meters::scrape)
        .executor(requests)
        .address(new InetSocketAddress(address, port))
        .build()
        .start()) {
      Runtime.getRuntime().addShutdownHook(hook);
      if (!schedulePeriod.isZero()) {
        engine().schedules().runEvery(schedules, schedulePeriod);
      }
      out().line("Listening on " + server.baseUri() + " (tenant " + Cli.TENANT.value() + "); Ctrl-C stops.");
      out().line("Try: curl -H 'Authorization: Bearer " + secret + "' " + server.baseUri() + "/v1/workloads/WORKLOAD/versions");
      out().line("Routes: examples/README.md, \"REST example\".");
      ObjectNode n = JsonViews.object();
      n.put("uri", server.baseUri().toString());
      n.put("token", secret);
      out().result(n);
      root.environment().out().flush();
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the JVM is exiting: the hook has run
      }
      schedules.shutdownNow();
      requests.shutdownNow();
      closed.countDown();
    }
    out().line("Stopped.");
  }

  private static String randomToken() {
    byte[] b = new byte[16];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
