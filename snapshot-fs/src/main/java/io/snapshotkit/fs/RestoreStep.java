package io.snapshotkit.fs;

/**
 * The durable steps of a replace restore, in order, as reported to a {@link RestoreListener}.
 * What start-up recovery does after a crash at each: before {@link #COMMITTED} it puts every
 * volume back on its original data; from {@link #COMMITTED} on it keeps the restored data. Either
 * way it removes the staging directories and the journal.
 *
 * <p><b>Thread-safety:</b> immutable.
 */
public enum RestoreStep {
  /** Every volume is extracted to its staging directory and fsynced; nothing live was touched. */
  STAGED,
  /** The journal says PREPARED and is fsynced; the destructive phase (renames) starts next. */
  JOURNALED,
  /**
   * One more swap (a whole volume, or a selected path) is done — live set aside, staging renamed
   * into place — and checkpointed in the journal.
   */
  VOLUME_SWAPPED,
  /** Every swap is done and the journal says COMMITTED; the set-aside originals are removed next. */
  COMMITTED
}
