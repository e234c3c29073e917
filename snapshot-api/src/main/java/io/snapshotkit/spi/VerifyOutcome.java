package io.snapshotkit.spi;

import java.util.List;
import java.util.Objects;

/**
 * What a host found when asked whether a snapshot's data is present and intact.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param status the verdict
 * @param contentsChecked how many stored contents were read back and matched their digests
 * @param problems what is missing or damaged, one line each (at most {@value #MAX_PROBLEMS}; empty
 *     when intact)
 */
public record VerifyOutcome(Status status, long contentsChecked, List<String> problems) {
  /** The most problems an outcome lists; the rest are counted in the last line. */
  public static final int MAX_PROBLEMS = 100;

  /** The verdict of a verify. */
  public enum Status {
    /** Every checked content was present and matched its digest. */
    INTACT,
    /** Some content is missing or does not match its digest: restoring the snapshot fails with CORRUPT. */
    DAMAGED,
    /** The host does not hold the snapshot at all. */
    MISSING,
    /** The host holds the snapshot, but its agent cannot read its contents back (no {@link HostVerify}). */
    PRESENT
  }

  /** Validates and copies. */
  public VerifyOutcome {
    Objects.requireNonNull(status, "status");
    if (contentsChecked < 0) {
      throw new IllegalArgumentException("contentsChecked must not be negative: " + contentsChecked);
    }
    problems = List.copyOf(problems);
  }

  /** Every one of {@code checked} contents was present and intact. */
  public static VerifyOutcome intact(long checked) {
    return new VerifyOutcome(Status.INTACT, checked, List.of());
  }

  /** The host does not hold the snapshot. */
  public static VerifyOutcome missing() {
    return new VerifyOutcome(Status.MISSING, 0, List.of("the host does not hold this snapshot"));
  }

  /** The host holds the snapshot; its contents were not read. */
  public static VerifyOutcome present() {
    return new VerifyOutcome(Status.PRESENT, 0, List.of());
  }

  /** Some contents are missing or damaged. */
  public static VerifyOutcome damaged(long checked, List<String> problems) {
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("a damaged outcome names at least one problem");
    }
    return new VerifyOutcome(Status.DAMAGED, checked, problems);
  }

  /** Whether the data was read back and found intact. */
  public boolean intact() {
    return status == Status.INTACT;
  }
}
