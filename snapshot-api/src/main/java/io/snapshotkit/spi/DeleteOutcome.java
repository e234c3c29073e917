package io.snapshotkit.spi;

/**
 * A host's definite answer to a delete. Both count as success for the strict delete.
 *
 * <p><b>Thread-safety:</b> immutable.
 */
public enum DeleteOutcome {
  /** The host held the snapshot's data and removed it. */
  DELETED,
  /** The host never held the snapshot's data (or already removed it). */
  NOT_FOUND
}
