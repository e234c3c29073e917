package io.snapshotkit.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import io.snapshotkit.jdbc.testing.PostgresServer;
import io.snapshotkit.spi.ManifestStore;
import io.snapshotkit.testkit.EventOutboxContract;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;

/** The outbox contract on a real PostgreSQL server, a fresh database and pool per test. */
@DisplayName("JdbcOutbox on PostgreSQL")
class PostgresEventOutboxIT extends EventOutboxContract {
  private HikariDataSource pool;

  @Override
  protected ManifestStore newStore() {
    pool = PostgresServer.pool(PostgresServer.newDatabase(), 10);
    return JdbcManifestStore.postgres(pool);
  }

  @AfterEach
  void closePool() {
    if (pool != null) {
      pool.close();
    }
  }
}
