package io.snapshotkit.spi;

import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * The argument checks of the {@link ManifestStore}, {@link StoreTransaction} and {@link EventOutbox}
 * methods, written once for adapters: a store calls the check named after a method first, so every
 * store refuses the same arguments with the same exception and message. The engine never passes
 * such arguments; they are refused to catch mistakes in adapters and in tests.
 *
 * <p><b>Stability:</b> public SPI support for adapter authors; checks may be added in minor releases.
 *
 * <p><b>Thread-safety:</b> stateless.
 */
public final class StoreChecks {

  private StoreChecks() {}

  /**
   * The arguments of {@link StoreTransaction#insertCapturing}.
   *
   * @throws NullPointerException if {@code row} is null
   * @throws IllegalArgumentException if the row is not CAPTURING or {@code maxSnapshots} is below -1
   */
  public static void insertCapturing(Snapshot row, int maxSnapshots) {
    Objects.requireNonNull(row, "row");
    if (row.status() != SnapshotStatus.CAPTURING) {
      throw new IllegalArgumentException("insertCapturing takes a CAPTURING row, not " + row.status());
    }
    if (maxSnapshots < -1) {
      throw new IllegalArgumentException("maxSnapshots is -1 (unlimited), 0 or a limit: " + maxSnapshots);
    }
  }

  /**
   * The arguments of {@link StoreTransaction#compareAndSet}: the replacement keeps the expected
   * status (a field update) or takes a {@linkplain SnapshotStatus#canTransitionTo legal} next one.
   *
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if the transition is illegal
   */
  public static void compareAndSet(SnapshotStatus expected, Snapshot replacement) {
    Objects.requireNonNull(expected, "expected");
    Objects.requireNonNull(replacement, "replacement");
    if (replacement.status() != expected && !expected.canTransitionTo(replacement.status())) {
      throw new IllegalArgumentException(
          "illegal status transition " + expected + " -> " + replacement.status() + " for " + replacement.id());
    }
  }

  /**
   * The {@code limit} of {@link ManifestStore#expired} and {@link ManifestStore#capturingSince}.
   *
   * @throws IllegalArgumentException if {@code limit} is below 1
   */
  public static void limit(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be 1 or more: " + limit);
    }
  }

  /**
   * The arguments of {@link EventOutbox#register}.
   *
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if the hook name is blank
   */
  public static void register(String hook, StartPosition start) {
    Objects.requireNonNull(hook, "hook");
    Objects.requireNonNull(start, "start");
    if (hook.isBlank()) {
      throw new IllegalArgumentException("a hook name must not be blank");
    }
  }

  /**
   * The arguments of {@link EventOutbox#claimRuns}, and of {@link EventOutbox#claim} with a
   * {@code perWorkload} of 1.
   *
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code max} or {@code perWorkload} is below 1 or the lease
   *     is not positive
   */
  public static void claimRuns(String hook, String owner, int max, int perWorkload, Instant now, Duration lease) {
    Objects.requireNonNull(hook, "hook");
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(now, "now");
    Objects.requireNonNull(lease, "lease");
    if (max < 1) {
      throw new IllegalArgumentException("max must be 1 or more: " + max);
    }
    if (perWorkload < 1) {
      throw new IllegalArgumentException("perWorkload must be 1 or more: " + perWorkload);
    }
    if (lease.isNegative() || lease.isZero()) {
      throw new IllegalArgumentException("lease must be positive: " + lease);
    }
  }

  /**
   * The arguments of {@link ScheduleStore#claim}.
   *
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code slot} is not after {@code expectedLastSlot}
   */
  public static void claimSlot(io.snapshotkit.WorkloadRef workload, Instant expectedLastSlot, Instant slot,
      SlotClaim outcome) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(expectedLastSlot, "expectedLastSlot");
    Objects.requireNonNull(slot, "slot");
    Objects.requireNonNull(outcome, "outcome");
    if (!slot.isAfter(expectedLastSlot)) {
      throw new IllegalArgumentException("a claimed slot comes after the last one: " + slot + " is not after "
          + expectedLastSlot);
    }
  }
}
