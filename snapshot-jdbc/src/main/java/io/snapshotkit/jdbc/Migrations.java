package io.snapshotkit.jdbc;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Versioned schema migrations. Scripts live in {@code io/snapshotkit/jdbc/<dialect>/V<n>__<name>.sql}
 * and the applied versions in {@code sk_schema_version}. Each version is applied in its own
 * transaction; on PostgreSQL a transaction-scoped advisory lock keeps two instances starting at
 * once from applying the same version twice, and SQLite's {@code BEGIN IMMEDIATE} does the same.
 */
final class Migrations {
  private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);

  /** The scripts, in order; version n is {@code SCRIPTS.get(n - 1)}. */
  static final List<String> SCRIPTS = List.of(
      "V1__init", "V2__blobs_and_expiry_index", "V3__hosts", "V4__labels", "V5__schedules",
      "V6__fork_origin");

  /** The version that adds {@code sk_label}, whose rows Java fills from the existing snapshots. */
  private static final int LABELS_VERSION = 4;

  /** The schema version this code expects. */
  static final int LATEST = SCRIPTS.size();

  /** An arbitrary constant: the advisory lock PostgreSQL migrators take. */
  private static final long PG_MIGRATION_LOCK = 0x536e61704b697401L;

  private Migrations() {}

  /** Applies every missing version up to {@code target}; returns the schema version afterwards. */
  static int migrate(Database db, Dialect dialect, int target) {
    if (target < 0 || target > LATEST) {
      throw new IllegalArgumentException("target schema version must be 0.." + LATEST + ": " + target);
    }
    // A database already at the target (every start after the first) is only read: no write
    // transaction, so opening it neither waits for another writer nor takes the write lock.
    Optional<Integer> found = currentVersion(db);
    if (found.isPresent() && found.get() >= target) {
      if (found.get() > LATEST) {
        throw newerSchema(found.get());
      }
      return found.get();
    }
    db.useTransaction(h -> {
      // Under the migration lock: two PostgreSQL instances creating the table at once would collide.
      lockMigrations(h, dialect);
      h.execute("CREATE TABLE IF NOT EXISTS sk_schema_version "
          + "(version INTEGER PRIMARY KEY, description VARCHAR(200) NOT NULL)");
    });
    int current = currentVersion(db).orElse(0);
    if (current > LATEST) {
      throw newerSchema(current);
    }
    for (int version = current + 1; version <= target; version++) {
      int v = version;
      String script = load(dialect, v);
      boolean applied = db.inTransaction(h -> {
        lockMigrations(h, dialect);
        int now = h.createQuery("SELECT COALESCE(MAX(version), 0) FROM sk_schema_version").mapTo(Integer.class).one();
        if (now >= v) {
          return false;
        }
        for (String statement : statements(script)) {
          h.execute(statement);
        }
        if (v == LABELS_VERSION) {
          LabelRows.backfill(h);
        }
        h.createUpdate("INSERT INTO sk_schema_version (version, description) VALUES (:v, :d)")
            .bind("v", v).bind("d", SCRIPTS.get(v - 1)).execute();
        return true;
      });
      if (applied) {
        LOG.info("applied SnapshotKit schema migration {} ({})", SCRIPTS.get(v - 1), dialect);
      }
    }
    return currentVersion(db).orElse(0);
  }

  private static void lockMigrations(Handle h, Dialect dialect) {
    if (dialect == Dialect.POSTGRES) {
      h.createQuery("SELECT 1 FROM (SELECT pg_advisory_xact_lock(:k)) locked").bind("k", PG_MIGRATION_LOCK)
          .mapTo(Integer.class).one();
    }
  }

  /** The applied schema version, or empty if the database has no SnapshotKit schema table. */
  static Optional<Integer> currentVersion(Database db) {
    return db.withHandle(h -> {
      if (!hasVersionTable(h)) {
        return Optional.empty();
      }
      return Optional.of(h.createQuery("SELECT COALESCE(MAX(version), 0) FROM sk_schema_version")
          .mapTo(Integer.class).one());
    });
  }

  private static boolean hasVersionTable(Handle h) {
    try (var tables = h.connection().getMetaData().getTables(null, null, null, new String[] {"TABLE"})) {
      while (tables.next()) {
        if ("sk_schema_version".equalsIgnoreCase(tables.getString("TABLE_NAME"))) {
          String schema = tables.getString("TABLE_SCHEM");
          String current = h.connection().getSchema();
          if (schema == null || current == null || schema.equalsIgnoreCase(current)) {
            return true;
          }
        }
      }
      return false;
    } catch (java.sql.SQLException e) {
      throw SqlFailures.map("reading the schema version", new RuntimeException(e));
    }
  }

  static SnapshotException newerSchema(int found) {
    return new SnapshotException(ErrorCode.CONFLICT,
        "the snapshot database has schema version " + found + " but this SnapshotKit knows versions up to "
            + LATEST + "; upgrade SnapshotKit on this instance to the version the others run");
  }

  static String load(Dialect dialect, int version) {
    String path = "/io/snapshotkit/jdbc/" + dialect.resourceDirectory() + "/" + SCRIPTS.get(version - 1) + ".sql";
    try (InputStream in = Migrations.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("migration script missing from the jar: " + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("could not read migration script " + path, e);
    }
  }

  /** Splits a script into statements: drops {@code --} comment lines and splits on {@code ;}. */
  static List<String> statements(String script) {
    StringBuilder sql = new StringBuilder();
    for (String line : script.split("\n", -1)) {
      if (!line.strip().startsWith("--")) {
        sql.append(line).append('\n');
      }
    }
    List<String> out = new ArrayList<>();
    for (String part : sql.toString().split(";")) {
      if (!part.isBlank()) {
        out.add(part.strip());
      }
    }
    return out;
  }
}
