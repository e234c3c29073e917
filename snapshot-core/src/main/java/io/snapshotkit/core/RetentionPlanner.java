package io.snapshotkit.core;

import io.snapshotkit.RetentionPolicy;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotStatus;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Decides which READY snapshots of one workload a {@link RetentionPolicy} keeps. Pure: the same
 * input gives the same plan, and it reads no clock.
 *
 * <p>Snapshots are ranked newest first (by creation time, then id). A snapshot is kept if it is
 * protected, among the newest {@code keepLast}, the newest of its UTC day for the newest
 * {@code keepDaily} distinct days that have snapshots, or the newest of its ISO week (UTC) for the
 * newest {@code keepWeekly} distinct weeks that have snapshots. Days and weeks without snapshots do
 * not use up the allowance. Everything else is deleted. Snapshots that are not READY are never
 * considered.
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

  static Plan plan(List<Snapshot> snapshots, RetentionPolicy policy) {
    Objects.requireNonNull(snapshots, "snapshots");
    Objects.requireNonNull(policy, "policy");
    List<Snapshot> ready = snapshots.stream()
        .filter(s -> s.status() == SnapshotStatus.READY)
        .sorted(NEWEST_FIRST)
        .toList();
    Set<Snapshot> keep = new HashSet<>();
    Set<LocalDate> days = new HashSet<>();
    Set<Long> weeks = new HashSet<>();
    for (int i = 0; i < ready.size(); i++) {
      Snapshot s = ready.get(i);
      LocalDate day = LocalDate.ofInstant(s.createdAt(), ZoneOffset.UTC);
      long week = day.get(IsoFields.WEEK_BASED_YEAR) * 100L + day.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR);
      if (s.isProtected() || i < policy.keepLast()) {
        keep.add(s);
      }
      if (!days.contains(day) && days.size() < policy.keepDaily()) {
        days.add(day);
        keep.add(s);
      }
      if (!weeks.contains(week) && weeks.size() < policy.keepWeekly()) {
        weeks.add(week);
        keep.add(s);
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
