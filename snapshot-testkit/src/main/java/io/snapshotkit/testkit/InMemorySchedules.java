package io.snapshotkit.testkit;

import io.snapshotkit.Schedule;
import io.snapshotkit.ScheduleState;
import io.snapshotkit.TenantId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.ScheduleStore;
import io.snapshotkit.spi.SlotClaim;
import io.snapshotkit.spi.StoreChecks;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The {@link ScheduleStore} of {@link InMemoryManifestStore}: a sorted map under one monitor, so
 * every method is atomic and {@link #claim} is a true compare-and-set.
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
final class InMemorySchedules implements ScheduleStore {
  private final TreeMap<WorkloadRef, ScheduleState> rows = new TreeMap<>();

  @Override
  public synchronized ScheduleState put(Schedule schedule, Instant now) {
    Objects.requireNonNull(schedule, "schedule");
    Objects.requireNonNull(now, "now");
    ScheduleState old = rows.get(schedule.workload());
    ScheduleState stored = old == null
        ? new ScheduleState(schedule, now, 0, 0)
        : new ScheduleState(schedule, old.lastSlot(), old.runs(), old.skips());
    rows.put(schedule.workload(), stored);
    return stored;
  }

  @Override
  public synchronized Optional<ScheduleState> find(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    return Optional.ofNullable(rows.get(workload));
  }

  @Override
  public synchronized List<ScheduleState> list(TenantId tenant) {
    Objects.requireNonNull(tenant, "tenant");
    return rows.values().stream().filter(s -> s.workload().tenant().equals(tenant)).toList();
  }

  @Override
  public synchronized List<ScheduleState> page(Optional<WorkloadRef> after, int limit) {
    Objects.requireNonNull(after, "after");
    StoreChecks.limit(limit);
    var tail = after.isPresent() ? rows.tailMap(after.get(), false) : rows;
    List<ScheduleState> out = new ArrayList<>();
    for (ScheduleState s : tail.values()) {
      if (out.size() == limit) {
        break;
      }
      out.add(s);
    }
    return List.copyOf(out);
  }

  @Override
  public synchronized boolean remove(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    return rows.remove(workload) != null;
  }

  @Override
  public synchronized boolean claim(WorkloadRef workload, Instant expectedLastSlot, Instant slot, SlotClaim outcome) {
    StoreChecks.claimSlot(workload, expectedLastSlot, slot, outcome);
    ScheduleState s = rows.get(workload);
    if (s == null || !s.lastSlot().equals(expectedLastSlot)) {
      return false;
    }
    rows.put(workload, new ScheduleState(s.schedule(), slot,
        s.runs() + (outcome == SlotClaim.RUN ? 1 : 0), s.skips() + (outcome == SlotClaim.SKIP ? 1 : 0)));
    return true;
  }
}
