package io.snapshotkit;

/**
 * Why a snapshot was taken: one of the well-known triggers or an application's own lower-case word.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param value a lower-case word: {@code [a-z][a-z0-9_]{0,31}}
 */
public record Trigger(String value) {
  /** A person asked for it. */
  public static final Trigger MANUAL = new Trigger("manual");
  /** Taken before a command runs in the workload. */
  public static final Trigger PRE_EXEC = new Trigger("pre_exec");
  /** Taken by a schedule. */
  public static final Trigger SCHEDULE = new Trigger("schedule");
  /** Taken by a replace restore before it overwrites the workload. */
  public static final Trigger PRE_RESTORE = new Trigger("pre_restore");
  /** Taken by a rollback before it overwrites the workload. */
  public static final Trigger ROLLBACK = new Trigger("rollback");
  /** Taken before a chaos experiment. */
  public static final Trigger PRE_CHAOS = new Trigger("pre_chaos");
  /** Version 1 of a workload forked from another workload's snapshot. */
  public static final Trigger FORK = new Trigger("fork");

  /** Validates the word. */
  public Trigger {
    if (value == null) {
      throw SnapshotException.invalid("trigger is required");
    }
    if (!value.matches("[a-z][a-z0-9_]{0,31}")) {
      throw SnapshotException.invalid(
          "a trigger is a lower-case word of 1 to 32 letters, digits or underscores starting with a letter, such as 'manual'");
    }
  }

  /** Parses a trigger word. */
  public static Trigger of(String value) {
    return new Trigger(value);
  }

  @Override
  public String toString() {
    return value;
  }
}
