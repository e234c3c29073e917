package io.snapshotkit.core;

import io.snapshotkit.RetentionPolicy;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotStatus;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * Decides which READY snapshots of one workload a {@link RetentionPolicy} keeps. Pure: the same
 * input gives the same plan, and it reads no clock.
 *
 * <p>Snapshots are ranked newest first (by creation time, then id). A snapshot is kept if it is
 * protected, among the newest {@code keepLast}, the newest of its period (UTC hour, day, ISO week,
 * month or year) for the newest {@code keepHourly}, {@code keepDaily}, ... distinct periods that
 * have snapshots, or taken within {@code keepWithin} of the newest READY snapshot. Periods without
 * snapshots do not use up the allowance. Everything else is deleted. Snapshots that are not READY
 * are never considered.
 */
final class RetentionPlanner {
  private RetentionPlanner() {}

  /** A plan: what to keep and what to delete, each newest first. */
  record Plan(List<Snapshot> keep, List<Snapshot> delete) {
    Plan {
      keep = List.copyOf(keep);
      delete = List.copyOf(delete);
    }
  }

  /** The newest-first order the planner ranks by. */
  static final Comparator<Snapshot> NEWEST_FIRST =
      Comparator.comparing(Snapshot::createdAt).thenComparing(Snapshot::id).reversed();

  /** One "newest of each of the last N periods" rule: the allowance and the period of an instant. */
  private record PeriodRule(int count, Function<Instant, Object> period, Set<Object> seen) {
    PeriodRule(int count, Function<Instant, Object> period) {
      this(count, period, new HashSet<>());
    }

    /** Whether this snapshot is the newest of a period the allowance still covers (call newest first). */
    boolean keeps(Snapshot s) {
      Object p = period.apply(s.createdAt());
      if (seen.contains(p) || seen.size() >= count) {
        return false;
      }
      seen.add(p);
      return true;
    }
  }

  static Plan plan(List<Snapshot> snapshots, RetentionPolicy policy) {
    Objects.requireNonNull(snapshots, "snapshots");
    Objects.requireNonNull(policy, "policy");
    List<Snapshot> ready = snapshots.stream()
        .filter(s -> s.status() == SnapshotStatus.READY)
        .sorted(NEWEST_FIRST)
        .toList();
    List<PeriodRule> rules = List.of(
        new PeriodRule(policy.keepHourly(), t -> LocalDateTime.ofInstant(t, ZoneOffset.UTC).truncatedTo(ChronoUnit.HOURS)),
        new PeriodRule(policy.keepDaily(), t -> LocalDate.ofInstant(t, ZoneOffset.UTC)),
        new PeriodRule(policy.keepWeekly(), t -> {
          LocalDate day = LocalDate.ofInstant(t, ZoneOffset.UTC);
          return day.get(IsoFields.WEEK_BASED_YEAR) * 100L + day.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR);
        }),
        new PeriodRule(policy.keepMonthly(), t -> LocalDate.ofInstant(t, ZoneOffset.UTC).withDayOfMonth(1)),
        new PeriodRule(policy.keepYearly(), t -> LocalDate.ofInstant(t, ZoneOffset.UTC).getYear()));
    Instant withinFrom = ready.isEmpty() ? null
        : policy.keepWithin().map(d -> ready.get(0).createdAt().minus(d)).orElse(null);
    Set<Snapshot> keep = new HashSet<>();
    for (int i = 0; i < ready.size(); i++) {
      Snapshot s = ready.get(i);
      if (s.isProtected() || i < policy.keepLast()) {
        keep.add(s);
      }
      if (withinFrom != null && !s.createdAt().isBefore(withinFrom)) {
        keep.add(s);
      }
      for (PeriodRule rule : rules) {
        if (rule.keeps(s)) {
          keep.add(s);
        }
      }
    }
    List<Snapshot> kept = new ArrayList<>();
    List<Snapshot> deleted = new ArrayList<>();
    for (Snapshot s : ready) {
      (keep.contains(s) ? kept : deleted).add(s);
    }
    return new Plan(kept, deleted);
  }
}
