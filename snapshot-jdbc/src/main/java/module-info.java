/**
 * The JDBC adapters: {@link io.snapshotkit.jdbc.JdbcManifestStore} (with its blob store and event
 * outbox) and {@link io.snapshotkit.jdbc.PostgresWorkloadLock}, for SQLite, H2 and PostgreSQL.
 *
 * <p>{@code java.sql} is required transitively because the public factories take a {@link
 * javax.sql.DataSource}. The statements run on JDBC directly (no mapping library: see the
 * package-private {@code Database}). The migration scripts are resources of this module, loaded by this module's own classes, so they need no {@code opens}.
 */
module io.snapshotkit.jdbc {
  requires transitive io.snapshotkit.api;
  requires transitive java.sql;
  requires org.slf4j;
  requires com.github.benmanes.caffeine;
  requires org.xerial.sqlitejdbc;

  exports io.snapshotkit.jdbc;
}
