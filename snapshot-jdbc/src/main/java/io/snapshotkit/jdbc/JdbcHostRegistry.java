package io.snapshotkit.jdbc;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.spi.HostDirectory;
import io.snapshotkit.spi.HostInfo;
import io.snapshotkit.spi.HostStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link HostDirectory} kept in the metadata database of a {@link JdbcManifestStore} (tables
 * {@code sk_host} and {@code sk_placement}, added by schema version 3): which hosts exist, the
 * address of each host's agent, their heartbeats, and which host runs each workload. Every engine
 * instance on the same database sees the same hosts; a strict delete asks exactly these hosts.
 *
 * <pre>{@code
 * JdbcHostRegistry hosts = JdbcHostRegistry.on(store, Clock.systemUTC(), Duration.ofSeconds(10),
 *     (hostId, address) -> remoteAgent(hostId, address));   // yours: e.g. a RemoteHostAgent for "host:port"
 * hosts.register("h1", "h1.internal:7443");   // once per host, or at every agent start
 * hosts.heartbeat("h1");                      // every interval, while the agent is up
 * hosts.place(workload, "h1");                // before the first capture of the workload
 * SnapshotEngine engine = SnapshotEngine.builder().manifestStore(store).hosts(hosts)...build();
 * }</pre>
 *
 * <p><b>Listing.</b> {@link #hosts()} gives the engine each host's id and status;
 * {@link #registeredHosts()} adds the address of each host's agent, for operators.
 *
 * <p><b>Status.</b> The database keeps the status an operator set ({@link #drain}, {@link #undrain})
 * and the time of each host's last {@link #heartbeat}. {@link #hosts()} derives what the engine
 * sees: {@code DRAINING} while drained; otherwise {@code OFFLINE} when the host never sent a
 * heartbeat or its last one is at least {@code missedHeartbeats × heartbeatInterval} old (by this
 * registry's clock; instances sharing a database should keep their clocks in sync); otherwise
 * {@code ONLINE}. With the default of {@value #DEFAULT_MISSED_HEARTBEATS} missed heartbeats, a
 * killed agent reads OFFLINE within two intervals.
 *
 * <p><b>Agents.</b> {@link #agent(String)} builds a host's {@link HostAgent} with the factory the
 * application passes (for instance one {@code RemoteHostAgent} per address) the first time it is
 * asked, and reuses it afterwards. When a host is registered again at another address the next call
 * builds a new agent. Every agent built that is {@link AutoCloseable} is closed by {@link #close()}.
 *
 * <p><b>Ids.</b> Host ids are 1 to 253 printable ASCII characters without spaces (they travel in a
 * gRPC header); addresses 1 to 512 such characters. Anything else is {@code INVALID_ARGUMENT}.
 *
 * <p><b>Failure:</b> an unregistered host is {@code NOT_FOUND} for the operator calls and
 * {@code HOST_UNAVAILABLE} for {@link #agent}; database failures are mapped as the store maps them
 * ({@code HOST_UNAVAILABLE} when unreachable, {@code INTERNAL} otherwise).
 *
 * <p><b>Threading:</b> thread-safe, and safe for several instances sharing one database.
 */
public final class JdbcHostRegistry implements HostDirectory, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(JdbcHostRegistry.class);

  /** How many heartbeat intervals without a heartbeat make a host read OFFLINE, unless set: 2. */
  public static final int DEFAULT_MISSED_HEARTBEATS = 2;
  /** The longest host id accepted: 253 characters. */
  public static final int MAX_HOST_ID_LENGTH = HostInfo.MAX_ID_LENGTH;
  /** The longest agent address accepted: 512 characters. */
  public static final int MAX_ADDRESS_LENGTH = 512;

  /** The schema version that added {@code sk_host} and {@code sk_placement}. */
  private static final int HOSTS_SCHEMA_VERSION = 3;

  private final JdbcManifestStore store;
  private final Clock clock;
  private final Duration offlineAfter;
  private final BiFunction<String, String, HostAgent> agentFactory;
  /** Agents by host id, with the address each was built for. Guarded by {@code this}. */
  private final Map<String, BuiltAgent> agents = new HashMap<>();
  /** Every agent built, including those replaced after a host moved; closed by {@link #close()}. */
  private final List<HostAgent> built = new ArrayList<>();
  private boolean closed;

  private record BuiltAgent(String address, HostAgent agent) {}

  private JdbcHostRegistry(JdbcManifestStore store, Clock clock, Duration offlineAfter,
      BiFunction<String, String, HostAgent> agentFactory) {
    this.store = store;
    this.clock = clock;
    this.offlineAfter = offlineAfter;
    this.agentFactory = agentFactory;
  }

  /**
   * A registry in {@code store}'s database, reading a host OFFLINE after
   * {@value #DEFAULT_MISSED_HEARTBEATS} missed heartbeats.
   *
   * @param store the store whose database holds the hosts (it must be migrated to version 3 or later)
   * @param clock the time heartbeats are recorded and judged by
   * @param heartbeatInterval how often agents send a heartbeat; positive
   * @param agentFactory builds the agent of a host from its id and registered address
   * @throws IllegalArgumentException if {@code heartbeatInterval} is not positive
   * @throws SnapshotException {@code CONFLICT} if the database is not migrated to version 3 yet
   */
  public static JdbcHostRegistry on(JdbcManifestStore store, Clock clock, Duration heartbeatInterval,
      BiFunction<String, String, HostAgent> agentFactory) {
    return on(store, clock, heartbeatInterval, DEFAULT_MISSED_HEARTBEATS, agentFactory);
  }

  /**
   * A registry in {@code store}'s database, reading a host OFFLINE once its last heartbeat is at
   * least {@code missedHeartbeats × heartbeatInterval} old.
   *
   * @param store the store whose database holds the hosts (it must be migrated to version 3 or later)
   * @param clock the time heartbeats are recorded and judged by
   * @param heartbeatInterval how often agents send a heartbeat; positive
   * @param missedHeartbeats how many intervals without a heartbeat make a host OFFLINE; at least 1
   * @param agentFactory builds the agent of a host from its id and registered address
   * @throws IllegalArgumentException if {@code heartbeatInterval} is not positive or
   *     {@code missedHeartbeats} is below 1
   * @throws SnapshotException {@code CONFLICT} if the database is not migrated to version 3 yet
   */
  public static JdbcHostRegistry on(JdbcManifestStore store, Clock clock, Duration heartbeatInterval,
      int missedHeartbeats, BiFunction<String, String, HostAgent> agentFactory) {
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(heartbeatInterval, "heartbeatInterval");
    Objects.requireNonNull(agentFactory, "agentFactory");
    if (heartbeatInterval.isNegative() || heartbeatInterval.isZero()) {
      throw new IllegalArgumentException("heartbeatInterval must be positive: " + heartbeatInterval);
    }
    if (missedHeartbeats < 1) {
      throw new IllegalArgumentException("missedHeartbeats must be at least 1: " + missedHeartbeats);
    }
    int schema = store.schemaVersion();
    if (schema < HOSTS_SCHEMA_VERSION) {
      throw new SnapshotException(ErrorCode.CONFLICT, "the snapshot database has schema version " + schema
          + " but the host registry needs version " + HOSTS_SCHEMA_VERSION + " or later (table sk_host); run "
          + "JdbcManifestStore.migrate() (or apply the bundled V" + HOSTS_SCHEMA_VERSION + "__hosts.sql) first");
    }
    return new JdbcHostRegistry(store, clock, heartbeatInterval.multipliedBy(missedHeartbeats), agentFactory);
  }

  /**
   * Registers a host, or changes the address of a registered one. A new host has no heartbeat yet,
   * so it reads OFFLINE until its first {@link #heartbeat}; a registered host keeps its heartbeat
   * and its drain state.
   *
   * @throws SnapshotException {@code INVALID_ARGUMENT} for a malformed host id or address
   */
  public void register(String hostId, String address) {
    HostInfo.checkId(hostId);
    checkAddress(address);
    String what = "registering host " + hostId;
    store.transaction(what, tx -> tx.run(what, () -> {
      String sql = switch (tx.dialect()) {
        case POSTGRES, SQLITE -> "INSERT INTO sk_host (id, address) VALUES (:id, :a) "
            + "ON CONFLICT (id) DO UPDATE SET address = excluded.address";
        case H2 -> "MERGE INTO sk_host (id, address) KEY (id) VALUES (:id, :a)";
      };
      return tx.handle().createUpdate(sql).bind("id", hostId).bind("a", address).execute();
    }));
  }

  /**
   * Records that the host's agent is alive now (by this registry's clock).
   *
   * @throws SnapshotException {@code NOT_FOUND} if the host is not registered
   */
  public void heartbeat(String hostId) {
    HostInfo.checkId(hostId);
    long now = Codec.nanos(clock.instant());
    update("recording a heartbeat of host " + hostId, hostId,
        h -> h.createUpdate("UPDATE sk_host SET last_heartbeat = :now WHERE id = :id")
            .bind("now", now).bind("id", hostId).execute());
  }

  /**
   * Marks a host DRAINING: it takes no new placements and a strict delete is refused while it is
   * drained. Idempotent.
   *
   * @throws SnapshotException {@code NOT_FOUND} if the host is not registered
   */
  public void drain(String hostId) {
    setStatus(hostId, HostStatus.DRAINING);
  }

  /**
   * Ends a drain: the host reads ONLINE again while its heartbeats are current. Idempotent.
   *
   * @throws SnapshotException {@code NOT_FOUND} if the host is not registered
   */
  public void undrain(String hostId) {
    setStatus(hostId, HostStatus.ONLINE);
  }

  private void setStatus(String hostId, HostStatus status) {
    HostInfo.checkId(hostId);
    update("setting host " + hostId + " " + status, hostId,
        h -> h.createUpdate("UPDATE sk_host SET status = :s WHERE id = :id")
            .bind("s", status.name()).bind("id", hostId).execute());
  }

  /** Runs an update of one host's row; no row updated means the host is not registered. */
  private void update(String what, String hostId, Function<Handle, Integer> statement) {
    int updated = store.transaction(what, tx -> tx.run(what, () -> statement.apply(tx.handle())));
    if (updated == 0) {
      throw notRegistered(hostId);
    }
  }

  /**
   * Records that {@code workload} runs on {@code hostId} (moving it if it was placed elsewhere).
   * Placing only records where the workload runs; it moves no data.
   *
   * @throws SnapshotException {@code NOT_FOUND} if the host is not registered; {@code CONFLICT} if it
   *     is draining
   */
  public void place(WorkloadRef workload, String hostId) {
    Objects.requireNonNull(workload, "workload");
    HostInfo.checkId(hostId);
    String what = "placing " + workload + " on host " + hostId;
    store.transaction(what, tx -> tx.run(what, () -> {
      // Locks the host's row, so a concurrent remove() sees this placement or this call sees no host.
      String status = lockHost(tx.handle(), tx.dialect(), hostId).orElseThrow(() -> notRegistered(hostId));
      if (HostStatus.DRAINING.name().equals(status)) {
        throw new SnapshotException(ErrorCode.CONFLICT, "host " + hostId + " is draining and takes no new workloads; "
            + "place " + workload + " on another host, or undrain " + hostId + " first");
      }
      String sql = switch (tx.dialect()) {
        case POSTGRES, SQLITE -> "INSERT INTO sk_placement (tenant, workload, host_id) VALUES (:t, :w, :h) "
            + "ON CONFLICT (tenant, workload) DO UPDATE SET host_id = excluded.host_id";
        case H2 -> "MERGE INTO sk_placement (tenant, workload, host_id) KEY (tenant, workload) VALUES (:t, :w, :h)";
      };
      return tx.handle().createUpdate(sql)
          .bind("t", workload.tenant().value()).bind("w", workload.id()).bind("h", hostId).execute();
    }));
  }

  /**
   * Forgets where a workload runs ({@link #hostOf} then answers empty, as for a deleted workload).
   *
   * @return whether the workload was placed
   */
  public boolean unplace(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    String what = "removing the placement of " + workload;
    return store.transaction(what, tx -> tx.run(what, () -> tx.handle()
        .createUpdate("DELETE FROM sk_placement WHERE tenant = :t AND workload = :w")
        .bind("t", workload.tenant().value()).bind("w", workload.id()).execute() > 0));
  }

  /**
   * Removes a host from the registry (its heartbeats and drain state are forgotten). The agent built
   * for it is closed with the registry.
   *
   * @throws SnapshotException {@code NOT_FOUND} if the host is not registered; {@code CONFLICT},
   *     naming some of them, while workloads are placed on it
   */
  public void remove(String hostId) {
    HostInfo.checkId(hostId);
    String what = "removing host " + hostId;
    store.transaction(what, tx -> tx.run(what, () -> {
      Handle h = tx.handle();
      lockHost(h, tx.dialect(), hostId).orElseThrow(() -> notRegistered(hostId));
      long placed = h.createQuery("SELECT COUNT(*) FROM sk_placement WHERE host_id = :h")
          .bind("h", hostId).mapTo(Long.class).one();
      if (placed > 0) {
        List<String> some = h.createQuery("SELECT tenant, workload FROM sk_placement WHERE host_id = :h "
                + "ORDER BY tenant, workload LIMIT 5")
            .bind("h", hostId)
            .map(rs -> rs.getString(1) + "/" + rs.getString(2))
            .list();
        throw new SnapshotException(ErrorCode.CONFLICT, "host " + hostId + " still runs " + placed + " workload"
            + (placed == 1 ? "" : "s") + " (" + String.join(", ", some) + (placed > some.size() ? ", …" : "")
            + "); place them on another host or unplace them, then remove " + hostId);
      }
      return h.createUpdate("DELETE FROM sk_host WHERE id = :id").bind("id", hostId).execute();
    }));
  }

  /** The host's operator status, with its row locked for the rest of the transaction; empty if unknown. */
  private static Optional<String> lockHost(Handle h, Dialect dialect, String hostId) {
    String lock = dialect == Dialect.SQLITE ? "" : " FOR UPDATE";
    return h.createQuery("SELECT status FROM sk_host WHERE id = :id" + lock)
        .bind("id", hostId).mapTo(String.class).findOne();
  }

  /**
   * A registered host as an operator sees it: its id, the address its agent was registered at,
   * its status derived as {@link #hosts()} derives it, and when its agent last reported.
   *
   * @param id the host id
   * @param address the agent's address, as given to {@link #register}
   * @param status DRAINING, OFFLINE or ONLINE, as of the listing
   * @param lastHeartbeat the time of the host's last {@link #heartbeat}, by the registry's clock;
   *     empty if it never sent one
   */
  public record RegisteredHost(String id, String address, HostStatus status, Optional<Instant> lastHeartbeat) {
    /** Rejects nulls. */
    public RegisteredHost {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(address, "address");
      Objects.requireNonNull(status, "status");
      Objects.requireNonNull(lastHeartbeat, "lastHeartbeat");
    }
  }

  /**
   * Every registered host, ordered by id, with its status derived now: DRAINING while drained,
   * OFFLINE without a heartbeat in the last {@code missedHeartbeats × heartbeatInterval}, ONLINE
   * otherwise.
   */
  @Override
  public List<HostInfo> hosts() {
    return registeredHosts().stream().map(h -> new HostInfo(h.id(), h.status())).toList();
  }

  /**
   * Every registered host with its agent's address, ordered by id; the status is derived as in
   * {@link #hosts()}. For operators (the CLI's {@code snapshotkit hosts}); the engine uses
   * {@link #hosts()}.
   */
  public List<RegisteredHost> registeredHosts() {
    long now = Codec.boundNanos(clock.instant());
    long offlineNanos = offlineAfter.toNanos();
    return List.copyOf(store.read("listing hosts", h -> h
        .createQuery("SELECT id, address, status, last_heartbeat FROM sk_host ORDER BY id")
        .map(rs -> {
          String id = rs.getString(1);
          String address = rs.getString(2);
          String status = rs.getString(3);
          long last = rs.getLong(4);
          boolean never = rs.wasNull();
          HostStatus derived;
          if (HostStatus.DRAINING.name().equals(status)) {
            derived = HostStatus.DRAINING;
          } else if (never || now - last >= offlineNanos) {
            derived = HostStatus.OFFLINE;
          } else {
            derived = HostStatus.ONLINE;
          }
          return new RegisteredHost(id, address, derived, never ? Optional.empty() : Optional.of(Codec.instant(last)));
        })
        .list()));
  }

  /** The host the workload is placed on, or empty if it was never placed (or was unplaced). */
  @Override
  public Optional<String> hostOf(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    return store.read("resolving the host of " + workload, h -> h
        .createQuery("SELECT host_id FROM sk_placement WHERE tenant = :t AND workload = :w")
        .bind("t", workload.tenant().value()).bind("w", workload.id())
        .mapTo(String.class)
        .findOne());
  }

  /**
   * The agent of a registered host, built by the factory for its current address on first use and
   * reused afterwards.
   *
   * @throws SnapshotException {@code HOST_UNAVAILABLE} if the host is not registered or the factory
   *     cannot build its agent
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  public HostAgent agent(String hostId) {
    Objects.requireNonNull(hostId, "hostId");
    Optional<String> address = store.read("reading the address of host " + hostId, h -> h
        .createQuery("SELECT address FROM sk_host WHERE id = :id")
        .bind("id", hostId).mapTo(String.class).findOne());
    if (address.isEmpty()) {
      throw new SnapshotException(ErrorCode.HOST_UNAVAILABLE, "host '" + hostId
          + "' is not in the host registry; register it (with its agent's address) and retry");
    }
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("this host registry is closed; create a new one");
      }
      BuiltAgent current = agents.get(hostId);
      if (current != null && current.address().equals(address.get())) {
        return current.agent();
      }
      HostAgent agent;
      try {
        agent = Objects.requireNonNull(agentFactory.apply(hostId, address.get()),
            "the agent factory returned null for host " + hostId);
      } catch (SnapshotException e) {
        throw e;
      } catch (RuntimeException e) {
        throw new SnapshotException(ErrorCode.HOST_UNAVAILABLE, "could not connect to the agent of host " + hostId
            + " at " + address.get() + " (" + e.getMessage() + "); check its registered address and retry", e);
      }
      // A replaced agent may still be in use by another thread: it is closed with the registry.
      agents.put(hostId, new BuiltAgent(address.get(), agent));
      built.add(agent);
      return agent;
    }
  }

  /**
   * Closes every agent this registry built that is {@link AutoCloseable} (a failure to close one is
   * logged, and the others are still closed). The database and its store stay open. Idempotent.
   */
  @Override
  public void close() {
    List<HostAgent> toClose;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      toClose = List.copyOf(built);
      built.clear();
      agents.clear();
    }
    for (HostAgent agent : toClose) {
      if (agent instanceof AutoCloseable closeable) {
        try {
          closeable.close();
        } catch (Exception e) {
          LOG.warn("closing the host agent {} failed", agent, e);
        }
      }
    }
  }

  private static SnapshotException notRegistered(String hostId) {
    return new SnapshotException(ErrorCode.NOT_FOUND,
        "host " + hostId + " is not registered; register it with its agent's address first");
  }

  private static String checkAddress(String address) {
    return checkPrintable("host address", address, MAX_ADDRESS_LENGTH);
  }

  private static String checkPrintable(String what, String value, int maxLength) {
    Objects.requireNonNull(value, what);
    if (value.isEmpty() || value.length() > maxLength || !value.chars().allMatch(c -> c > 32 && c < 127)) {
      throw SnapshotException.invalid("a " + what + " is 1 to " + maxLength
          + " printable ASCII characters without spaces; got '" + value + "'");
    }
    return value;
  }

  @Override
  public String toString() {
    return "JdbcHostRegistry[" + store.dialect() + ", offline after " + offlineAfter + "]";
  }
}
