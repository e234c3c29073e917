package io.snapshotkit.core;

import java.util.List;

/**
 * What one {@link Schedules#runDue()} did: one {@link ScheduleRun} per slot this engine claimed,
 * in the order they ran. Slots another engine instance claimed first are not in it.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param runs the claimed slots and their outcomes
 */
public record ScheduleReport(List<ScheduleRun> runs) {
  /** Copies. */
  public ScheduleReport {
    runs = List.copyOf(runs);
  }

  /** The runs with this outcome. */
  public List<ScheduleRun> with(ScheduleRun.Outcome outcome) {
    return runs.stream().filter(r -> r.outcome() == outcome).toList();
  }
}
