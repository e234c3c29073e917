package io.snapshotkit.jdbc;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Page;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotOrigin;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.TenantId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.EventOutbox;
import io.snapshotkit.spi.ManifestStore;
import io.snapshotkit.spi.ScheduleStore;
import io.snapshotkit.spi.StoreWork;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ManifestStore} on a SQL database through JDBC: SQLite (the embedded default), H2 or
 * PostgreSQL. Snapshot rows, inline manifests, version counters, the {@link EventOutbox} and the
 * capture schedules ({@link #schedules()}) live in tables prefixed {@code sk_}; {@link #blobStore()}
 * keeps large manifests in the same database.
 *
 * <pre>{@code
 * ManifestStore store = JdbcManifestStore.sqlite(Path.of("snapshots.db"));       // embedded
 * ManifestStore shared = JdbcManifestStore.postgres(pooledDataSource);            // production
 * JdbcManifestStore manual = JdbcManifestStore.builder()
 *     .postgres(pooledDataSource).migrateOnStart(false).build();                  // migrations run by you
 * manual.migrate();
 * }</pre>
 *
 * <p><b>Concurrency.</b> Quota checks, version numbers and event appends of a workload lock that
 * workload's counter row ({@code SELECT … FOR UPDATE}; on SQLite every transaction is
 * {@code BEGIN IMMEDIATE}), so they are atomic across threads and engine instances. A transaction
 * that hits a deadlock, lock timeout or busy database is rolled back and run again, up to
 * {@value #MAX_ATTEMPTS} times; {@link StoreWork} must therefore have no side effects outside the
 * transaction, as {@link ManifestStore#inTransaction} already requires.
 *
 * <p><b>Caching.</b> Manifests are cached by snapshot id (bounded by total bytes) and invalidated
 * after every transaction that stores or removes one. Another engine instance's writes do not
 * reach this cache; the engine writes a snapshot's manifest once, before it is READY, so readers
 * never see a stale one in practice. Rows are never cached.
 *
 * <p><b>Connections.</b> A store on a {@link DataSource} borrows one connection per call or
 * transaction and returns it at once; give it a pool. A store built with {@link #sqlite(Path)}
 * keeps up to four SQLite connections open between transactions (re-opening them, and the WAL
 * checkpoint SQLite runs when the last one closes, would otherwise dominate every write);
 * {@link #close()} releases them.
 *
 * <p><b>Read-only SQLite.</b> A store built with {@link #sqlite(Path)} on an existing file that
 * cannot be written (the file or its directory is read-only, as on a read-only mount) opens it
 * read-only: reads work, migrations are not run (the schema must already be current), and a write
 * is {@link ErrorCode#FORBIDDEN} naming the file. With no {@code -wal} file beside it the database
 * is read as immutable (SQLite cannot open a WAL database read-only otherwise), so no other
 * process may write it meanwhile.
 *
 * <p><b>Failure:</b> a damaged SQLite file is {@link ErrorCode#CORRUPT} naming the file and what
 * to do; an unreachable database is {@link ErrorCode#HOST_UNAVAILABLE} ("check the
 * database is reachable"), a duplicate snapshot id is {@link ErrorCode#CONFLICT}, transactions
 * that keep conflicting are {@code CONFLICT}, and every other SQL failure is
 * {@link ErrorCode#INTERNAL} with the cause kept.
 *
 * <p><b>Threading:</b> thread-safe, and safe for several engine instances sharing one PostgreSQL
 * database.
 */
public final class JdbcManifestStore implements ManifestStore, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(JdbcManifestStore.class);

  /** How many times a transaction that hit a deadlock, lock timeout or busy database is run. */
  static final int MAX_ATTEMPTS = 10;

  private final Database db;
  private final Dialect dialect;
  private final ManifestCache manifestCache;
  private final JdbcOutbox outbox;
  private final JdbcBlobStore blobStore;
  private final JdbcScheduleStore schedules;
  private final SnapshotQueries queries;
  private final ThreadLocal<Boolean> inTransaction = new ThreadLocal<>();
  private final Optional<SqliteConnections> ownConnections;
  private final StoreOpening opening;
  /** How failures name the database: with its file for SQLite. */
  private final String database;

  private JdbcManifestStore(Settings settings) {
    this.dialect = settings.dialect();
    this.opening = settings.opened();
    this.db = opening.db();
    this.ownConnections = opening.ownConnections();
    this.database = opening.database();
    this.manifestCache = new ManifestCache(settings.manifestCacheBytes());
    this.outbox = new JdbcOutbox(this);
    this.blobStore = new JdbcBlobStore(this);
    this.schedules = new JdbcScheduleStore(this);
    this.queries = new SnapshotQueries(this);
    try {
      if (opening.readOnly()) {
        opening.requireCurrentSchema();
      } else if (settings.migrateOnStart()) {
        migrate();
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * A store in the SQLite database file {@code dbFile} (created if missing), with migrations
   * run now. The embedded default: no server, one file, writers serialised by SQLite.
   */
  public static JdbcManifestStore sqlite(Path dbFile) {
    return builder().sqlite(dbFile).build();
  }

  /**
   * A store in the H2 database at {@code jdbcUrl}, with migrations run now. For an in-memory
   * database keep it alive between connections: {@code jdbc:h2:mem:name;DB_CLOSE_DELAY=-1}.
   */
  public static JdbcManifestStore h2(String jdbcUrl) {
    return builder().h2(jdbcUrl).build();
  }

  /**
   * A store in the PostgreSQL database behind {@code dataSource}, with migrations run now. Give
   * it a connection pool: every transaction borrows one connection.
   */
  public static JdbcManifestStore postgres(DataSource dataSource) {
    return builder().postgres(dataSource).build();
  }

  /** A builder for every other setting (migrations opt-out, cache size, SQLite busy timeout). */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Applies every schema migration this version ships that the database lacks, and returns the
   * schema version afterwards. Safe to call from several instances at once and when nothing is
   * missing. Called by the constructor unless {@link Builder#migrateOnStart(boolean)} turned it off.
   *
   * @throws SnapshotException {@code CONFLICT} if the database was migrated by a newer SnapshotKit
   */
  public int migrate() {
    return opening.migrate(dialect);
  }

  /** The database's applied schema version; 0 if it has no SnapshotKit tables yet. */
  public int schemaVersion() {
    return opening.schemaVersion();
  }

  /** The schema version this SnapshotKit expects ({@link #migrate()} brings a database to it). */
  public static int latestSchemaVersion() {
    return Migrations.LATEST;
  }

  /** Which database this store talks to. */
  public Dialect dialect() {
    return dialect;
  }

  /** The {@link io.snapshotkit.spi.BlobStore} for large manifests, in the same database. */
  public JdbcBlobStore blobStore() {
    return blobStore;
  }

  @Override
  public <T> T inTransaction(StoreWork<T> work) {
    Objects.requireNonNull(work, "work");
    return transaction("a snapshot store transaction", tx -> work.run(tx));
  }

  /**
   * Runs {@code body} in a transaction, retrying deadlocks, lock timeouts and a busy SQLite
   * database, and invalidating cached manifests the transaction touched once it has ended.
   */
  <T> T transaction(String what, Function<JdbcTransaction, T> body) {
    if (Boolean.TRUE.equals(inTransaction.get())) {
      throw new IllegalStateException(
          "a snapshot store transaction was started inside another one on the same thread; do all the work in one StoreWork");
    }
    inTransaction.set(Boolean.TRUE);
    try {
      for (int attempt = 1; ; attempt++) {
        JdbcTransaction[] current = new JdbcTransaction[1];
        try {
          return db.inTransaction(h -> {
            JdbcTransaction tx = new JdbcTransaction(h, dialect, database);
            current[0] = tx;
            try {
              T result = body.apply(tx);
              Optional<SnapshotException> retry = tx.retryableFailure();
              if (retry.isPresent()) {
                // The work swallowed a failure that aborted the transaction: roll back and run it again.
                throw retry.get();
              }
              return result;
            } finally {
              tx.close();
            }
          });
        } catch (RuntimeException e) {
          boolean retryable = (current[0] != null && current[0].retryableFailure().isPresent())
              || (current[0] == null || !(e instanceof SnapshotException)) && SqlFailures.isRetryable(e);
          if (retryable && attempt < MAX_ATTEMPTS) {
            LOG.debug("retrying {} after a concurrency conflict (attempt {})", what, attempt, e);
            continue;
          }
          throw surface(what, e);
        } finally {
          if (current[0] != null) {
            manifestCache.invalidate(current[0].touchedManifests());
          }
        }
      }
    } finally {
      inTransaction.remove();
    }
  }

  /** Runs a read on its own connection, with the same retry and failure mapping as transactions. */
  <T> T read(String what, Function<Handle, T> body) {
    for (int attempt = 1; ; attempt++) {
      try {
        return db.withHandle(body);
      } catch (RuntimeException e) {
        if (!(e instanceof SnapshotException) && SqlFailures.isRetryable(e) && attempt < MAX_ATTEMPTS) {
          continue;
        }
        throw surface(what, e);
      }
    }
  }

  private RuntimeException surface(String what, RuntimeException e) {
    // an SqlError always carries its SQLException, so it is mapped with the other SQL failures
    if (e instanceof SnapshotException || SqlFailures.sqlCause(e) == null) {
      return e;
    }
    return SqlFailures.map(what, e, database);
  }

  @Override
  public Optional<Snapshot> find(SnapshotId id) {
    return queries.find(id);
  }

  @Override
  public Page<Snapshot> list(SnapshotQuery query) {
    return queries.list(query);
  }

  @Override
  public List<Snapshot> versions(WorkloadRef workload) {
    return queries.versions(workload);
  }

  @Override
  public List<Snapshot> expired(Instant now, int limit) {
    return queries.expired(now, limit);
  }

  @Override
  public List<Snapshot> capturingSince(Instant before, int limit) {
    return queries.capturingSince(before, limit);
  }

  @Override
  public long usageBytes(TenantId tenant) {
    return queries.usageBytes(tenant);
  }

  @Override
  public Optional<byte[]> manifest(SnapshotId id) {
    Objects.requireNonNull(id, "id");
    byte[] bytes = manifestCache.get(id, this::loadManifest);
    return Optional.ofNullable(bytes).map(byte[]::clone);
  }

  /**
   * Where a forked snapshot's data came from: the source's workload is in the row's tenant.
   */
  @Override
  public Optional<SnapshotOrigin> origin(SnapshotId id) {
    Objects.requireNonNull(id, "id");
    return read("reading the origin of " + id, h -> h
        .createQuery("SELECT tenant, origin_snapshot, origin_workload FROM sk_snapshot "
            + "WHERE id = :id AND origin_snapshot IS NOT NULL")
        .bind("id", id.value())
        .map(rs -> new SnapshotOrigin(SnapshotId.parse(rs.getString("origin_snapshot")),
            WorkloadRef.of(TenantId.of(rs.getString("tenant")), rs.getString("origin_workload"))))
        .findOne());
  }

  private byte[] loadManifest(SnapshotId id) {
    return read("reading the manifest of " + id, h -> h
        .createQuery("SELECT content FROM sk_manifest WHERE snapshot_id = :id")
        .bind("id", id.value())
        .mapTo(byte[].class)
        .findOne()
        .orElse(null));
  }

  @Override
  public EventOutbox outbox() {
    return outbox;
  }

  @Override
  public ScheduleStore schedules() {
    return schedules;
  }

  /**
   * Closes the SQLite connections a store built with {@link #sqlite(Path)} /
   * {@link Builder#sqlite(Path)} keeps open between transactions; later calls fail with
   * {@link IllegalStateException}. A store on a {@link DataSource} or URL you gave it holds nothing
   * open between calls, so this does nothing for it: close your pool yourself. Idempotent.
   */
  @Override
  public void close() {
    ownConnections.ifPresent(SqliteConnections::close);
  }

  @Override
  public String toString() {
    return "JdbcManifestStore[" + dialect + "]";
  }

  /** The frozen settings of one store. */
  private record Settings(Dialect dialect, StoreOpening opened, boolean migrateOnStart, long manifestCacheBytes) {}

  /**
   * Builds a {@link JdbcManifestStore}. Choose exactly one database ({@link #sqlite},
   * {@link #h2}, {@link #postgres} or {@link #dataSource}); everything else has a default. A
   * setting given twice throws {@link IllegalStateException} naming the earlier value, a bad
   * value throws {@link IllegalArgumentException} at once, and {@link #build()} reports every
   * missing or contradictory setting together.
   *
   * <p><b>Threading:</b> not thread-safe; use one builder on one thread. It cannot be changed
   * after {@link #build()}.
   */
  public static final class Builder {
    /** The default bound on cached manifest bytes: 64 MiB. */
    public static final long DEFAULT_MANIFEST_CACHE_BYTES = 64L << 20;
    /** The default time a SQLite writer waits for the database lock: 30 seconds. */
    public static final Duration DEFAULT_BUSY_TIMEOUT = Duration.ofSeconds(30);

    private Dialect dialect;
    private Object target;
    private Boolean migrateOnStart;
    private Long manifestCacheBytes;
    private Duration busyTimeout;
    private boolean built;

    private Builder() {}

    /** Uses the SQLite database file {@code dbFile}, created if missing. */
    public Builder sqlite(Path dbFile) {
      Objects.requireNonNull(dbFile, "dbFile");
      return database(Dialect.SQLITE, dbFile);
    }

    /** Uses the H2 database at {@code jdbcUrl} (must start with {@code jdbc:h2:}). */
    public Builder h2(String jdbcUrl) {
      Objects.requireNonNull(jdbcUrl, "jdbcUrl");
      if (!jdbcUrl.startsWith("jdbc:h2:")) {
        throw new IllegalArgumentException("an H2 JDBC URL starts with jdbc:h2: — got " + jdbcUrl);
      }
      return database(Dialect.H2, jdbcUrl);
    }

    /** Uses the PostgreSQL database behind {@code dataSource}; give it a connection pool. */
    public Builder postgres(DataSource dataSource) {
      Objects.requireNonNull(dataSource, "dataSource");
      return database(Dialect.POSTGRES, dataSource);
    }

    /** Uses any data source of the given dialect (for SQLite, configure {@code BEGIN IMMEDIATE} yourself). */
    public Builder dataSource(Dialect dialect, DataSource dataSource) {
      Objects.requireNonNull(dialect, "dialect");
      Objects.requireNonNull(dataSource, "dataSource");
      return database(dialect, dataSource);
    }

    /**
     * Whether {@link #build()} applies missing schema migrations (default true). Turn it off when
     * your deployment runs {@link JdbcManifestStore#migrate()} (or the bundled SQL scripts) itself.
     */
    public Builder migrateOnStart(boolean migrate) {
      checkUnset("migrateOnStart", migrateOnStart);
      this.migrateOnStart = migrate;
      return this;
    }

    /** The bound on cached manifest bytes (default 64 MiB); 0 turns the manifest cache off. */
    public Builder manifestCacheBytes(long bytes) {
      checkUnset("manifestCacheBytes", manifestCacheBytes);
      if (bytes < 0) {
        throw new IllegalArgumentException("manifestCacheBytes must be 0 (off) or positive: " + bytes);
      }
      this.manifestCacheBytes = bytes;
      return this;
    }

    /** How long a SQLite writer waits for the database lock before giving up (default 30 s). */
    public Builder sqliteBusyTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      checkUnset("sqliteBusyTimeout", busyTimeout);
      if (timeout.isNegative() || timeout.toMillis() > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("sqliteBusyTimeout must be between 0 and 24 days: " + timeout);
      }
      this.busyTimeout = timeout;
      return this;
    }

    /**
     * Builds the store and, unless turned off, migrates its schema.
     *
     * @throws IllegalStateException listing every missing or contradictory setting
     * @throws SnapshotException {@code HOST_UNAVAILABLE} if migrations cannot reach the database
     */
    public JdbcManifestStore build() {
      if (built) {
        throw new IllegalStateException("this builder already built a store; use a new builder");
      }
      List<String> problems = new ArrayList<>();
      if (dialect == null) {
        problems.add("no database chosen: call sqlite(Path), h2(String), postgres(DataSource) or dataSource(Dialect, DataSource)");
      }
      if (busyTimeout != null && dialect != null && dialect != Dialect.SQLITE) {
        problems.add("sqliteBusyTimeout applies to SQLite only, but the database is " + dialect);
      }
      if (busyTimeout != null && target instanceof DataSource) {
        problems.add("sqliteBusyTimeout applies to a store built with sqlite(Path); configure your own data source instead");
      }
      if (!problems.isEmpty()) {
        throw new IllegalStateException("cannot build a JdbcManifestStore: " + String.join("; ", problems));
      }
      built = true;
      StoreOpening opened = StoreOpening.open(target, busyTimeout == null ? DEFAULT_BUSY_TIMEOUT : busyTimeout);
      return new JdbcManifestStore(new Settings(dialect, opened,
          migrateOnStart == null || migrateOnStart,
          manifestCacheBytes == null ? DEFAULT_MANIFEST_CACHE_BYTES : manifestCacheBytes));
    }

    private Builder database(Dialect chosen, Object where) {
      if (built) {
        throw new IllegalStateException("this builder already built a store; use a new builder");
      }
      if (dialect != null) {
        throw new IllegalStateException("the database was already set to " + dialect + " " + target
            + "; choose one database per store");
      }
      this.dialect = chosen;
      this.target = where;
      return this;
    }

    private void checkUnset(String name, Object current) {
      if (built) {
        throw new IllegalStateException("this builder already built a store; use a new builder");
      }
      if (current != null) {
        throw new IllegalStateException(name + " was already set to " + current);
      }
    }
  }
}
