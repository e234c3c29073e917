package io.snapshotkit.spi;

import io.snapshotkit.Schedule;
import io.snapshotkit.ScheduleState;
import io.snapshotkit.TenantId;
import io.snapshotkit.WorkloadRef;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The capture schedules, one per workload, in the metadata store ({@link ManifestStore#schedules()}),
 * and the claim that makes each slot run once across every engine instance on the store. Each
 * method is atomic on its own; none takes part in a {@link StoreTransaction}.
 *
 * <p><b>Threading:</b> thread-safe; shared by every engine instance on the store.
 *
 * <p><b>Failure:</b> as {@link ManifestStore}: a storage failure throws
 * {@link io.snapshotkit.SnapshotException}. Arguments are checked with {@link StoreChecks}.
 */
public interface ScheduleStore {

  /**
   * Stores the workload's schedule, replacing the one it had. A new schedule starts with
   * {@link ScheduleState#lastSlot()} at {@code now} and no runs or skips; a replaced one keeps
   * its last slot and counts, so changing a schedule never re-runs slots that already ran.
   *
   * @return the schedule as now stored
   */
  ScheduleState put(Schedule schedule, Instant now);

  /** The workload's schedule, if it has one. */
  Optional<ScheduleState> find(WorkloadRef workload);

  /** The tenant's schedules, by workload id. */
  List<ScheduleState> list(TenantId tenant);

  /**
   * A page of every tenant's schedules in the store's order of (tenant, workload id), starting
   * after {@code after} (empty for the first page); fewer than {@code limit} means the last page.
   */
  List<ScheduleState> page(Optional<WorkloadRef> after, int limit);

  /** Removes the workload's schedule; false if it had none. */
  boolean remove(WorkloadRef workload);

  /**
   * Claims {@code slot} of the workload's schedule: if its {@link ScheduleState#lastSlot()} is
   * still {@code expectedLastSlot}, sets it to {@code slot} and counts the claim as a run or a
   * skip. A conditional update: of several engines claiming the same slot, exactly one succeeds.
   *
   * @return false if the schedule is gone or its last slot is no longer {@code expectedLastSlot}
   * @throws IllegalArgumentException if {@code slot} is not after {@code expectedLastSlot}
   */
  boolean claim(WorkloadRef workload, Instant expectedLastSlot, Instant slot, SlotClaim outcome);
}
