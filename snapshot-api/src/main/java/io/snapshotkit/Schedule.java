package io.snapshotkit;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * When to capture one workload on its own: a 5-field Unix cron expression (in UTC) or a fixed
 * interval, an optional jitter, and an optional {@link RetentionPolicy} applied after each
 * scheduled capture. Start from {@link #cron} or {@link #every} and derive changed copies:
 *
 * <pre>{@code
 * Schedule nightly = Schedule.cron(workload, "0 3 * * *")
 *     .jitter(Duration.ofMinutes(10))
 *     .retention(RetentionPolicy.builder().keepDaily(7).keepWeekly(4).build());
 * Schedule hourly = Schedule.every(workload, Duration.ofHours(1));
 * }</pre>
 *
 * <p><b>Slots.</b> A schedule defines slots: each time the cron expression matches (whole minutes,
 * UTC), or each multiple of the interval since 1970-01-01T00:00:00Z (so "every hour" falls on the
 * hour). A slot is due at its time plus its jitter offset, a deterministic value in
 * {@code [0, jitter)} derived from a hash of the workload and the slot, so every engine instance
 * computes the same due time and captures of many workloads on one cron line are spread out.
 *
 * <p>This value checks the shape of its parts; the engine parses the cron expression when the
 * schedule is set (and refuses a jitter that is not shorter than the gap between its slots).
 *
 * <p><b>Thread-safety:</b> immutable.
 */
public final class Schedule {
  /** The longest cron expression accepted. */
  public static final int MAX_CRON_LENGTH = 200;

  private final WorkloadRef workload;
  private final String cron;
  private final Duration interval;
  private final Duration jitter;
  private final RetentionPolicy retention;

  private Schedule(WorkloadRef workload, String cron, Duration interval, Duration jitter, RetentionPolicy retention) {
    this.workload = workload;
    this.cron = cron;
    this.interval = interval;
    this.jitter = jitter;
    this.retention = retention;
  }

  /**
   * Captures {@code workload} whenever the 5-field Unix cron expression matches, in UTC: minute,
   * hour, day of month, month, day of week, such as {@code "0 3 * * *"} (03:00 every day) or
   * {@code "*&#47;15 * * * *"} (every quarter hour). No jitter, no retention.
   *
   * @throws SnapshotException INVALID_ARGUMENT for a blank or over-long expression, or one that
   *     does not have 5 fields
   */
  public static Schedule cron(WorkloadRef workload, String expression) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(expression, "expression");
    String trimmed = expression.trim().replaceAll("\\s+", " ");
    if (trimmed.isEmpty()) {
      throw SnapshotException.invalid("a cron expression is required, such as '0 3 * * *' (03:00 UTC every day)");
    }
    if (trimmed.length() > MAX_CRON_LENGTH) {
      throw SnapshotException.invalid("a cron expression has at most " + MAX_CRON_LENGTH + " characters; shorten it");
    }
    int fields = trimmed.split(" ").length;
    if (fields != 5) {
      throw SnapshotException.invalid("invalid cron expression '" + trimmed + "': it has " + fields
          + " fields, a Unix cron expression has 5 (minute hour day-of-month month day-of-week), such as '0 3 * * *'");
    }
    return new Schedule(workload, trimmed, null, Duration.ZERO, null);
  }

  /**
   * Captures {@code workload} every {@code interval}, at each multiple of it since
   * 1970-01-01T00:00:00Z. No jitter, no retention.
   *
   * @throws SnapshotException INVALID_ARGUMENT for an interval shorter than one second
   */
  public static Schedule every(WorkloadRef workload, Duration interval) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(interval, "interval");
    if (interval.isNegative() || interval.isZero()) {
      throw SnapshotException.invalid("a schedule interval must be positive, not " + interval
          + "; give one such as 1h or 30m");
    }
    if (interval.compareTo(Duration.ofSeconds(1)) < 0) {
      throw SnapshotException.invalid("a schedule interval is at least 1 second, not " + interval + "; give a longer one");
    }
    return new Schedule(workload, null, interval, Duration.ZERO, null);
  }

  /**
   * A copy whose slots are due up to {@code value} late: each slot gets a deterministic offset in
   * {@code [0, value)}. Zero turns jitter off.
   *
   * @throws SnapshotException INVALID_ARGUMENT for a negative jitter, or one that is not shorter
   *     than the interval
   */
  public Schedule jitter(Duration value) {
    Objects.requireNonNull(value, "jitter");
    if (value.isNegative()) {
      throw SnapshotException.invalid("a schedule's jitter must not be negative, not " + value + "; give 0 or more");
    }
    if (interval != null && value.compareTo(interval) >= 0) {
      throw SnapshotException.invalid("a schedule's jitter (" + value + ") must be shorter than its interval ("
          + interval + "), or slots would overlap; give a smaller jitter");
    }
    return new Schedule(workload, cron, interval, value, retention);
  }

  /** A copy that applies {@code policy} to the workload after each scheduled capture. */
  public Schedule retention(RetentionPolicy policy) {
    Objects.requireNonNull(policy, "retention");
    return new Schedule(workload, cron, interval, jitter, policy);
  }

  /** A copy without a retention policy. */
  public Schedule withoutRetention() {
    return new Schedule(workload, cron, interval, jitter, null);
  }

  /** The workload captured. */
  public WorkloadRef workload() {
    return workload;
  }

  /** The cron expression (normalised to single spaces), if this is a cron schedule. */
  public Optional<String> cron() {
    return Optional.ofNullable(cron);
  }

  /** The interval, if this is an interval schedule. */
  public Optional<Duration> interval() {
    return Optional.ofNullable(interval);
  }

  /** The jitter bound; zero for none. */
  public Duration jitter() {
    return jitter;
  }

  /** The retention policy applied after each scheduled capture, if any. */
  public Optional<RetentionPolicy> retention() {
    return Optional.ofNullable(retention);
  }

  /** The timing in words: {@code cron '0 3 * * *'} or {@code every PT1H}, with the jitter if any. */
  public String describe() {
    String when = cron != null ? "cron '" + cron + "'" : "every " + interval;
    return jitter.isZero() ? when : when + " with jitter " + jitter;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Schedule s && workload.equals(s.workload) && Objects.equals(cron, s.cron)
        && Objects.equals(interval, s.interval) && jitter.equals(s.jitter) && Objects.equals(retention, s.retention);
  }

  @Override
  public int hashCode() {
    return Objects.hash(workload, cron, interval, jitter, retention);
  }

  @Override
  public String toString() {
    return "Schedule[" + workload + ", " + describe() + (retention == null ? "" : ", " + retention) + "]";
  }
}
