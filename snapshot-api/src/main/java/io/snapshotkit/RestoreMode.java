package io.snapshotkit;

/**
 * How a restore treats what the workload has now.
 *
 * <p><b>Thread-safety:</b> immutable.
 */
public enum RestoreMode {
  /**
   * Re-create what the snapshot has and the workload lacks, matched by natural key; leave what exists.
   * Running it twice creates nothing the second time.
   */
  ADDITIVE,
  /** Make the workload exactly the snapshot, transactionally: every volume fully original or fully restored. */
  REPLACE
}
