package io.snapshotkit.jdbc;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import javax.sql.DataSource;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * How a {@link JdbcManifestStore} reaches its database: the {@link Database} of a SQLite file (with
 * the store's own {@link SqliteConnections}, opened read-only when the file cannot be written), an
 * H2 URL or a data source, and the name failures give the database; then its schema
 * (migrating it, or checking a read-only one is current). Kept apart from the
 * {@link JdbcManifestStore.Builder}, which only collects and checks settings.
 *
 * @param db the database access
 * @param ownConnections the SQLite connections the store keeps open, for a SQLite file only
 * @param database how failures name the database: with its file for SQLite
 * @param readOnly whether the SQLite file exists but cannot be written, so it was opened read-only
 */
record StoreOpening(Database db, Optional<SqliteConnections> ownConnections, String database, boolean readOnly) {

  /**
   * Opens {@code target}: a SQLite file {@link Path}, an H2 JDBC URL {@link String} or a
   * {@link DataSource}. {@code busyTimeout} is used for a SQLite file only.
   */
  static StoreOpening open(Object target, Duration busyTimeout) {
    if (target instanceof Path file) {
      Path absolute = file.toAbsolutePath();
      boolean readOnly = Files.exists(absolute)
          && !(Files.isWritable(absolute) && Files.isWritable(absolute.getParent()));
      SqliteConnections connections = new SqliteConnections(sqliteDataSource(absolute, busyTimeout, readOnly));
      return new StoreOpening(new Database(connections), Optional.of(connections),
          SqlFailures.DATABASE + " " + absolute, readOnly);
    }
    Database db = target instanceof String url ? Database.of(url) : Database.of((DataSource) target);
    return new StoreOpening(db, Optional.empty(), SqlFailures.DATABASE, false);
  }

  /** Applies the schema migrations the database lacks; see {@link JdbcManifestStore#migrate()}. */
  int migrate(Dialect dialect) {
    try {
      return Migrations.migrate(db, dialect, Migrations.LATEST);
    } catch (RuntimeException e) {
      throw SqlFailures.map("migrating the snapshot database schema", e, database);
    }
  }

  /** The database's applied schema version; 0 if it has no SnapshotKit tables yet. */
  int schemaVersion() {
    try {
      return Migrations.currentVersion(db).orElse(0);
    } catch (RuntimeException e) {
      throw SqlFailures.map("reading the schema version", e, database);
    }
  }

  /** A read-only database cannot be migrated: it must already have this version's schema. */
  void requireCurrentSchema() {
    int found = schemaVersion();
    if (found > Migrations.LATEST) {
      throw Migrations.newerSchema(found);
    }
    if (found < Migrations.LATEST) {
      throw SqlFailures.readOnly("bringing its schema from version " + found + " to " + Migrations.LATEST,
          database, null);
    }
  }

  private static SQLiteDataSource sqliteDataSource(Path file, Duration busyTimeout, boolean readOnly) {
    SQLiteConfig config = new SQLiteConfig();
    config.setBusyTimeout((int) busyTimeout.toMillis());
    if (readOnly) {
      // No write lock to take and no journal mode to set. SQLite opens a WAL database read-only
      // only beside existing -wal/-shm files (it cannot create them here); without them the last
      // writer checkpointed everything into the file, which is then read as immutable.
      config.setReadOnly(true);
      config.setTransactionMode(SQLiteConfig.TransactionMode.DEFERRED);
      SQLiteDataSource ds = new SQLiteDataSource(config);
      boolean walPresent = Files.exists(file.resolveSibling(file.getFileName() + "-wal"));
      ds.setUrl("jdbc:sqlite:" + (walPresent ? file.toString() : file.toUri() + "?immutable=1"));
      return ds;
    }
    config.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
    config.setJournalMode(SQLiteConfig.JournalMode.WAL);
    config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
    SQLiteDataSource ds = new SQLiteDataSource(config);
    ds.setUrl("jdbc:sqlite:" + file);
    return ds;
  }
}
