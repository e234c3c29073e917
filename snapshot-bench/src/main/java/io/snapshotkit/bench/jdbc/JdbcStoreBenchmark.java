package io.snapshotkit.bench.jdbc;

import io.snapshotkit.EventType;
import io.snapshotkit.ManifestRef;
import io.snapshotkit.Page;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.TenantId;
import io.snapshotkit.Trigger;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.SnapshotEngine;
import io.snapshotkit.jdbc.JdbcManifestStore;
import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.testkit.FakeHostDirectory;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;
import org.sqlite.SQLiteConfig;

/**
 * Metadata-only capture and list throughput of {@link JdbcManifestStore} on SQLite and PostgreSQL,
 * each measured <em>at the same time</em> as a raw-JDBC anchor on an identical schema: every JMH
 * group runs the store side and the anchor side in two threads side by side, so both see the same
 * machine load (the machine these figures come from is shared), and the ratio of their scores is
 * the store's overhead. Each side has its own database (SQLite file or PostgreSQL database).
 *
 * <p>{@code capture} group. {@code captureStore}: the store calls of one engine capture, without
 * the host: transaction 1 {@code insertCapturing} (unlimited plan) + {@code append(capture.started)};
 * transaction 2 {@code find} + {@code nextVersion} + {@code compareAndSet(CAPTURING → READY)} +
 * {@code putManifest} (a 1 KiB inline manifest) + {@code append(created)}: exactly
 * {@code SnapshotEngine.capture}'s admit and commit. {@code captureRaw} (the anchor): the same rows
 * with hand-written JDBC in two transactions — INSERT snapshot + INSERT event; UPDATE the
 * workload's version counter, UPDATE the snapshot to READY, INSERT manifest, INSERT event — with
 * none of the store's row lock, duplicate-id check, quota count, outbox fan-out, retry or mapping.
 *
 * <p>{@code engine} group. {@code engineCapture}: a whole {@code SnapshotEngine.capture} on the
 * store with an in-memory host agent; {@code engineRaw}: the same anchor as above.
 *
 * <p>{@code list} group. The first page (50 rows, newest first) of a tenant with
 * {@value #LIST_ROWS} READY snapshots; the store maps rows to {@link Snapshot} records, the anchor
 * reads every column of the same SELECT.
 *
 * <p>The store's SQLite connections are the ones {@link JdbcManifestStore#sqlite(Path)} opens and
 * keeps ({@code BEGIN IMMEDIATE}, WAL, synchronous NORMAL); the SQLite anchor keeps one connection
 * with the same settings. On PostgreSQL (an embedded server started in {@code @Setup}) both sides
 * borrow from the same kind of small pool. Captures rotate over {@value #CAPTURE_WORKLOADS} workloads.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class JdbcStoreBenchmark {
  static final int LIST_ROWS = 5_000;
  static final int LIST_LIMIT = 50;
  private static final int CAPTURE_WORKLOADS = 1_024;
  private static final Instant BASE = Instant.parse("2026-01-01T00:00:00Z");
  private static final TenantId CAPTURER = TenantId.of("acme");
  private static final TenantId LISTER = TenantId.of("lister");
  private static final String COLUMNS = "id, tenant, workload, version, name, trig, status, parent, created_at, "
      + "expires_at, size_bytes, partial, protected, labels, host, manifest_ref, failure";

  /** Which database: {@code SQLITE} (a file in a temporary directory) or {@code POSTGRES} (embedded server). */
  @Param({"SQLITE", "POSTGRES"})
  public String database;

  private Path dir;
  private EmbeddedPostgres postgres;
  private SimplePool storePool;
  private SimplePool rawPool;
  private Connection rawSqlite;
  private JdbcManifestStore store;
  private JdbcManifestStore rawSchema;
  private SnapshotEngine engine;
  private final WorkloadRef[] workloads = new WorkloadRef[CAPTURE_WORKLOADS];
  private byte[] manifest;
  private String manifestRef;

  /** One measuring thread's position in the workload rotation and time line, and its id randomness. */
  @State(Scope.Thread)
  public static class Cursor {
    private final SplittableRandom random = new SplittableRandom(42);
    private long n;

    WorkloadRef workload(WorkloadRef[] all) {
      return all[(int) (n % all.length)];
    }

    Instant next() {
      return BASE.plusMillis(n++);
    }
  }

  /** Starts the database, migrates two identical schemas (store's and anchor's) and fills the list tenant. */
  @Setup(Level.Trial)
  public void setUp() throws Exception {
    for (int i = 0; i < CAPTURE_WORKLOADS; i++) {
      workloads[i] = WorkloadRef.of(CAPTURER.value(), "w" + i);
    }
    manifest = ("{\"files\":[" + "\"x\",".repeat(200) + "\"y\"]}").getBytes(StandardCharsets.UTF_8);
    if (database.equals("SQLITE")) {
      dir = Files.createTempDirectory("sk-jdbc-bench");
      store = JdbcManifestStore.sqlite(dir.resolve("store.db"));
      rawSchema = JdbcManifestStore.sqlite(dir.resolve("raw.db"));
      SQLiteConfig config = new SQLiteConfig();
      config.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
      config.setBusyTimeout(30_000);
      config.setJournalMode(SQLiteConfig.JournalMode.WAL);
      config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
      rawSqlite = config.createConnection("jdbc:sqlite:" + dir.resolve("raw.db"));
    } else if (database.equals("POSTGRES")) {
      postgres = EmbeddedPostgres.builder().start();
      try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE store_db");
        s.execute("CREATE DATABASE raw_db");
      }
      storePool = new SimplePool(postgres.getDatabase("postgres", "store_db"));
      rawPool = new SimplePool(postgres.getDatabase("postgres", "raw_db"));
      store = JdbcManifestStore.postgres(storePool);
      rawSchema = JdbcManifestStore.postgres(rawPool);
    } else {
      throw new IllegalArgumentException("database is SQLITE or POSTGRES: " + database);
    }
    manifestRef = "{\"counts\":{\"files\":201},\"bytes\":" + manifest.length + "}";
    FakeHostDirectory hosts = FakeHostDirectory.withHosts(1);
    for (WorkloadRef w : workloads) {
      hosts.agentFor("h1").createWorkload(w);
      hosts.place(w, "h1");
    }
    engine = SnapshotEngine.builder()
        .manifestStore(store)
        .hosts(hosts)
        .lifecycle(Lifecycle.none())
        .clock(Clock.systemUTC())
        .executor(Runnable::run)
        .build();
    // The same list rows in both databases, written through the store so they are valid rows.
    fillListTenant(store);
    fillListTenant(rawSchema);
    Connection c = borrow();
    try (Statement s = c.createStatement()) {
      for (WorkloadRef w : workloads) {
        s.executeUpdate("INSERT INTO sk_workload (tenant, workload, last_version) VALUES ('"
            + w.tenant().value() + "', '" + w.id() + "', 0)");
      }
    } finally {
      release(c);
    }
  }

  private static void fillListTenant(JdbcManifestStore target) {
    SplittableRandom ids = new SplittableRandom(7);
    int perTransaction = 500;
    for (int from = 0; from < LIST_ROWS; from += perTransaction) {
      int start = from;
      target.inTransaction(tx -> {
        for (int i = start; i < start + perTransaction; i++) {
          WorkloadRef w = WorkloadRef.of(LISTER.value(), "w" + (i % 10));
          Instant at = BASE.plusSeconds(i);
          Snapshot row = Snapshot.capturing(SnapshotId.generate(at, ids), w, "snap-" + i, Trigger.SCHEDULE,
              Optional.empty(), at, Optional.of(at.plusSeconds(86_400)), Map.of("team", "core"));
          tx.insertCapturing(row, -1);
          tx.compareAndSet(SnapshotStatus.CAPTURING, row.ready(tx.nextVersion(w), OptionalLong.of(4096L + i), false,
              ManifestRef.inline(Map.of("files", 201), 1024)));
        }
        return null;
      });
    }
  }

  /** The anchor's connection: SQLite's one long-lived connection, or one borrowed from the pool. */
  private Connection borrow() throws SQLException {
    return rawSqlite != null ? rawSqlite : rawPool.getConnection();
  }

  private void release(Connection c) throws SQLException {
    if (c != rawSqlite) {
      c.close();
    }
  }

  /** Removes the temporary database files or stops the embedded server. */
  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    engine.close();
    store.close();
    rawSchema.close();
    if (rawSqlite != null) {
      rawSqlite.close();
    }
    if (storePool != null) {
      storePool.close();
      rawPool.close();
    }
    if (postgres != null) {
      postgres.close();
    }
    if (dir != null) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> {
          try {
            Files.delete(p);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
      }
    }
  }

  /** The store's capture path, as {@code SnapshotEngine.capture} drives it. */
  @Benchmark
  @Group("capture")
  @GroupThreads(1)
  public Snapshot captureStore(Cursor cursor) {
    WorkloadRef w = cursor.workload(workloads);
    Instant at = cursor.next();
    Snapshot row = Snapshot.capturing(SnapshotId.generate(at, cursor.random), w, "bench", Trigger.MANUAL, Optional.empty(),
        at, Optional.empty(), Map.of());
    store.inTransaction(tx -> {
      if (tx.insertCapturing(row, -1).admitted()) {
        tx.append(new SnapshotEvent("s-" + row.id(), EventType.CAPTURE_STARTED, w, Optional.of(row.id()), 0, at,
            Map.of("trigger", "manual")));
      }
      return null;
    });
    return store.inTransaction(tx -> {
      Snapshot current = tx.find(row.id()).orElseThrow();
      Snapshot ready = current.ready(tx.nextVersion(w), OptionalLong.of(manifest.length), false,
          ManifestRef.inline(Map.of("files", 201), manifest.length));
      if (!tx.compareAndSet(SnapshotStatus.CAPTURING, ready)) {
        throw new IllegalStateException("lost the CAS in a single-threaded benchmark");
      }
      tx.putManifest(row.id(), manifest);
      tx.append(new SnapshotEvent("c-" + row.id(), EventType.CREATED, w, Optional.of(row.id()), ready.version(), at,
          Map.of("trigger", "manual", "partial", "false")));
      return ready;
    });
  }

  /**
   * A whole {@link SnapshotEngine#capture} on the store with an in-memory host agent (empty
   * workload, in-process workload lock, unlimited plan, no hooks): the store path above plus the
   * engine's own read (the workload's versions, listed once to find the parent) and the host call.
   */
  @Benchmark
  @Group("engine")
  @GroupThreads(1)
  public Snapshot engineCapture(Cursor cursor) {
    WorkloadRef w = cursor.workload(workloads);
    cursor.next();
    return engine.capture(CaptureSpec.of(w));
  }

  /** The anchor of the {@code engine} group, measured at the same time as the engine. */
  @Benchmark
  @Group("engine")
  @GroupThreads(1)
  public int engineRaw(Cursor cursor) throws SQLException {
    return rawCapture(cursor);
  }

  /** The anchor: the same rows through hand-written JDBC, no locking, checks or mapping. */
  @Benchmark
  @Group("capture")
  @GroupThreads(1)
  public int captureRaw(Cursor cursor) throws SQLException {
    return rawCapture(cursor);
  }

  private int rawCapture(Cursor cursor) throws SQLException {
    WorkloadRef w = cursor.workload(workloads);
    Instant at = cursor.next();
    String id = SnapshotId.generate(at, cursor.random).value();
    long nanos = at.getEpochSecond() * 1_000_000_000L + at.getNano();
    Connection c = borrow();
    try {
      c.setAutoCommit(false);
      try (PreparedStatement s = c.prepareStatement("INSERT INTO sk_snapshot (" + COLUMNS
          + ") VALUES (?, ?, ?, NULL, ?, 'manual', 'CAPTURING', NULL, ?, NULL, NULL, ?, ?, '{}', NULL, NULL, NULL)")) {
        s.setString(1, id);
        s.setString(2, w.tenant().value());
        s.setString(3, w.id());
        s.setString(4, "bench");
        s.setLong(5, nanos);
        s.setBoolean(6, false);
        s.setBoolean(7, false);
        s.executeUpdate();
      }
      insertEvent(c, "s-" + id, EventType.CAPTURE_STARTED, w, id, 0, nanos, "{\"trigger\":\"manual\"}");
      c.commit();

      int version;
      try (PreparedStatement s = c.prepareStatement(
          "UPDATE sk_workload SET last_version = last_version + 1 WHERE tenant = ? AND workload = ? RETURNING last_version")) {
        s.setString(1, w.tenant().value());
        s.setString(2, w.id());
        try (ResultSet rs = s.executeQuery()) {
          rs.next();
          version = rs.getInt(1);
        }
      }
      try (PreparedStatement s = c.prepareStatement("UPDATE sk_snapshot SET version = ?, status = 'READY', "
          + "size_bytes = ?, manifest_ref = ? WHERE id = ? AND status = 'CAPTURING'")) {
        s.setInt(1, version);
        s.setLong(2, manifest.length);
        s.setString(3, manifestRef);
        s.setString(4, id);
        s.executeUpdate();
      }
      try (PreparedStatement s = c.prepareStatement("INSERT INTO sk_manifest (snapshot_id, content) VALUES (?, ?)")) {
        s.setString(1, id);
        s.setBytes(2, manifest);
        s.executeUpdate();
      }
      insertEvent(c, "c-" + id, EventType.CREATED, w, id, version, nanos,
          "{\"partial\":\"false\",\"trigger\":\"manual\"}");
      c.commit();
      c.setAutoCommit(true);
      return version;
    } finally {
      if (!c.getAutoCommit()) {
        c.rollback();
        c.setAutoCommit(true);
      }
      release(c);
    }
  }

  private static void insertEvent(Connection c, String eventId, EventType type, WorkloadRef w, String snapshot,
      int version, long nanos, String metadata) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("INSERT INTO sk_event (event_id, type, tenant, workload, "
        + "snapshot_id, version, at_nanos, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
      s.setString(1, eventId);
      s.setString(2, type.wireName());
      s.setString(3, w.tenant().value());
      s.setString(4, w.id());
      s.setString(5, snapshot);
      s.setInt(6, version);
      s.setLong(7, nanos);
      s.setString(8, metadata);
      s.executeUpdate();
    }
  }

  /** The store's first page of a tenant's snapshots. */
  @Benchmark
  @Group("list")
  @GroupThreads(1)
  public Page<Snapshot> listStore() {
    return store.list(SnapshotQuery.of(LISTER).limit(LIST_LIMIT));
  }

  /** The anchor: the same SELECT (one row more, as the store fetches to know if a next page exists), every column read. */
  @Benchmark
  @Group("list")
  @GroupThreads(1)
  public void listRaw(Blackhole sink) throws SQLException {
    Connection c = borrow();
    try (PreparedStatement s = c.prepareStatement(
        "SELECT " + COLUMNS + " FROM sk_snapshot WHERE tenant = ? ORDER BY id DESC LIMIT ?")) {
      s.setString(1, LISTER.value());
      s.setInt(2, LIST_LIMIT + 1);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          for (int i = 1; i <= 17; i++) {
            sink.consume(rs.getObject(i));
          }
        }
      }
    } finally {
      release(c);
    }
  }
}
