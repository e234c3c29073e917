package io.snapshotkit.grpc;

import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.TenantId;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.spi.HostInfo;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one host's {@link HostAgent} (in practice an {@code FsHostAgent}) to control planes over
 * gRPC, protocol {@code snapshotkit.agent.v1}; {@link RemoteHostAgent} is the matching client.
 *
 * <pre>{@code
 * try (FsHostAgent agent = FsHostAgent.rootedAt(Path.of("/var/lib/snapshots"));
 *      AgentServer server = AgentServer.builder(agent)
 *          .hostId("h1")
 *          .listen("0.0.0.0", 7443)
 *          .tls(Path.of("agent.crt"), Path.of("agent.key"))
 *          .token("control-plane-a", System.getenv("SNAPSHOTKIT_TOKEN"))
 *          .start()) {
 *   server.awaitTermination();
 * }
 * }</pre>
 *
 * <p><b>Security.</b> Every call must carry a bearer token of one of the control planes given to
 * {@link Builder#token}; others are refused {@code UNAUTHENTICATED} before they reach the agent. A
 * token given with tenants ({@link Builder#token(String, String, Set)}) may act only for their
 * workloads: a call naming a workload of another tenant is refused {@code PERMISSION_DENIED} (the
 * control plane sees {@code FORBIDDEN} naming the tenant) before the agent touches anything.
 * The server speaks TLS ({@link Builder#tls}), and with {@link Builder#clientCertificates} accepts
 * only clients whose certificate a given CA issued (mutual TLS). Plain text must be chosen
 * explicitly ({@link Builder#plaintext}). A message larger than {@link Builder#maxInboundMessageSize}
 * is refused ({@code RESOURCE_EXHAUSTED}) and the server goes on serving.
 *
 * <p><b>Shutdown.</b> {@link #close()} stops taking calls, lets the calls in flight finish within
 * the {@link Builder#shutdownGrace grace period}, then cancels what is left.
 *
 * <p><b>Thread-safety:</b> thread-safe. Calls run in parallel on the server's own threads; the
 * agent must be thread-safe (as the {@link HostAgent} contract requires).
 */
public final class AgentServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AgentServer.class);

  private final Server server;
  private final ExecutorService executor;
  private final String hostId;
  private final Duration grace;
  private final int port;

  private AgentServer(Server server, ExecutorService executor, String hostId, Duration grace) {
    this.server = server;
    this.port = ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
    this.executor = executor;
    this.hostId = hostId;
    this.grace = grace;
  }

  /**
   * A builder serving {@code agent}.
   *
   * @param agent the host's agent; it implements {@link io.snapshotkit.spi.HostDiff} for diffs to be served
   */
  public static Builder builder(HostAgent agent) {
    return new Builder(Objects.requireNonNull(agent, "agent"));
  }

  /** The port the server listens on (the one chosen when {@link Builder#listen} was given port 0). */
  public int port() {
    return port;
  }

  /** The host id this server answers to {@link RemoteHostAgent#identify()}. */
  public String hostId() {
    return hostId;
  }

  /** Blocks until the server has shut down (by {@link #close()} from another thread). */
  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  /**
   * Shuts down gracefully: refuses new calls, waits up to the grace period for the calls in flight
   * to finish, then cancels the rest. Idempotent.
   */
  @Override
  public void close() {
    server.shutdown();
    boolean interrupted = false;
    try {
      if (!server.awaitTermination(grace.toNanos(), TimeUnit.NANOSECONDS)) {
        LOG.warn("host {}: calls still running after the {} grace period are cancelled", hostId, grace);
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      interrupted = true;
      server.shutdownNow();
    }
    executor.shutdownNow();
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "AgentServer[" + hostId + " on port " + port + "]";
  }

  /**
   * Configures and starts an {@link AgentServer}. Required: {@link #hostId}, {@link #listen}, at
   * least one {@link #token}, and {@link #tls} or {@link #plaintext}.
   *
   * <p><b>Thread-safety:</b> not thread-safe; use from one thread.
   */
  public static final class Builder {
    /** The default {@link #maxInboundMessageSize}: 16 MiB. */
    public static final int DEFAULT_MAX_INBOUND_MESSAGE_SIZE = 16 * 1024 * 1024;
    /** The default {@link #shutdownGrace}: 30 seconds. */
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(30);

    private final HostAgent agent;
    private HostAdmin admin;
    private String hostId;
    private String bindHost;
    private int port = -1;
    private Path certificateChain;
    private Path privateKey;
    private Path clientCa;
    private boolean plaintext;
    private final Map<String, BearerTokens.Grant> tokens = new LinkedHashMap<>();
    private int maxInboundMessageSize = DEFAULT_MAX_INBOUND_MESSAGE_SIZE;
    private Duration grace = DEFAULT_SHUTDOWN_GRACE;

    private Builder(HostAgent agent) {
      this.agent = agent;
    }

    /** The host id this agent serves, as the control plane's host directory names it. */
    public Builder hostId(String value) {
      hostId = HostInfo.checkId(value);
      return this;
    }

    /**
     * Where to listen.
     *
     * @param host the address to bind ({@code 127.0.0.1} for loopback only, {@code 0.0.0.0} for every interface)
     * @param port the port, or 0 for any free one ({@link AgentServer#port()} tells which)
     */
    public Builder listen(String host, int port) {
      Objects.requireNonNull(host, "host");
      if (port < 0 || port > 65535) {
        throw SnapshotException.invalid("a port is 0 to 65535: " + port);
      }
      this.bindHost = host;
      this.port = port;
      return this;
    }

    /**
     * Serves TLS with this certificate chain and private key (PEM files; the key in PKCS#8).
     * Clients check the certificate against their trusted CA and the address they call.
     */
    public Builder tls(Path certificateChainPem, Path privateKeyPem) {
      certificateChain = Objects.requireNonNull(certificateChainPem, "certificateChainPem");
      privateKey = Objects.requireNonNull(privateKeyPem, "privateKeyPem");
      return this;
    }

    /**
     * Requires mutual TLS: only clients presenting a certificate issued by a CA in this PEM file
     * can connect. Needs {@link #tls}.
     */
    public Builder clientCertificates(Path trustedCaPem) {
      clientCa = Objects.requireNonNull(trustedCaPem, "trustedCaPem");
      return this;
    }

    /**
     * Serves plain text instead of TLS: tokens and data cross the network unencrypted. Only for
     * loopback, or inside a network that encrypts already (a service mesh).
     */
    public Builder plaintext() {
      plaintext = true;
      return this;
    }

    /**
     * Accepts calls from a control plane that presents {@code token}. Give one token per control
     * plane; the name appears in the agent's log, never the token.
     *
     * @param controlPlane a name for the control plane
     * @param token at least 16 printable characters, no spaces
     */
    public Builder token(String controlPlane, String token) {
      return grant(controlPlane, token, Optional.empty());
    }

    /**
     * Accepts calls from a control plane that presents {@code token}, for the workloads of
     * {@code tenants} only: a call naming a workload of another tenant is refused
     * {@code PERMISSION_DENIED} (the control plane sees {@code FORBIDDEN} naming the tenant) and
     * never reaches the agent, and calls that reach every tenant's data (gc, check) are refused too.
     *
     * @param controlPlane a name for the control plane
     * @param token at least 16 printable characters, no spaces
     * @param tenants the tenants it may act for; at least one
     */
    public Builder token(String controlPlane, String token, Set<TenantId> tenants) {
      Objects.requireNonNull(tenants, "tenants");
      if (tenants.isEmpty()) {
        throw SnapshotException.invalid("a token restricted to tenants needs at least one tenant; "
            + "give none (token(controlPlane, token)) for a token that may act for every tenant");
      }
      tenants.forEach(t -> Objects.requireNonNull(t, "tenants contains null"));
      return grant(controlPlane, token, Optional.of(Set.copyOf(tenants)));
    }

    private Builder grant(String controlPlane, String token, Optional<Set<TenantId>> tenants) {
      Objects.requireNonNull(controlPlane, "controlPlane");
      Objects.requireNonNull(token, "token");
      if (controlPlane.isBlank()) {
        throw SnapshotException.invalid("a control plane's name must not be blank");
      }
      tokens.put(controlPlane, new BearerTokens.Grant(BearerTokens.checked(token), tenants));
      return this;
    }

    /**
     * Also serves {@code admin}: a workload's volumes and the repository's gc and check, for
     * control planes to call through {@link RemoteHostAgent}'s {@link HostAdmin} methods. Without
     * it those calls are answered {@code UNIMPLEMENTED}.
     */
    public Builder admin(HostAdmin value) {
      admin = Objects.requireNonNull(value, "admin");
      return this;
    }

    /** The largest request accepted, in bytes (a restore request carries the snapshot's manifest). */
    public Builder maxInboundMessageSize(int bytes) {
      if (bytes < 1024) {
        throw SnapshotException.invalid("maxInboundMessageSize must be at least 1024 bytes: " + bytes);
      }
      maxInboundMessageSize = bytes;
      return this;
    }

    /** How long {@link AgentServer#close()} lets calls in flight finish before cancelling them. */
    public Builder shutdownGrace(Duration value) {
      Objects.requireNonNull(value, "shutdownGrace");
      if (value.isNegative()) {
        throw SnapshotException.invalid("shutdownGrace must not be negative: " + value);
      }
      grace = value;
      return this;
    }

    /**
     * Binds the port and starts serving.
     *
     * @throws SnapshotException INVALID_ARGUMENT when a required setting is missing, the TLS files
     *     cannot be read, or the address cannot be bound
     */
    public AgentServer start() {
      if (hostId == null) {
        throw SnapshotException.invalid("an agent server needs its host id (hostId)");
      }
      if (bindHost == null) {
        throw SnapshotException.invalid("an agent server needs an address to listen on (listen)");
      }
      if (tokens.isEmpty()) {
        throw SnapshotException.invalid("an agent server needs at least one control plane's token (token)");
      }
      if (plaintext == (certificateChain != null)) {
        throw SnapshotException.invalid(plaintext
            ? "choose either tls or plaintext, not both"
            : "an agent server needs a TLS certificate and key (tls), or plaintext chosen explicitly");
      }
      if (clientCa != null && plaintext) {
        throw SnapshotException.invalid("client certificates need TLS (tls), not plaintext");
      }
      ServerCredentials credentials = credentials();
      ExecutorService executor = Executors.newCachedThreadPool(threads(hostId));
      Server server = NettyServerBuilder.forAddress(new InetSocketAddress(bindHost, port), credentials)
          .executor(executor)
          .maxInboundMessageSize(maxInboundMessageSize)
          // The last interceptor runs first: the token is checked before anything else.
          .addService(ServerInterceptors.intercept(
              new AgentService(agent, Optional.ofNullable(admin), hostId, executor).definition(), new HostCheck(hostId), new BearerTokens(tokens)))
          .build();
      try {
        server.start();
      } catch (IOException | RuntimeException e) {
        server.shutdownNow();
        executor.shutdownNow();
        throw new SnapshotException(ErrorCode.INVALID_ARGUMENT, "host " + hostId + " cannot listen on "
            + bindHost + ":" + port + " (" + e.getMessage() + "); choose a free port and an address of this machine", e);
      }
      AgentServer started = new AgentServer(server, executor, hostId, grace);
      LOG.info("host {}: agent server listening on {} ({}, {} control plane(s))", hostId, server.getListenSockets(),
          plaintext ? "plaintext" : clientCa != null ? "mutual TLS" : "TLS", tokens.size());
      return started;
    }

    private ServerCredentials credentials() {
      if (plaintext) {
        return InsecureServerCredentials.create();
      }
      try {
        TlsServerCredentials.Builder tls = TlsServerCredentials.newBuilder()
            .keyManager(certificateChain.toFile(), privateKey.toFile());
        if (clientCa != null) {
          tls.trustManager(clientCa.toFile()).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
        }
        return tls.build();
      } catch (IOException | RuntimeException e) {
        throw new SnapshotException(ErrorCode.INVALID_ARGUMENT, "host " + hostId
            + ": cannot read the TLS certificate, key or CA (" + e.getMessage()
            + "); give PEM files, the key unencrypted in PKCS#8", e);
      }
    }

    private static ThreadFactory threads(String hostId) {
      AtomicInteger n = new AtomicInteger();
      return r -> {
        Thread t = new Thread(r, "snapshotkit-agent-" + hostId + "-" + n.incrementAndGet());
        t.setDaemon(true);
        return t;
      };
    }
  }
}
