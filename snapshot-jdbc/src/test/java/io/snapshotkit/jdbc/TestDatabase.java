package io.snapshotkit.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import io.snapshotkit.jdbc.testing.PostgresServer;
import java.nio.file.Path;

/** A fresh, empty database of one dialect for a test, with a way to open stores and raw SQL on it. */
final class TestDatabase implements AutoCloseable {
  private static int h2Databases;

  final Dialect dialect;
  private final Path sqliteFile;
  private final String h2Url;
  private final HikariDataSource pool;

  private TestDatabase(Dialect dialect, Path sqliteFile, String h2Url, HikariDataSource pool) {
    this.dialect = dialect;
    this.sqliteFile = sqliteFile;
    this.h2Url = h2Url;
    this.pool = pool;
  }

  static synchronized TestDatabase create(Dialect dialect, Path dir) {
    return switch (dialect) {
      case SQLITE -> new TestDatabase(dialect, dir.resolve("snapshots.db"), null, null);
      case H2 -> new TestDatabase(dialect, null,
          "jdbc:h2:mem:testdb" + (++h2Databases) + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000", null);
      case POSTGRES -> new TestDatabase(dialect, null, null, PostgresServer.pool(PostgresServer.newDatabase(), 10));
    };
  }

  /** A store builder pointed at this database. */
  JdbcManifestStore.Builder builder() {
    return switch (dialect) {
      case SQLITE -> JdbcManifestStore.builder().sqlite(sqliteFile);
      case H2 -> JdbcManifestStore.builder().h2(h2Url);
      case POSTGRES -> JdbcManifestStore.builder().postgres(pool);
    };
  }

  /** Raw SQL on this database, for setting up and inspecting state behind the store's back. */
  Database sql() {
    return switch (dialect) {
      case SQLITE -> Database.of("jdbc:sqlite:" + sqliteFile);
      case H2 -> Database.of(h2Url);
      case POSTGRES -> Database.of(pool);
    };
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.close();
    }
    if (h2Url != null) {
      Database.of(h2Url).withHandle(h -> h.execute("DROP ALL OBJECTS"));
    }
  }

  @Override
  public String toString() {
    return dialect.toString();
  }
}
