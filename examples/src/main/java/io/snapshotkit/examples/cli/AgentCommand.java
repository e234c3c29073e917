package io.snapshotkit.examples.cli;

import io.snapshotkit.SnapshotException;
import io.snapshotkit.TenantId;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.grpc.AgentServer;
import io.snapshotkit.jdbc.JdbcHostRegistry;
import io.snapshotkit.jdbc.JdbcManifestStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs a host agent: an {@link FsHostAgent} on a repository, served by an {@link AgentServer}
 * until SIGTERM or SIGINT, optionally registered in a registry database with a heartbeat.
 *
 * <p><b>Thread-safety:</b> not thread-safe; one instance serves once.
 */
@Command(name = "agent", description = {
    "Run this machine's host agent: serve a repository over gRPC to control planes until Ctrl-C or SIGTERM.",
    "Prints 'agent ID listening on HOST:PORT' once it accepts calls.",
    "The bearer token is read from --token-file (or $" + ControlPlane.TOKEN_ENV + "), never from the command line, "
        + "which other users can see in `ps`.",
    "Without --tls-cert/--tls-key the agent serves plain text: only on loopback or an encrypted network.",
    "With --tenant the token may act only for those tenants' workloads: other calls are refused (FORBIDDEN), "
        + "and so are gc and check, which reach every tenant.",
    "With --volume-root control planes may track workloads' directories under those roots "
        + "(`snapshotkit --registry ... track WORKLOAD NAME=DIR`); without it, only --track sets volumes.",
    "With --registry it registers HOST:PORT under its host id and sends a heartbeat every --heartbeat seconds."})
final class AgentCommand extends Base {
  /** How long in-flight calls may run on after a stop signal. */
  static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(10);

  @Option(names = "--repository", required = true, paramLabel = "DIR", description = "The agent's snapshot-fs repository (created if missing).")
  Path repository;

  @Option(names = "--listen", required = true, paramLabel = "HOST:PORT",
      description = "Where to accept calls; port 0 picks a free one. Also the address registered.")
  String listen;

  @Option(names = "--host-id", required = true, paramLabel = "ID", description = "This host's id in the registry.")
  String hostId;

  @Option(names = "--tls-cert", paramLabel = "FILE", description = "PEM certificate chain to serve TLS with (needs --tls-key).")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "FILE", description = "PEM private key (unencrypted PKCS#8) of --tls-cert.")
  Path tlsKey;

  @Option(names = "--client-ca", paramLabel = "FILE", description = "Require mutual TLS: clients' certificates must be issued by this PEM CA.")
  Path clientCa;

  @Option(names = "--track", paramLabel = "WORKLOAD=DIR",
      description = "Track DIR as the one volume of WORKLOAD on this host before serving (repeatable).")
  List<String> track = new ArrayList<>();

  @Option(names = "--tenant", paramLabel = "TENANT",
      description = "Let the token act only for this tenant's workloads (repeatable; default: every tenant). "
          + "The CLI's own workloads are tenant 'local'.")
  List<String> tenants = new ArrayList<>();

  @Option(names = "--volume-root", paramLabel = "DIR",
      description = "Let control planes track volumes in existing directories under DIR (repeatable; default: none).")
  List<Path> volumeRoots = new ArrayList<>();

  @Override
  void run() {
    ControlPlane.HostPort where = ControlPlane.HostPort.parse(listen, "--listen");
    if ((tlsCert == null) != (tlsKey == null)) {
      throw SnapshotException.invalid("give --tls-cert and --tls-key together");
    }
    if (clientCa != null && tlsCert == null) {
      throw SnapshotException.invalid("--client-ca (mutual TLS) needs --tls-cert and --tls-key");
    }
    String token = root.agentToken();
    Duration heartbeat = root.heartbeat();
    Optional<String> registry = root.registry();
    CountDownLatch stopped = new CountDownLatch(1);
    CountDownLatch closed = new CountDownLatch(1);
    // On SIGTERM/SIGINT: stop taking calls, let those in flight finish (bounded), then let the JVM halt.
    Thread hook = new Thread(() -> {
      stopped.countDown();
      try {
        closed.await(SHUTDOWN_GRACE.toSeconds() + 5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "snapshotkit-agent-stop");
    ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "snapshotkit-heartbeat");
      t.setDaemon(true);
      return t;
    });
    JdbcManifestStore store = null;
    JdbcHostRegistry hosts = null;
    try (FsHostAgent agent = FsHostAgent.builder().repository(repository.toAbsolutePath()).hostId(hostId).build()) {
      for (String t : track) {
        trackOne(agent, t);
      }
      AgentServer.Builder sb = server(agent, hostId, where, token, tenants, volumeRoots);
      if (tlsCert != null) {
        sb.tls(tlsCert, tlsKey);
        if (clientCa != null) {
          sb.clientCertificates(clientCa);
        }
      } else {
        sb.plaintext();
        if (!isLoopback(where.host())) {
          out().warn("serving plain text on " + where.host() + ": the token and the data cross the network "
              + "unencrypted; give --tls-cert and --tls-key unless this network encrypts already");
        }
      }
      try (AgentServer server = sb.start()) {
        Runtime.getRuntime().addShutdownHook(hook);
        String address = new ControlPlane.HostPort(where.host(), server.port()).toString();
        if (registry.isPresent()) {
          store = ControlPlane.openStore(registry.get());
          hosts = JdbcHostRegistry.on(store, root.environment().clock(), heartbeat, ControlPlane::noRemoteCalls);
          hosts.register(hostId, address);
          hosts.heartbeat(hostId);
          JdbcHostRegistry beating = hosts;
          heartbeats.scheduleAtFixedRate(() -> beat(beating), heartbeat.toMillis(), heartbeat.toMillis(),
              TimeUnit.MILLISECONDS);
        }
        out().line("agent " + hostId + " listening on " + address);
        root.environment().out().flush();
        stopped.await();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      heartbeats.shutdownNow();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the JVM is exiting: the hook has run
      }
      if (hosts != null) {
        hosts.close();
      }
      if (store != null) {
        store.close();
      }
      // before releasing the shutdown hook: once it returns the JVM halts
      out().line("agent " + hostId + " stopped");
      root.environment().out().flush();
      closed.countDown();
    }
  }

  /**
   * The agent server of {@code agent}, before its transport is chosen: listening at {@code where},
   * accepting the CLI's {@code token} (for {@code tenants} only, when any are given), and serving
   * the agent's volumes, gc and check ({@link FsHostAdmin}, volumes only under {@code volumeRoots}).
   *
   * @throws SnapshotException INVALID_ARGUMENT for a malformed tenant or a volume root that is not a directory
   */
  static AgentServer.Builder server(FsHostAgent agent, String hostId, ControlPlane.HostPort where, String token,
      List<String> tenants, List<Path> volumeRoots) {
    AgentServer.Builder b = AgentServer.builder(agent).hostId(hostId).listen(where.host(), where.port())
        .admin(new FsHostAdmin(agent, hostId, volumeRoots)).shutdownGrace(SHUTDOWN_GRACE);
    if (tenants.isEmpty()) {
      return b.token(ControlPlane.CONTROL_PLANE_NAME, token);
    }
    Set<TenantId> scope = new LinkedHashSet<>();
    for (String t : tenants) {
      try {
        scope.add(TenantId.of(t));
      } catch (SnapshotException e) {
        throw SnapshotException.invalid("--tenant '" + t + "': " + e.getMessage());
      }
    }
    return b.token(ControlPlane.CONTROL_PLANE_NAME, token, scope);
  }

  /** One heartbeat; a failure (the database briefly unreachable) is reported and the next one tried. */
  private void beat(JdbcHostRegistry hosts) {
    try {
      hosts.heartbeat(hostId);
    } catch (RuntimeException e) {
      out().warn("heartbeat of " + hostId + " failed (" + e.getMessage() + "); trying again in " + root.heartbeat().toSeconds() + " s");
    }
  }

  private static void trackOne(FsHostAgent agent, String spec) {
    int eq = spec.indexOf('=');
    if (eq <= 0 || eq == spec.length() - 1) {
      throw SnapshotException.invalid("--track '" + spec + "' is not WORKLOAD=DIR");
    }
    agent.track(workload(spec.substring(0, eq)), AdminCommands.Track.volumes(List.of(spec.substring(eq + 1))));
  }

  private static boolean isLoopback(String host) {
    return host.equals("localhost") || host.startsWith("127.") || host.equals("::1");
  }
}
