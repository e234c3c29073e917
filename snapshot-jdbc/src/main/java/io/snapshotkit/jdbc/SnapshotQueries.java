package io.snapshotkit.jdbc;

import io.snapshotkit.Page;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.TenantId;
import io.snapshotkit.Trigger;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.StoreChecks;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The snapshot-row reads of a {@link JdbcManifestStore} (find, list, versions, expired, stuck
 * captures, usage), each on its own connection through {@link JdbcManifestStore#read}, so they
 * get the store's retry and failure mapping. Kept apart from the store so that it holds
 * transactions, caching and opening, and this class the queries.
 *
 * <p><b>Threading:</b> thread-safe (stateless apart from its store).
 */
final class SnapshotQueries {
  private final JdbcManifestStore store;

  SnapshotQueries(JdbcManifestStore store) {
    this.store = store;
  }

  Optional<Snapshot> find(SnapshotId id) {
    Objects.requireNonNull(id, "id");
    return store.read("reading snapshot " + id, h -> h
        .createQuery("SELECT " + Sql.SNAPSHOT_COLUMNS + " FROM sk_snapshot WHERE id = :id")
        .bind("id", id.value())
        .map(Sql::snapshot)
        .findOne());
  }

  Page<Snapshot> list(SnapshotQuery query) {
    Objects.requireNonNull(query, "query");
    StringBuilder sql = new StringBuilder("SELECT " + Sql.SNAPSHOT_COLUMNS + " FROM sk_snapshot s WHERE tenant = :tenant");
    query.workloadId().ifPresent(w -> sql.append(" AND workload = :workload"));
    List<Map.Entry<String, String>> labels = List.copyOf(query.labels().entrySet());
    LabelRows.appendFilter(sql, labels.size());
    List<String> statuses = query.statuses().stream().map(SnapshotStatus::name).sorted().toList();
    List<String> triggers = query.triggers().stream().map(Trigger::value).sorted().toList();
    appendIn(sql, "status", "s", statuses.size());
    appendIn(sql, "trig", "t", triggers.size());
    query.cursor().ifPresent(c -> sql.append(" AND id < :cursor"));
    sql.append(" ORDER BY id DESC LIMIT :limit");
    List<Snapshot> rows = store.read("listing snapshots", h -> {
      Query q = h.createQuery(sql.toString())
          .bind("tenant", query.tenant().value())
          .bind("limit", query.limit() + 1);
      query.workloadId().ifPresent(w -> q.bind("workload", w));
      query.cursor().ifPresent(c -> q.bind("cursor", c.value()));
      for (int i = 0; i < statuses.size(); i++) {
        q.bind("s" + i, statuses.get(i));
      }
      for (int i = 0; i < triggers.size(); i++) {
        q.bind("t" + i, triggers.get(i));
      }
      LabelRows.bind(q, labels);
      return q.map(Sql::snapshot).list();
    });
    if (rows.size() > query.limit()) {
      List<Snapshot> page = new ArrayList<>(rows.subList(0, query.limit()));
      return new Page<>(page, Optional.of(page.get(page.size() - 1).id()));
    }
    return new Page<>(rows, Optional.empty());
  }

  private static void appendIn(StringBuilder sql, String column, String prefix, int count) {
    if (count == 0) {
      return;
    }
    sql.append(" AND ").append(column).append(" IN (");
    for (int i = 0; i < count; i++) {
      sql.append(i == 0 ? ":" : ", :").append(prefix).append(i);
    }
    sql.append(')');
  }

  List<Snapshot> versions(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    return store.read("listing versions of " + workload, h -> h
        .createQuery("SELECT " + Sql.SNAPSHOT_COLUMNS + " FROM sk_snapshot WHERE tenant = :t AND workload = :w "
            + "AND version IS NOT NULL ORDER BY version")
        .bind("t", workload.tenant().value())
        .bind("w", workload.id())
        .map(Sql::snapshot)
        .list());
  }

  List<Snapshot> expired(Instant now, int limit) {
    Objects.requireNonNull(now, "now");
    StoreChecks.limit(limit);
    return store.read("listing expired snapshots", h -> h
        .createQuery("SELECT " + Sql.SNAPSHOT_COLUMNS + " FROM sk_snapshot WHERE status IN ('READY', 'DELETING') "
            + "AND protected = :no AND expires_at IS NOT NULL AND expires_at <= :now ORDER BY expires_at, id LIMIT :limit")
        .bind("no", false)
        .bind("now", Codec.boundNanos(now))
        .bind("limit", limit)
        .map(Sql::snapshot)
        .list());
  }

  List<Snapshot> capturingSince(Instant before, int limit) {
    Objects.requireNonNull(before, "before");
    StoreChecks.limit(limit);
    return store.read("listing stuck captures", h -> h
        .createQuery("SELECT " + Sql.SNAPSHOT_COLUMNS + " FROM sk_snapshot WHERE status = 'CAPTURING' "
            + "AND created_at < :before ORDER BY created_at, id LIMIT :limit")
        .bind("before", Codec.boundNanos(before))
        .bind("limit", limit)
        .map(Sql::snapshot)
        .list());
  }

  long usageBytes(TenantId tenant) {
    Objects.requireNonNull(tenant, "tenant");
    return store.read("summing usage of " + tenant, h -> usageBytes(h, tenant));
  }

  /** The tenant's stored bytes, on the caller's handle (and transaction). */
  static long usageBytes(Handle h, TenantId tenant) {
    return h.createQuery("SELECT COALESCE(SUM(size_bytes), 0) FROM sk_snapshot WHERE tenant = :t "
            + "AND status IN ('READY', 'DELETING')")
        .bind("t", tenant.value())
        .mapTo(Long.class)
        .one();
  }
}
