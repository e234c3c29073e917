/**
 * The JDBC adapters: {@link io.snapshotkit.jdbc.JdbcManifestStore} (with its blob store and event
 * outbox) and {@link io.snapshotkit.jdbc.PostgresWorkloadLock}, for SQLite, H2 and PostgreSQL.
 *
 * <p>{@code java.sql} is required transitively because the public factories take a {@link
 * javax.sql.DataSource}. JDBI has no module descriptor; it is read as the automatic module named by
 * its {@code Automatic-Module-Name}, {@code org.jdbi.v3.core}. The migration scripts are resources
 * of this module, loaded by this module's own classes, so they need no {@code opens}.
 */
module io.snapshotkit.jdbc {
  requires transitive io.snapshotkit.api;
  requires transitive java.sql;
  requires org.jdbi.v3.core;
  // Not used here, but JDBI needs it at run time (Jdbi.create fails with NoClassDefFoundError
  // without it). JDBI is an automatic module and cannot require it; geantyref is an explicit module,
  // so nothing else puts it in the module graph. Found by examples' ModulePathIT.
  requires io.leangen.geantyref;
  requires org.slf4j;
  requires com.github.benmanes.caffeine;
  requires org.xerial.sqlitejdbc;

  exports io.snapshotkit.jdbc;
}
