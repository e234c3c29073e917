package io.snapshotkit.jdbc;

/**
 * The SQL databases {@link JdbcManifestStore} supports. Each has its own migration scripts under
 * {@code io/snapshotkit/jdbc/<resourceDirectory>/} and its own way of locking.
 *
 * <p><b>Thread-safety:</b> immutable.
 */
public enum Dialect {
  /**
   * SQLite, the embedded default. Every transaction starts with {@code BEGIN IMMEDIATE}, so
   * writers are serialised by the database file lock and wait up to the busy timeout.
   */
  SQLITE("sqlite"),
  /** H2, embedded or in memory; row locks with {@code SELECT … FOR UPDATE}. */
  H2("h2"),
  /**
   * PostgreSQL, for production and for several engine instances on one database: row locks,
   * {@code FOR UPDATE SKIP LOCKED} claims and advisory workload locks.
   */
  POSTGRES("postgres");

  private final String resourceDirectory;

  Dialect(String resourceDirectory) {
    this.resourceDirectory = resourceDirectory;
  }

  /** The directory below {@code io/snapshotkit/jdbc/} that holds this dialect's migrations. */
  public String resourceDirectory() {
    return resourceDirectory;
  }
}
