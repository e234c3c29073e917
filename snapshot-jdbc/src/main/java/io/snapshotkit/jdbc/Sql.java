package io.snapshotkit.jdbc;

import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.Trigger;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.EventType;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/** SQL shared by the store, its transactions and its outbox; the few places dialects differ. */
final class Sql {
  static final String SNAPSHOT_COLUMNS = "id, tenant, workload, version, name, trig, status, parent, created_at, "
      + "expires_at, size_bytes, partial, protected, labels, host, manifest_ref, failure";
  static final String EVENT_COLUMNS = "seq, event_id, type, tenant, workload, snapshot_id, version, at_nanos, metadata";

  private Sql() {}

  /** Binds every column of a snapshot row to the named parameters of {@link #SNAPSHOT_COLUMNS}. */
  static <S extends SqlStatement<S>> S bindSnapshot(S statement, Snapshot row) {
    return statement
        .bind("id", row.id().value())
        .bind("tenant", row.tenant().value())
        .bind("workload", row.workload().id())
        .bind("version", row.version() == 0 ? null : Integer.valueOf(row.version()))
        .bind("name", row.name())
        .bind("trig", row.trigger().value())
        .bind("status", row.status().name())
        .bind("parent", row.parent().map(SnapshotId::value).orElse(null))
        .bind("created_at", Codec.nanos(row.createdAt()))
        .bind("expires_at", row.expiresAt().map(Codec::nanos).orElse(null))
        .bind("size_bytes", row.sizeBytes().isPresent() ? Long.valueOf(row.sizeBytes().getAsLong()) : null)
        .bind("partial", row.partial())
        .bind("protected", row.isProtected())
        .bind("labels", Codec.stringMap(row.labels()))
        .bind("host", row.host().orElse(null))
        .bind("manifest_ref", row.manifest().map(Codec::manifestRef).orElse(null))
        .bind("failure", row.failure().orElse(null));
  }

  static Snapshot snapshot(ResultSet rs) throws SQLException {
    int version = rs.getInt("version");
    long expires = rs.getLong("expires_at");
    Optional<java.time.Instant> expiresAt = rs.wasNull() ? Optional.empty() : Optional.of(Codec.instant(expires));
    long size = rs.getLong("size_bytes");
    OptionalLong sizeBytes = rs.wasNull() ? OptionalLong.empty() : OptionalLong.of(size);
    String parent = rs.getString("parent");
    return new Snapshot(
        new SnapshotId(rs.getString("id")),
        WorkloadRef.of(rs.getString("tenant"), rs.getString("workload")),
        version,
        rs.getString("name"),
        trigger(rs.getString("trig")),
        SnapshotStatus.valueOf(rs.getString("status")),
        parent == null ? Optional.empty() : Optional.of(new SnapshotId(parent)),
        Codec.instant(rs.getLong("created_at")),
        expiresAt,
        sizeBytes,
        rs.getBoolean("partial"),
        rs.getBoolean("protected"),
        Codec.stringMap(rs.getString("labels")),
        Optional.ofNullable(rs.getString("host")),
        Codec.manifestRef(rs.getString("manifest_ref")),
        Optional.ofNullable(rs.getString("failure")));
  }

  /** Trigger words seen in rows, so a listing does not re-validate the same few words per row. */
  private static final Map<String, Trigger> TRIGGERS = new ConcurrentHashMap<>();
  private static final int MAX_CACHED_TRIGGERS = 256;

  private static Trigger trigger(String word) {
    if (word == null) {
      return Trigger.of(null); // refused with the usual message
    }
    Trigger known = TRIGGERS.get(word);
    if (known != null) {
      return known;
    }
    Trigger parsed = Trigger.of(word);
    if (TRIGGERS.size() < MAX_CACHED_TRIGGERS) {
      TRIGGERS.putIfAbsent(word, parsed);
    }
    return parsed;
  }

  static SnapshotEvent event(ResultSet rs) throws SQLException {
    String snapshot = rs.getString("snapshot_id");
    return new SnapshotEvent(
        rs.getString("event_id"),
        EventType.fromWireName(rs.getString("type")),
        WorkloadRef.of(rs.getString("tenant"), rs.getString("workload")),
        snapshot == null ? Optional.empty() : Optional.of(new SnapshotId(snapshot)),
        rs.getInt("version"),
        Codec.instant(rs.getLong("at_nanos")),
        Codec.stringMap(rs.getString("metadata")));
  }

  /**
   * Makes sure the workload's counter row exists and locks it until the transaction ends. Every
   * quota check, version assignment and event append of a workload goes through this lock, which
   * is what makes them atomic across transactions and engine instances, and what makes the
   * per-workload order of outbox sequence numbers equal to commit order. (SQLite needs no row
   * lock: {@code BEGIN IMMEDIATE} already serialises writers.)
   */
  static int lockWorkload(Handle h, Dialect dialect, WorkloadRef workload) {
    String tenant = workload.tenant().value();
    String id = workload.id();
    switch (dialect) {
      case POSTGRES -> h.createUpdate(
              "INSERT INTO sk_workload (tenant, workload, last_version) VALUES (:t, :w, 0) ON CONFLICT DO NOTHING")
          .bind("t", tenant).bind("w", id).execute();
      case SQLITE -> h.createUpdate(
              "INSERT OR IGNORE INTO sk_workload (tenant, workload, last_version) VALUES (:t, :w, 0)")
          .bind("t", tenant).bind("w", id).execute();
      case H2 -> {
        try {
          h.createUpdate("INSERT INTO sk_workload (tenant, workload, last_version) "
                  + "SELECT CAST(:t AS VARCHAR(128)), CAST(:w AS VARCHAR(128)), 0 FROM (VALUES (1)) v(x) WHERE NOT EXISTS "
                  + "(SELECT 1 FROM sk_workload WHERE tenant = :t AND workload = :w)")
              .bind("t", tenant).bind("w", id).execute();
        } catch (RuntimeException e) {
          // A concurrent transaction created the row first; H2 keeps this transaction usable.
          if (!SqlFailures.isUniqueViolation(e)) {
            throw e;
          }
        }
      }
      default -> throw new IllegalStateException("unknown dialect " + dialect);
    }
    String lock = dialect == Dialect.SQLITE ? "" : " FOR UPDATE";
    return h.createQuery("SELECT last_version FROM sk_workload WHERE tenant = :t AND workload = :w" + lock)
        .bind("t", tenant).bind("w", id).mapTo(Integer.class).one();
  }

  /**
   * Takes the outbox lock: shared by appends, exclusive for hook registration and pruning, so a
   * hook registered from the beginning sees every event exactly once. H2 has no shared row lock,
   * so there appends take it exclusively too; SQLite writers are serialised already.
   */
  static void lockOutbox(Handle h, Dialect dialect, boolean exclusive) {
    switch (dialect) {
      case POSTGRES -> h.createQuery("SELECT id FROM sk_outbox_lock WHERE id = 1 " + (exclusive ? "FOR UPDATE" : "FOR SHARE"))
          .mapTo(Integer.class).one();
      case H2 -> h.createQuery("SELECT id FROM sk_outbox_lock WHERE id = 1 FOR UPDATE").mapTo(Integer.class).one();
      case SQLITE -> {
        // BEGIN IMMEDIATE holds the database write lock for the whole transaction.
      }
      default -> throw new IllegalStateException("unknown dialect " + dialect);
    }
  }

  /** Inserts an event row and returns its sequence number. */
  static long insertEvent(Handle h, Dialect dialect, SnapshotEvent event) {
    String insert = "INSERT INTO sk_event (event_id, type, tenant, workload, snapshot_id, version, at_nanos, metadata) "
        + "VALUES (:event_id, :type, :tenant, :workload, :snapshot_id, :version, :at_nanos, :metadata)";
    String sql = dialect == Dialect.H2 ? "SELECT seq FROM FINAL TABLE (" + insert + ")" : insert + " RETURNING seq";
    return h.createQuery(sql)
        .bind("event_id", event.id())
        .bind("type", event.type().wireName())
        .bind("tenant", event.tenant().value())
        .bind("workload", event.workload().id())
        .bind("snapshot_id", event.snapshotId().map(SnapshotId::value).orElse(null))
        .bind("version", event.version())
        .bind("at_nanos", Codec.nanos(event.at()))
        .bind("metadata", Codec.stringMap(event.metadata()))
        .mapTo(Long.class)
        .one();
  }

  /** The row-lock clause a claimer uses on a claim row: skip rows another claimer holds. */
  static String claimLock(Dialect dialect) {
    return switch (dialect) {
      case POSTGRES -> " FOR UPDATE SKIP LOCKED";
      case H2 -> " FOR UPDATE";
      case SQLITE -> "";
    };
  }
}
