package io.snapshotkit;

/**
 * Which READY snapshots of a workload to keep, beyond plan expiry: the newest {@code keepLast},
 * the newest of each of the last {@code keepDaily} days, and the newest of each of the last
 * {@code keepWeekly} ISO weeks (UTC). A snapshot kept by any rule is kept; protected snapshots are
 * always kept. All zero keeps nothing but protected snapshots.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param keepLast how many of the newest to keep
 * @param keepDaily how many days to keep one snapshot for
 * @param keepWeekly how many weeks to keep one snapshot for
 */
public record RetentionPolicy(int keepLast, int keepDaily, int keepWeekly) {
  /** Validates. */
  public RetentionPolicy {
    if (keepLast < 0 || keepDaily < 0 || keepWeekly < 0) {
      throw new IllegalArgumentException("retention counts must not be negative");
    }
  }

  /** Keep the newest {@code n}. */
  public static RetentionPolicy keepLast(int n) {
    return new RetentionPolicy(n, 0, 0);
  }
}
