package io.snapshotkit.jdbc;

import io.snapshotkit.RetentionPolicy;
import io.snapshotkit.Schedule;
import io.snapshotkit.ScheduleState;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.TenantId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.ScheduleStore;
import io.snapshotkit.spi.SlotClaim;
import io.snapshotkit.spi.StoreChecks;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The {@link ScheduleStore} in the store's database: table {@code sk_schedule} (schema version 5),
 * one row per workload. {@link #claim} is one conditional {@code UPDATE … WHERE last_slot = :expected},
 * which the database applies to one row atomically, so of several engine instances claiming one
 * slot exactly one sees its update count as 1.
 *
 * <p><b>Threading:</b> thread-safe; safe across engine instances sharing one database.
 */
final class JdbcScheduleStore implements ScheduleStore {
  private static final String COLUMNS =
      "tenant, workload, cron_expr, interval_nanos, jitter_nanos, retention, last_slot, runs, skips";

  private final JdbcManifestStore store;

  JdbcScheduleStore(JdbcManifestStore store) {
    this.store = store;
  }

  @Override
  public ScheduleState put(Schedule schedule, Instant now) {
    Objects.requireNonNull(schedule, "schedule");
    Objects.requireNonNull(now, "now");
    WorkloadRef w = schedule.workload();
    long since = Codec.nanos(now);
    String what = "storing the schedule of " + w;
    return store.transaction(what, tx -> tx.run(what, () -> {
      Handle h = tx.handle();
      String insert = switch (tx.dialect()) {
        case POSTGRES, SQLITE -> "INSERT INTO sk_schedule (tenant, workload, interval_nanos, jitter_nanos, last_slot) "
            + "VALUES (:t, :w, 1, 0, :since) ON CONFLICT (tenant, workload) DO NOTHING";
        case H2 -> "INSERT INTO sk_schedule (tenant, workload, interval_nanos, jitter_nanos, last_slot) "
            + "SELECT :t, :w, 1, 0, :since FROM DUAL "
            + "WHERE NOT EXISTS (SELECT 1 FROM sk_schedule WHERE tenant = :t AND workload = :w)";
      };
      try {
        h.createUpdate(insert).bind("t", w.tenant().value()).bind("w", w.id()).bind("since", since).execute();
      } catch (RuntimeException e) {
        // H2 has no ON CONFLICT: a concurrent first put can insert between its NOT EXISTS and its
        // insert. The row exists then, which is all this statement wants; H2 keeps the transaction
        // usable after a failed statement. PostgreSQL and SQLite never get here (ON CONFLICT).
        if (tx.dialect() != Dialect.H2 || !SqlFailures.isUniqueViolation(e)) {
          throw e;
        }
      }
      // The row exists now, new or old: set its definition and keep its progress.
      h.createUpdate("UPDATE sk_schedule SET cron_expr = :c, interval_nanos = :i, jitter_nanos = :j, retention = :r "
              + "WHERE tenant = :t AND workload = :w")
          .bind("c", schedule.cron().orElse(null))
          .bind("i", schedule.interval().map(Duration::toNanos).orElse(null))
          .bind("j", schedule.jitter().toNanos())
          .bind("r", schedule.retention().map(JdbcScheduleStore::encode).orElse(null))
          .bind("t", w.tenant().value()).bind("w", w.id())
          .execute();
      return select(h, "WHERE tenant = :t AND workload = :w", w).get(0);
    }));
  }

  @Override
  public Optional<ScheduleState> find(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    return store.read("reading the schedule of " + workload,
        h -> select(h, "WHERE tenant = :t AND workload = :w", workload).stream().findFirst());
  }

  @Override
  public List<ScheduleState> list(TenantId tenant) {
    Objects.requireNonNull(tenant, "tenant");
    List<ScheduleState> rows = store.read("listing the schedules of tenant " + tenant, h -> h
        .createQuery("SELECT " + COLUMNS + " FROM sk_schedule WHERE tenant = :t")
        .bind("t", tenant.value())
        .map(JdbcScheduleStore::row)
        .list());
    return rows.stream().sorted(Comparator.comparing(ScheduleState::workload)).toList();
  }

  @Override
  public List<ScheduleState> page(Optional<WorkloadRef> after, int limit) {
    Objects.requireNonNull(after, "after");
    StoreChecks.limit(limit);
    return store.read("listing schedules", h -> {
      var q = h.createQuery("SELECT " + COLUMNS + " FROM sk_schedule "
          + (after.isPresent() ? "WHERE tenant > :t OR (tenant = :t AND workload > :w) " : "")
          + "ORDER BY tenant, workload LIMIT :limit");
      after.ifPresent(a -> q.bind("t", a.tenant().value()).bind("w", a.id()));
      return List.copyOf(q.bind("limit", limit).map(JdbcScheduleStore::row).list());
    });
  }

  @Override
  public boolean remove(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    String what = "removing the schedule of " + workload;
    return store.transaction(what, tx -> tx.run(what, () -> tx.handle()
        .createUpdate("DELETE FROM sk_schedule WHERE tenant = :t AND workload = :w")
        .bind("t", workload.tenant().value()).bind("w", workload.id())
        .execute() == 1));
  }

  @Override
  public boolean claim(WorkloadRef workload, Instant expectedLastSlot, Instant slot, SlotClaim outcome) {
    StoreChecks.claimSlot(workload, expectedLastSlot, slot, outcome);
    String counter = outcome == SlotClaim.RUN ? "runs = runs + 1" : "skips = skips + 1";
    String what = "claiming slot " + slot + " of the schedule of " + workload;
    return store.transaction(what, tx -> tx.run(what, () -> tx.handle()
        .createUpdate("UPDATE sk_schedule SET last_slot = :slot, " + counter
            + " WHERE tenant = :t AND workload = :w AND last_slot = :expected")
        .bind("slot", Codec.nanos(slot)).bind("expected", Codec.nanos(expectedLastSlot))
        .bind("t", workload.tenant().value()).bind("w", workload.id())
        .execute() == 1));
  }

  private static List<ScheduleState> select(Handle h, String where, WorkloadRef w) {
    return h.createQuery("SELECT " + COLUMNS + " FROM sk_schedule " + where)
        .bind("t", w.tenant().value()).bind("w", w.id())
        .map(JdbcScheduleStore::row)
        .list();
  }

  private static ScheduleState row(ResultSet rs) throws SQLException {
    WorkloadRef w = WorkloadRef.of(rs.getString("tenant"), rs.getString("workload"));
    try {
      String cron = rs.getString("cron_expr");
      long interval = rs.getLong("interval_nanos");
      Schedule s = cron != null ? Schedule.cron(w, cron) : Schedule.every(w, Duration.ofNanos(interval));
      s = s.jitter(Duration.ofNanos(rs.getLong("jitter_nanos")));
      String retention = rs.getString("retention");
      if (retention != null) {
        s = s.retention(decode(retention));
      }
      return new ScheduleState(s, Codec.instant(rs.getLong("last_slot")), rs.getLong("runs"), rs.getLong("skips"));
    } catch (SnapshotException | IllegalArgumentException e) {
      throw Codec.corrupt("the schedule of " + w, e);
    }
  }

  /** A retention policy as a JSON map of its rules ({@code within} as an ISO-8601 duration). */
  static String encode(RetentionPolicy p) {
    Map<String, String> m = new TreeMap<>();
    m.put("last", Integer.toString(p.keepLast()));
    m.put("hourly", Integer.toString(p.keepHourly()));
    m.put("daily", Integer.toString(p.keepDaily()));
    m.put("weekly", Integer.toString(p.keepWeekly()));
    m.put("monthly", Integer.toString(p.keepMonthly()));
    m.put("yearly", Integer.toString(p.keepYearly()));
    p.keepWithin().ifPresent(d -> m.put("within", d.toString()));
    return Codec.stringMap(m);
  }

  static RetentionPolicy decode(String json) {
    Map<String, String> m = Codec.stringMap(json);
    try {
      RetentionPolicy.Builder b = RetentionPolicy.builder()
          .keepLast(count(m, "last")).keepHourly(count(m, "hourly")).keepDaily(count(m, "daily"))
          .keepWeekly(count(m, "weekly")).keepMonthly(count(m, "monthly")).keepYearly(count(m, "yearly"));
      if (m.containsKey("within")) {
        b.keepWithin(Duration.parse(m.get("within")));
      }
      return b.build();
    } catch (RuntimeException e) {
      throw Codec.corrupt("a schedule's retention column", e);
    }
  }

  private static int count(Map<String, String> m, String key) {
    return Integer.parseInt(m.getOrDefault(key, "0"));
  }
}
