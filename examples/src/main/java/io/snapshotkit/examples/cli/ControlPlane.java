package io.snapshotkit.examples.cli;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.grpc.HostAdmin;
import io.snapshotkit.grpc.RemoteHostAgent;
import io.snapshotkit.jdbc.JdbcHostRegistry;
import io.snapshotkit.jdbc.JdbcManifestStore;
import io.snapshotkit.jdbc.PostgresWorkloadLock;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.spi.WorkloadLock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiFunction;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The control-plane side of the CLI: the registry database named by {@code --registry} (a
 * PostgreSQL JDBC URL, or a SQLite file), the agents' bearer token, and the
 * {@link JdbcHostRegistry} whose agents are {@link RemoteHostAgent}s.
 *
 * <p><b>Thread-safety:</b> stateless.
 */
final class ControlPlane {
  /** The environment variable naming the registry when {@code --registry} is not given. */
  static final String REGISTRY_ENV = "SNAPSHOTKIT_REGISTRY";
  /** The environment variable holding the agents' bearer token when {@code --token-file} is not given. */
  static final String TOKEN_ENV = "SNAPSHOTKIT_TOKEN";
  /** The name an agent gives the CLI's token (shown in the agent's logs instead of the token). */
  static final String CONTROL_PLANE_NAME = "snapshotkit-cli";

  private ControlPlane() {}

  /** The registry from {@code --registry}, else {@value #REGISTRY_ENV}; empty for the local single-host mode. */
  static Optional<String> registry(String option, Map<String, String> env) {
    if (option != null) {
      if (option.isBlank()) {
        throw SnapshotException.invalid("--registry is empty; give a jdbc:postgresql:// URL or a SQLite file");
      }
      return Optional.of(option);
    }
    String fromEnv = env.get(REGISTRY_ENV);
    return fromEnv == null || fromEnv.isBlank() ? Optional.empty() : Optional.of(fromEnv);
  }

  /**
   * Opens (creating and migrating when needed) the registry database: {@code jdbc:postgresql://...}
   * (user and password as URL parameters), {@code jdbc:sqlite:FILE}, or a SQLite file path.
   *
   * @throws SnapshotException INVALID_ARGUMENT for another kind of URL
   */
  static JdbcManifestStore openStore(String registry) {
    Objects.requireNonNull(registry, "registry");
    if (registry.startsWith("jdbc:postgresql:")) {
      return JdbcManifestStore.postgres(postgres(registry));
    }
    String file = registry.startsWith("jdbc:sqlite:") ? registry.substring("jdbc:sqlite:".length()) : registry;
    if (file.startsWith("jdbc:")) {
      throw SnapshotException.invalid("--registry " + registry.substring(0, registry.indexOf(':', 5) + 1)
          + "... is not supported; give a jdbc:postgresql:// URL, jdbc:sqlite:FILE or a SQLite file path");
    }
    try {
      return JdbcManifestStore.sqlite(Path.of(file).toAbsolutePath());
    } catch (InvalidPathException e) {
      throw SnapshotException.invalid("--registry " + file + " is not a valid file path (" + e.getReason() + ")");
    }
  }

  /**
   * The workload lock control planes on {@code registry} share, so that two of them (two CLI
   * commands, or long-running services) never capture or restore one workload at once, as the
   * agents require: PostgreSQL advisory locks for a {@code jdbc:postgresql:} registry. Empty for a
   * SQLite registry, which has none: there, the engine's in-process lock applies, and one control
   * plane at a time should work on a workload.
   */
  static Optional<WorkloadLock> workloadLock(String registry) {
    Objects.requireNonNull(registry, "registry");
    return registry.startsWith("jdbc:postgresql:") ? Optional.of(PostgresWorkloadLock.on(postgres(registry)))
        : Optional.empty();
  }

  private static PGSimpleDataSource postgres(String url) {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(url);
    return ds;
  }

  /**
   * The bearer token the control plane and the agents share: the first line of {@code tokenFile},
   * else {@value #TOKEN_ENV}. Never taken from the command line, which other users see in {@code ps}.
   *
   * @throws SnapshotException INVALID_ARGUMENT if there is none, or it cannot be read
   */
  static String token(Path tokenFile, Map<String, String> env) {
    String token;
    if (tokenFile != null) {
      try {
        token = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        throw SnapshotException.invalid("cannot read the token file " + tokenFile + " (" + e.getMessage()
            + "); give a readable file holding the agents' token");
      }
      if (token.isEmpty()) {
        throw SnapshotException.invalid("the token file " + tokenFile + " is empty; put the agents' token in it "
            + "(e.g. `openssl rand -hex 32 > " + tokenFile + "`)");
      }
    } else {
      token = env.get(TOKEN_ENV);
      if (token == null || token.isBlank()) {
        throw SnapshotException.invalid("no agent token: give --token-file FILE or set " + TOKEN_ENV
            + " (at least 16 characters, e.g. `openssl rand -hex 32`)");
      }
      token = token.strip();
    }
    return token;
  }

  /**
   * The registry on {@code store}, whose agents are {@link RemoteHostAgent}s at the registered
   * {@code HOST:PORT} addresses, plaintext unless {@code agentCa} names the CA the agents'
   * certificates are checked against.
   */
  static JdbcHostRegistry hostRegistry(JdbcManifestStore store, Clock clock, Duration heartbeat, String token,
      Optional<Path> agentCa, Duration hostTimeout) {
    return JdbcHostRegistry.on(store, clock, heartbeat, remoteAgents(token, agentCa, hostTimeout));
  }

  /** Builds a host's {@link RemoteHostAgent} from its id and registered {@code HOST:PORT}. */
  static BiFunction<String, String, HostAgent> remoteAgents(String token, Optional<Path> agentCa,
      Duration hostTimeout) {
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(agentCa, "agentCa");
    Objects.requireNonNull(hostTimeout, "hostTimeout");
    return (hostId, address) -> {
      HostPort hp = HostPort.parse(address, "the address registered for host " + hostId);
      RemoteHostAgent.Builder b = RemoteHostAgent.builder().hostId(hostId).target(hp.host(), hp.port())
          .token(token).timeout(hostTimeout);
      if (agentCa.isPresent()) {
        b.trust(agentCa.get());
      } else {
        b.plaintext();
      }
      return b.build();
    };
  }

  /**
   * A {@code HOST:PORT} pair ({@code [v6]:PORT} for an IPv6 literal).
   *
   * @param host the host name or address
   * @param port 0 to 65535
   */
  record HostPort(String host, int port) {
    /**
     * Parses {@code text}.
     *
     * @param what names the value in the message of a malformed one
     * @throws SnapshotException INVALID_ARGUMENT if it is not HOST:PORT
     */
    static HostPort parse(String text, String what) {
      Objects.requireNonNull(text, "text");
      int colon = text.lastIndexOf(':');
      if (colon <= 0 || colon == text.length() - 1) {
        throw SnapshotException.invalid(what + " '" + text + "' is not HOST:PORT (e.g. 127.0.0.1:7443)");
      }
      String host = text.substring(0, colon);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      int port;
      try {
        port = Integer.parseInt(text.substring(colon + 1));
      } catch (NumberFormatException e) {
        port = -1;
      }
      if (port < 0 || port > 65_535) {
        throw SnapshotException.invalid(what + " '" + text + "' has no port from 0 to 65535");
      }
      return new HostPort(host, port);
    }

    @Override
    public String toString() {
      return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
  }

  /**
   * The {@link HostAdmin} of a registered host: its {@link RemoteHostAgent}, through which its
   * volumes are set and its repository's gc and check run.
   *
   * @throws SnapshotException HOST_UNAVAILABLE if the host is not registered
   */
  static HostAdmin admin(JdbcHostRegistry registry, String hostId) {
    HostAgent agent = registry.agent(hostId);
    if (agent instanceof HostAdmin admin) {
      return admin;
    }
    throw new SnapshotException(ErrorCode.INTERNAL, "the agent of host " + hostId + " is a "
        + agent.getClass().getSimpleName() + ", which cannot set volumes or run gc and check; please report it");
  }

  /**
   * Why a command that needs the local home's repository does not run in control-plane mode.
   *
   * @param command the command, as typed after {@code snapshotkit}
   * @param instead what to do instead
   */
  static SnapshotException localOnly(String command, String instead) {
    return SnapshotException.invalid("`snapshotkit " + command + "` works on a local home's repository, and --registry "
        + "(or " + REGISTRY_ENV + ") selects control-plane mode, where the files live on the agents; " + instead);
  }

  /** An agent process never asks other agents for anything: its registry only registers and heartbeats. */
  static HostAgent noRemoteCalls(String hostId, String address) {
    throw new SnapshotException(ErrorCode.INVALID_ARGUMENT, "an agent process does not call other agents (asked for "
        + hostId + " at " + address + "); run engine commands with --registry from the control plane");
  }
}
