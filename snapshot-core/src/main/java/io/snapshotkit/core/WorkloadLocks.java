package io.snapshotkit.core;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.WorkloadLease;
import io.snapshotkit.spi.WorkloadLock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Factories for {@link WorkloadLock}s.
 *
 * <p><b>Thread-safety:</b> the factories and the locks they return are thread-safe.
 */
public final class WorkloadLocks {
  private WorkloadLocks() {}

  /**
   * A fair, non-re-entrant lock per workload within this JVM: waiters are served in arrival order,
   * and a thread that already holds a workload's lock waits like any other. Idle workloads take no
   * memory. Use a shared lock (such as snapshot-jdbc's advisory lock) when several engine instances
   * work on the same workloads.
   */
  public static WorkloadLock inProcess() {
    return new InProcessLock();
  }

  /** One fair semaphore per workload, removed when nobody holds or waits for it. */
  private static final class InProcessLock implements WorkloadLock {
    private final ConcurrentHashMap<WorkloadRef, Slot> slots = new ConcurrentHashMap<>();

    private static final class Slot {
      final Semaphore permit = new Semaphore(1, true);
      int users;
    }

    @Override
    public WorkloadLease acquire(WorkloadRef workload, Duration timeout) {
      Objects.requireNonNull(workload, "workload");
      Objects.requireNonNull(timeout, "timeout");
      Slot slot = slots.compute(workload, (k, s) -> {
        Slot held = s == null ? new Slot() : s;
        held.users++;
        return held;
      });
      boolean acquired = false;
      try {
        acquired = slot.permit.tryAcquire(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        leave(workload);
        throw new SnapshotException(ErrorCode.CONFLICT,
            "interrupted while waiting for the lock of workload " + workload + "; retry the operation")
            .withWorkload(workload);
      }
      if (!acquired) {
        leave(workload);
        throw new SnapshotException(ErrorCode.CONFLICT,
            "another operation is running on workload " + workload + " (waited " + timeout
                + " for its lock); retry when it finishes").withWorkload(workload);
      }
      return new Lease(workload, slot);
    }

    private void leave(WorkloadRef workload) {
      slots.computeIfPresent(workload, (k, s) -> --s.users == 0 ? null : s);
    }

    private final class Lease implements WorkloadLease {
      private final WorkloadRef workload;
      private final Slot slot;
      private final AtomicBoolean held = new AtomicBoolean(true);

      Lease(WorkloadRef workload, Slot slot) {
        this.workload = workload;
        this.slot = slot;
      }

      @Override
      public WorkloadRef workload() {
        return workload;
      }

      @Override
      public boolean isHeld() {
        return held.get();
      }

      @Override
      public void close() {
        if (held.compareAndSet(true, false)) {
          slot.permit.release();
          leave(workload);
        }
      }
    }
  }
}
