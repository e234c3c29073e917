package io.snapshotkit.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.TenantId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.spi.HostInfo;
import io.snapshotkit.spi.HostStatus;
import io.snapshotkit.testkit.MutableClock;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The host registry on each database: registration, heartbeats, derived status, drains, placement, removal. */
@DisplayName("JdbcHostRegistry")
class JdbcHostRegistryIT {
  private static final Duration INTERVAL = Duration.ofSeconds(10);
  private static final WorkloadRef W1 = WorkloadRef.of(TenantId.of("acme"), "w1");
  private static final WorkloadRef W2 = WorkloadRef.of(TenantId.of("acme"), "w2");

  @TempDir
  Path dir;

  private final MutableClock clock = MutableClock.epoch();
  /** "hostId@address" of every agent the factory built, and which of them were closed. */
  private final List<String> builtAgents = new ArrayList<>();
  private final List<String> closedAgents = new ArrayList<>();

  /** An agent that is only an identity and can be closed: the registry never calls its SPI methods here. */
  private final BiFunction<String, String, HostAgent> factory = (hostId, address) -> {
    String name = hostId + "@" + address;
    builtAgents.add(name);
    return (HostAgent) Proxy.newProxyInstance(HostAgent.class.getClassLoader(),
        new Class<?>[] {HostAgent.class, AutoCloseable.class}, (proxy, method, args) -> switch (method.getName()) {
          case "close" -> {
            closedAgents.add(name);
            yield null;
          }
          case "toString" -> name;
          case "hashCode" -> System.identityHashCode(proxy);
          case "equals" -> proxy == args[0];
          default -> throw new UnsupportedOperationException(method.getName());
        });
  };

  private JdbcHostRegistry registry(JdbcManifestStore store) {
    return JdbcHostRegistry.on(store, clock, INTERVAL, factory);
  }

  private static HostStatus status(JdbcHostRegistry registry, String hostId) {
    return registry.hosts().stream().filter(h -> h.id().equals(hostId)).findFirst().orElseThrow().status();
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Dialect.class)
  @DisplayName("a host reads OFFLINE until its first heartbeat, ONLINE after it, and OFFLINE again once 2 intervals pass without one")
  void heartbeatsDeriveStatus(Dialect dialect) {
    try (TestDatabase db = TestDatabase.create(dialect, dir);
         JdbcManifestStore store = db.builder().build();
         JdbcHostRegistry hosts = registry(store)) {
      hosts.register("h2", "10.0.0.2:7443");
      hosts.register("h1", "10.0.0.1:7443");
      assertEquals(List.of(new HostInfo("h1", HostStatus.OFFLINE), new HostInfo("h2", HostStatus.OFFLINE)),
          hosts.hosts(), "ordered by id; never heartbeated reads OFFLINE");

      hosts.heartbeat("h1");
      assertEquals(HostStatus.ONLINE, status(hosts, "h1"));
      assertEquals(HostStatus.OFFLINE, status(hosts, "h2"));

      clock.advance(INTERVAL.multipliedBy(2).minusNanos(1));
      assertEquals(HostStatus.ONLINE, status(hosts, "h1"), "just under 2 intervals: still ONLINE");
      clock.advance(Duration.ofNanos(1));
      assertEquals(HostStatus.OFFLINE, status(hosts, "h1"), "2 intervals without a heartbeat: OFFLINE");

      hosts.heartbeat("h1");
      assertEquals(HostStatus.ONLINE, status(hosts, "h1"), "a heartbeat brings it back");
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Dialect.class)
  @DisplayName("operator calls on an unregistered host are NOT_FOUND saying to register it; agent() is HOST_UNAVAILABLE")
  void unknownHost(Dialect dialect) {
    try (TestDatabase db = TestDatabase.create(dialect, dir);
         JdbcManifestStore store = db.builder().build();
         JdbcHostRegistry hosts = registry(store)) {
      for (Runnable call : List.<Runnable>of(() -> hosts.heartbeat("h9"), () -> hosts.drain("h9"),
          () -> hosts.undrain("h9"), () -> hosts.place(W1, "h9"), () -> hosts.remove("h9"))) {
        SnapshotException e = assertThrows(SnapshotException.class, call::run);
        assertEquals(ErrorCode.NOT_FOUND, e.code());
        assertTrue(e.getMessage().contains("host h9 is not registered; register it"), e.getMessage());
      }
      SnapshotException agent = assertThrows(SnapshotException.class, () -> hosts.agent("h9"));
      assertEquals(ErrorCode.HOST_UNAVAILABLE, agent.code());
      assertTrue(agent.getMessage().contains("register it"), agent.getMessage());
      assertEquals(List.of(), hosts.hosts());
      assertEquals(Optional.empty(), hosts.hostOf(W1));
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Dialect.class)
  @DisplayName("a drained host reads DRAINING even with current or stale heartbeats, takes no new placement, and undrain brings it back")
  void drainAndUndrain(Dialect dialect) {
    try (TestDatabase db = TestDatabase.create(dialect, dir);
         JdbcManifestStore store = db.builder().build();
         JdbcHostRegistry hosts = registry(store)) {
      hosts.register("h1", "10.0.0.1:7443");
      hosts.heartbeat("h1");
      hosts.drain("h1");
      hosts.drain("h1");
      assertEquals(HostStatus.DRAINING, status(hosts, "h1"));
      clock.advance(INTERVAL.multipliedBy(5));
      assertEquals(HostStatus.DRAINING, status(hosts, "h1"), "DRAINING stays DRAINING when stale");

      SnapshotException e = assertThrows(SnapshotException.class, () -> hosts.place(W1, "h1"));
      assertEquals(ErrorCode.CONFLICT, e.code());
      assertTrue(e.getMessage().contains("host h1 is draining"), e.getMessage());
      assertEquals(Optional.empty(), hosts.hostOf(W1));

      hosts.undrain("h1");
      assertEquals(HostStatus.OFFLINE, status(hosts, "h1"), "undrained but stale");
      hosts.heartbeat("h1");
      assertEquals(HostStatus.ONLINE, status(hosts, "h1"));
      hosts.place(W1, "h1");
      assertEquals(Optional.of("h1"), hosts.hostOf(W1));
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Dialect.class)
  @DisplayName("placement moves workloads; remove is CONFLICT naming the workloads while any is placed on the host")
  void placeAndRemove(Dialect dialect) {
    try (TestDatabase db = TestDatabase.create(dialect, dir);
         JdbcManifestStore store = db.builder().build();
         JdbcHostRegistry hosts = registry(store)) {
      hosts.register("h1", "10.0.0.1:7443");
      hosts.register("h2", "10.0.0.2:7443");
      hosts.place(W1, "h1");
      hosts.place(W2, "h1");
      assertEquals(Optional.of("h1"), hosts.hostOf(W1));

      SnapshotException e = assertThrows(SnapshotException.class, () -> hosts.remove("h1"));
      assertEquals(ErrorCode.CONFLICT, e.code());
      assertTrue(e.getMessage().contains("host h1 still runs 2 workloads (acme/w1, acme/w2)"), e.getMessage());
      assertTrue(e.getMessage().contains("place them on another host or unplace them"), e.getMessage());

      hosts.place(W1, "h2");
      assertEquals(Optional.of("h2"), hosts.hostOf(W1), "placed again: moved");
      assertTrue(hosts.unplace(W2));
      assertFalse(hosts.unplace(W2));
      assertEquals(Optional.empty(), hosts.hostOf(W2));

      hosts.remove("h1");
      assertEquals(List.of("h2"), hosts.hosts().stream().map(HostInfo::id).toList());
      assertEquals(ErrorCode.NOT_FOUND, assertThrows(SnapshotException.class, () -> hosts.remove("h1")).code());
      assertEquals(ErrorCode.CONFLICT, assertThrows(SnapshotException.class, () -> hosts.remove("h2")).code());
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Dialect.class)
  @DisplayName("registering again changes the address and keeps heartbeat and drain; one agent per address, all closed with the registry")
  void reRegisterAndAgents(Dialect dialect) {
    try (TestDatabase db = TestDatabase.create(dialect, dir);
         JdbcManifestStore store = db.builder().build()) {
      JdbcHostRegistry hosts = registry(store);
      hosts.register("h1", "10.0.0.1:7443");
      hosts.heartbeat("h1");
      HostAgent first = hosts.agent("h1");
      assertSame(first, hosts.agent("h1"), "reused");

      hosts.register("h1", "10.0.0.9:7443");
      assertEquals(HostStatus.ONLINE, status(hosts, "h1"), "the heartbeat is kept");
      HostAgent moved = hosts.agent("h1");
      assertNotSame(first, moved, "a new agent for the new address");
      assertSame(moved, hosts.agent("h1"));
      hosts.drain("h1");
      hosts.register("h1", "10.0.0.9:7443");
      assertEquals(HostStatus.DRAINING, status(hosts, "h1"), "the drain is kept");
      assertEquals(List.of("h1@10.0.0.1:7443", "h1@10.0.0.9:7443"), builtAgents);
      assertEquals(List.of(), closedAgents);

      hosts.close();
      hosts.close();
      assertEquals(builtAgents, closedAgents, "every agent built is closed once");
      assertThrows(IllegalStateException.class, () -> hosts.agent("h1"));
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Dialect.class)
  @DisplayName("registeredHosts lists each host's current address with the status hosts() derives, ordered by id")
  void registeredHostsShowAddresses(Dialect dialect) {
    try (TestDatabase db = TestDatabase.create(dialect, dir);
         JdbcManifestStore store = db.builder().build();
         JdbcHostRegistry hosts = registry(store)) {
      assertEquals(List.of(), hosts.registeredHosts());
      hosts.register("h3", "10.0.0.3:7443");
      hosts.register("h1", "10.0.0.1:7443");
      hosts.register("h2", "[fd00::2]:7443");
      hosts.heartbeat("h3");
      Instant h3Beat = clock.instant();
      clock.advance(Duration.ofMillis(1_500));
      hosts.heartbeat("h1");
      Instant h1Beat = clock.instant();
      hosts.drain("h3");
      hosts.register("h1", "10.0.0.9:7443");
      assertEquals(List.of(
              new JdbcHostRegistry.RegisteredHost("h1", "10.0.0.9:7443", HostStatus.ONLINE, Optional.of(h1Beat)),
              new JdbcHostRegistry.RegisteredHost("h2", "[fd00::2]:7443", HostStatus.OFFLINE, Optional.empty()),
              new JdbcHostRegistry.RegisteredHost("h3", "10.0.0.3:7443", HostStatus.DRAINING, Optional.of(h3Beat))),
          hosts.registeredHosts(),
          "the address registered last; h2 never sent a heartbeat; h3 is drained; each with its last heartbeat");
      assertEquals(hosts.hosts(), hosts.registeredHosts().stream().map(h -> new HostInfo(h.id(), h.status())).toList());
      clock.advance(INTERVAL.multipliedBy(2));
      assertEquals(HostStatus.OFFLINE, hosts.registeredHosts().get(0).status(), "derived at each listing");
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Dialect.class)
  @DisplayName("two registries on one database see each other's registrations, heartbeats, drains and placements")
  void twoInstancesShareOneDatabase(Dialect dialect) {
    try (TestDatabase db = TestDatabase.create(dialect, dir);
         JdbcManifestStore storeA = db.builder().build();
         JdbcManifestStore storeB = db.builder().build();
         JdbcHostRegistry a = registry(storeA);
         JdbcHostRegistry b = registry(storeB)) {
      a.register("h1", "10.0.0.1:7443");
      assertEquals(HostStatus.OFFLINE, status(b, "h1"));
      a.heartbeat("h1");
      assertEquals(HostStatus.ONLINE, status(b, "h1"), "B sees A's heartbeat");
      clock.advance(INTERVAL.multipliedBy(2));
      assertEquals(HostStatus.OFFLINE, status(a, "h1"));
      b.heartbeat("h1");
      assertEquals(HostStatus.ONLINE, status(a, "h1"), "A sees B's heartbeat");
      b.drain("h1");
      assertEquals(HostStatus.DRAINING, status(a, "h1"));
      a.undrain("h1");
      b.place(W1, "h1");
      assertEquals(Optional.of("h1"), a.hostOf(W1));
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Dialect.class)
  @DisplayName("a malformed host id or address is INVALID_ARGUMENT naming the rule")
  void malformedIds(Dialect dialect) {
    try (TestDatabase db = TestDatabase.create(dialect, dir);
         JdbcManifestStore store = db.builder().build();
         JdbcHostRegistry hosts = registry(store)) {
      for (String bad : List.of("", "h 1", "h\u00e91", "h\n1", "h".repeat(254))) {
        SnapshotException e = assertThrows(SnapshotException.class, () -> hosts.register(bad, "10.0.0.1:7443"));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains("a host id is 1 to 253 printable ASCII characters without spaces"),
            e.getMessage());
        assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(SnapshotException.class, () -> hosts.heartbeat(bad)).code());
      }
      hosts.register("h".repeat(253), "10.0.0.1:7443");
      SnapshotException address = assertThrows(SnapshotException.class, () -> hosts.register("h1", "host name:1"));
      assertEquals(ErrorCode.INVALID_ARGUMENT, address.code());
      assertThrows(NullPointerException.class, () -> hosts.register(null, "a:1"));
      assertThrows(NullPointerException.class, () -> hosts.place(null, "h1"));
      assertEquals(List.of("h".repeat(253)), hosts.hosts().stream().map(HostInfo::id).toList());
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Dialect.class)
  @DisplayName("a registry on a database not yet migrated to version 3 is refused, saying to migrate")
  void unmigratedDatabaseIsRefused(Dialect dialect) {
    try (TestDatabase db = TestDatabase.create(dialect, dir)) {
      assertEquals(2, Migrations.migrate(db.sql(), dialect, 2));
      try (JdbcManifestStore store = db.builder().migrateOnStart(false).build()) {
        SnapshotException e = assertThrows(SnapshotException.class, () -> registry(store));
        assertEquals(ErrorCode.CONFLICT, e.code());
        assertTrue(e.getMessage().contains("schema version 2"), e.getMessage());
        assertTrue(e.getMessage().contains("migrate()"), e.getMessage());
        store.migrate();
        try (JdbcHostRegistry hosts = registry(store)) {
          hosts.register("h1", "10.0.0.1:7443");
          assertEquals(List.of(new HostInfo("h1", HostStatus.OFFLINE)), hosts.hosts());
        }
      }
    }
  }
}
