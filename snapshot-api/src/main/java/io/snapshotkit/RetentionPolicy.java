package io.snapshotkit;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Which READY snapshots of a workload to keep, beyond plan expiry: the newest {@code keepLast};
 * the newest of each of the last {@code keepHourly} hours, {@code keepDaily} days,
 * {@code keepWeekly} ISO weeks, {@code keepMonthly} months and {@code keepYearly} years that have
 * snapshots (all in UTC; periods without snapshots do not use up the allowance); and every
 * snapshot taken within {@code keepWithin} of the newest one. A snapshot kept by any rule is kept;
 * protected snapshots are always kept. A policy with no rule keeps nothing but protected
 * snapshots.
 *
 * <p>{@code keepWithin} is measured from the newest READY snapshot, not from the clock (as restic's
 * {@code --keep-within} is), so a workload that stopped taking snapshots keeps its last ones.
 *
 * <p>Build one with {@link #builder()}; the three-count constructor and {@link #keepLast(int)}
 * remain for the common cases.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param keepLast how many of the newest to keep
 * @param keepHourly how many hours to keep one snapshot for
 * @param keepDaily how many days to keep one snapshot for
 * @param keepWeekly how many weeks to keep one snapshot for
 * @param keepMonthly how many months to keep one snapshot for
 * @param keepYearly how many years to keep one snapshot for
 * @param keepWithin keep every snapshot this close to the newest one; empty for none
 */
public record RetentionPolicy(int keepLast, int keepHourly, int keepDaily, int keepWeekly, int keepMonthly,
    int keepYearly, Optional<Duration> keepWithin) {

  /**
   * Validates.
   *
   * @throws SnapshotException INVALID_ARGUMENT for a negative count or a negative or zero duration
   */
  public RetentionPolicy {
    Objects.requireNonNull(keepWithin, "keepWithin");
    if (keepLast < 0 || keepHourly < 0 || keepDaily < 0 || keepWeekly < 0 || keepMonthly < 0 || keepYearly < 0) {
      throw SnapshotException.invalid("retention counts must not be negative");
    }
    keepWithin.ifPresent(d -> {
      if (d.isNegative() || d.isZero()) {
        throw SnapshotException.invalid("keep-within must be a positive duration, not " + d);
      }
    });
  }

  /**
   * Keep the newest {@code keepLast}, and the newest of each of the last {@code keepDaily} days and
   * {@code keepWeekly} weeks.
   *
   * @param keepLast how many of the newest to keep
   * @param keepDaily how many days to keep one snapshot for
   * @param keepWeekly how many weeks to keep one snapshot for
   */
  public RetentionPolicy(int keepLast, int keepDaily, int keepWeekly) {
    this(keepLast, 0, keepDaily, keepWeekly, 0, 0, Optional.empty());
  }

  /** Keep the newest {@code n}. */
  public static RetentionPolicy keepLast(int n) {
    return new RetentionPolicy(n, 0, 0);
  }

  /** A builder with no rule set. */
  public static Builder builder() {
    return new Builder();
  }

  /** Whether no rule keeps anything (only protected snapshots would survive). */
  public boolean keepsNothing() {
    return keepLast == 0 && keepHourly == 0 && keepDaily == 0 && keepWeekly == 0 && keepMonthly == 0
        && keepYearly == 0 && keepWithin.isEmpty();
  }

  /**
   * Builds a {@link RetentionPolicy}; every rule starts at zero (off).
   *
   * <p><b>Thread-safety:</b> not thread-safe; use from one thread.
   */
  public static final class Builder {
    private int last;
    private int hourly;
    private int daily;
    private int weekly;
    private int monthly;
    private int yearly;
    private Duration within;

    private Builder() {}

    /** Keep the newest {@code n}. */
    public Builder keepLast(int n) {
      last = n;
      return this;
    }

    /** Keep the newest of each of the last {@code n} hours that have snapshots. */
    public Builder keepHourly(int n) {
      hourly = n;
      return this;
    }

    /** Keep the newest of each of the last {@code n} days that have snapshots. */
    public Builder keepDaily(int n) {
      daily = n;
      return this;
    }

    /** Keep the newest of each of the last {@code n} ISO weeks that have snapshots. */
    public Builder keepWeekly(int n) {
      weekly = n;
      return this;
    }

    /** Keep the newest of each of the last {@code n} months that have snapshots. */
    public Builder keepMonthly(int n) {
      monthly = n;
      return this;
    }

    /** Keep the newest of each of the last {@code n} years that have snapshots. */
    public Builder keepYearly(int n) {
      yearly = n;
      return this;
    }

    /** Keep every snapshot taken within {@code d} of the newest one. */
    public Builder keepWithin(Duration d) {
      within = Objects.requireNonNull(d, "keepWithin");
      return this;
    }

    /**
     * The policy.
     *
     * @throws SnapshotException INVALID_ARGUMENT for a negative count or a non-positive duration
     */
    public RetentionPolicy build() {
      return new RetentionPolicy(last, hourly, daily, weekly, monthly, yearly, Optional.ofNullable(within));
    }
  }
}
