package io.snapshotkit.fs;

/**
 * The durable steps of a replace restore, in order, as reported to a {@link RestoreListener}.
 *
 * <p><b>Thread-safety:</b> immutable.
 */
public enum RestoreStep {
  /** Every volume is extracted to its staging directory; nothing live was touched. */
  STAGED,
  /** The journal is on disk; the destructive phase starts next. */
  JOURNALED,
  /** One more volume was swapped (live set aside, staging renamed to live) and checkpointed. */
  VOLUME_SWAPPED,
  /** Every volume is swapped and the journal says COMMITTED; backups are removed next. */
  COMMITTED
}
