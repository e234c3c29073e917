package io.snapshotkit.examples.rest;

import com.sun.net.httpserver.HttpServer;
import io.snapshotkit.TenantId;
import io.snapshotkit.core.SnapshotEngine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small REST server over a {@link SnapshotEngine}, on the JDK's built-in
 * {@code com.sun.net.httpserver}: how a platform's HTTP handlers look on top of SnapshotKit.
 *
 * <pre>{@code
 * try (SnapshotServer server = SnapshotServer.builder()
 *     .engine(engine)
 *     .tokens(Map.of("s3cret-a", TenantId.of("acme")))
 *     .executor(executor)
 *     .build()
 *     .start()) {
 *   System.out.println("listening on " + server.baseUri());
 * }
 * }</pre>
 *
 * <p>Routes (every one tenant-scoped: the tenant comes from the bearer token, and another
 * tenant's snapshot answers 404 exactly like a missing one):
 *
 * <table>
 *   <caption>Routes</caption>
 *   <tr><th>method</th><th>path</th><th>does</th></tr>
 *   <tr><td>POST</td><td>/v1/workloads/{workload}/snapshots</td><td>capture (201; 202 with {@code "wait": false})</td></tr>
 *   <tr><td>GET</td><td>/v1/workloads/{workload}/snapshots</td><td>list, newest first</td></tr>
 *   <tr><td>GET</td><td>/v1/workloads/{workload}/versions</td><td>versions, oldest first</td></tr>
 *   <tr><td>POST</td><td>/v1/workloads/{workload}/rollback</td><td>roll back to {@code {"version": n}}</td></tr>
 *   <tr><td>GET</td><td>/v1/snapshots/{id}</td><td>one snapshot</td></tr>
 *   <tr><td>GET</td><td>/v1/snapshots/{id}/diff?against=current|{id}</td><td>diff</td></tr>
 *   <tr><td>POST</td><td>/v1/snapshots/{id}/restore</td><td>additive restore</td></tr>
 *   <tr><td>DELETE</td><td>/v1/snapshots/{id}</td><td>strict delete (204; 409 naming failed hosts)</td></tr>
 * </table>
 *
 * <p>Every {@link io.snapshotkit.SnapshotException} answers with its code's
 * {@link io.snapshotkit.ErrorCode#httpStatus()} and the body
 * {@code {"error": CODE, "message": ..., "failedHosts": [...]}}. A missing or unknown token is
 * 401 {@code UNAUTHENTICATED}; an unknown path 404, a wrong method 405 (with {@code Allow}); an
 * unknown or mistyped body field 400 naming it; a body over 64 KiB 413 {@code PAYLOAD_TOO_LARGE};
 * a request the executor refuses 503 {@code BUSY} (with {@code Retry-After}).
 *
 * <p><b>Threads:</b> requests run on the executor given to the builder; give it a bounded queue
 * (a {@link java.util.concurrent.ThreadPoolExecutor} with an {@code ArrayBlockingQueue}) and a
 * request it rejects is answered 503 at once instead of waiting. Requests are <em>read</em> on
 * the server's own threads (at most 64 at once; a connection beyond them is closed), so a slow
 * client never holds a request thread; a client that has not sent its whole request within the
 * {@linkplain Builder#requestTimeout request timeout} is disconnected, and one that connects and
 * sends nothing holds no thread. The JDK server runs one dispatcher thread that accepts
 * connections, and one timer thread keeps the deadlines; {@link #close()} ends all of them.
 *
 * <p><b>Thread-safety:</b> thread-safe. {@link #start()} and {@link #close()} may be called once each.
 */
public final class SnapshotServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SnapshotServer.class);
  private static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);

  private final SnapshotEngine engine;
  private final Map<String, TenantId> tokens;
  private final Executor executor;
  private final InetSocketAddress address;
  private final Duration requestTimeout;
  private final Optional<Supplier<String>> metrics;
  private final AtomicBoolean started = new AtomicBoolean();
  private volatile HttpServer server;
  private volatile RequestReaders readers;

  private SnapshotServer(Builder b) {
    this.engine = b.engine;
    this.tokens = Map.copyOf(b.tokens);
    this.executor = b.executor;
    this.address = b.address;
    this.requestTimeout = b.requestTimeout;
    this.metrics = Optional.ofNullable(b.metrics);
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Binds the address and starts serving.
   *
   * @return this server, for chaining
   * @throws IllegalStateException if already started
   * @throws UncheckedIOException if the address cannot be bound
   */
  public SnapshotServer start() {
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("this server was already started");
    }
    HttpServer http;
    try {
      http = HttpServer.create(address, 0);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on " + address + "; pick a free port (0 picks one)", e);
    }
    RequestReaders reading = new RequestReaders(requestTimeout);
    http.createContext("/", new Intake(new Routes(engine, new BearerAuth(tokens), metrics), executor));
    http.setExecutor(reading);
    http.start();
    readers = reading;
    server = http;
    log.info("snapshot REST server listening on {}", baseUri());
    return this;
  }

  /**
   * The port the server listens on (the one picked when the builder asked for port 0).
   *
   * @throws IllegalStateException before {@link #start()}
   */
  public int port() {
    return running().getAddress().getPort();
  }

  /**
   * The base URI, such as {@code http://127.0.0.1:43211}.
   *
   * @throws IllegalStateException before {@link #start()}
   */
  public URI baseUri() {
    InetSocketAddress bound = running().getAddress();
    String host = bound.getAddress().getHostAddress();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return URI.create("http://" + host + ":" + bound.getPort());
  }

  /** Stops accepting connections and ends the server's own threads; requests in flight are cut. */
  @Override
  public void close() {
    HttpServer http = server;
    if (http != null) {
      server = null;
      http.stop(0);
      readers.close();
      log.info("snapshot REST server stopped");
    }
  }

  private HttpServer running() {
    HttpServer http = server;
    if (http == null) {
      throw new IllegalStateException("the server is not running; call start() first");
    }
    return http;
  }

  /**
   * Configures a {@link SnapshotServer}. Required: {@link #engine}, {@link #tokens} and
   * {@link #executor}. Each setting may be set once; {@link #build()} reports every missing one.
   *
   * <p><b>Thread-safety:</b> not thread-safe; confine to one thread.
   */
  public static final class Builder {
    private SnapshotEngine engine;
    private Map<String, TenantId> tokens;
    private Executor executor;
    private InetSocketAddress address;
    private Duration requestTimeout;
    private Supplier<String> metrics;

    private Builder() {}

    /**
     * Optional: serve {@code GET /metrics} (any known bearer token) with what {@code scrape} returns,
     * as Prometheus's text exposition format (e.g. a Micrometer {@code PrometheusMeterRegistry::scrape}).
     * Without it, {@code /metrics} is 404.
     */
    public Builder metrics(Supplier<String> scrape) {
      metrics = once("metrics", metrics, Objects.requireNonNull(scrape, "metrics"));
      return this;
    }

    /** Required: the engine that does the work. */
    public Builder engine(SnapshotEngine value) {
      engine = once("engine", engine, value);
      return this;
    }

    /**
     * Required: bearer token → tenant. A request's tenant is the one its token maps to.
     *
     * @throws IllegalArgumentException if the map is empty or a token is blank
     */
    public Builder tokens(Map<String, TenantId> value) {
      Objects.requireNonNull(value, "tokens");
      Map<String, TenantId> copy = new LinkedHashMap<>();
      value.forEach((token, tenant) -> {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(tenant, "tenant of token");
        if (token.isBlank()) {
          throw new IllegalArgumentException("a bearer token must not be blank");
        }
        copy.put(token, tenant);
      });
      if (copy.isEmpty()) {
        throw new IllegalArgumentException("give at least one token, or nobody can use the server");
      }
      tokens = once("tokens", tokens, copy);
      return this;
    }

    /** Required: runs the request handlers. */
    public Builder executor(Executor value) {
      executor = once("executor", executor, value);
      return this;
    }

    /** Optional: where to listen; default 127.0.0.1 on a free port. */
    public Builder address(InetSocketAddress value) {
      address = once("address", address, value);
      return this;
    }

    /**
     * Optional: how long a client may take to send a whole request (line, headers and body) once
     * it has sent its first byte; a slower one is disconnected. Default 10 seconds.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder requestTimeout(Duration value) {
      Objects.requireNonNull(value, "requestTimeout");
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException("the request timeout must be positive, not " + value);
      }
      requestTimeout = once("requestTimeout", requestTimeout, value);
      return this;
    }

    /**
     * Builds a server that is not yet listening.
     *
     * @throws IllegalStateException listing every missing required setting
     */
    public SnapshotServer build() {
      List<String> missing = new ArrayList<>();
      if (engine == null) {
        missing.add("engine");
      }
      if (tokens == null) {
        missing.add("tokens");
      }
      if (executor == null) {
        missing.add("executor");
      }
      if (!missing.isEmpty()) {
        throw new IllegalStateException("cannot build a SnapshotServer; set: " + String.join(", ", missing));
      }
      if (address == null) {
        address = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
      }
      if (requestTimeout == null) {
        requestTimeout = DEFAULT_REQUEST_TIMEOUT;
      }
      return new SnapshotServer(this);
    }

    private static <T> T once(String name, T old, T value) {
      Objects.requireNonNull(value, name);
      if (old != null) {
        throw new IllegalStateException(name + " was already set");
      }
      return value;
    }
  }
}
