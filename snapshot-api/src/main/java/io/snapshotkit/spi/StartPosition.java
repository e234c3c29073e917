package io.snapshotkit.spi;

/**
 * Where a newly registered hook starts reading the outbox.
 *
 * <p><b>Thread-safety:</b> immutable.
 */
public enum StartPosition {
  /** Only events appended after registration. */
  NOW,
  /** Every event still retained in the outbox. */
  BEGINNING
}
