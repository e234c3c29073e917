package io.snapshotkit.core;

import java.util.Locale;

/**
 * The engine operations an {@link EngineObserver} hears about, one per public call that does
 * work on hosts or the store.
 */
public enum EngineOperation {
  /** {@link SnapshotEngine#capture} and {@link SnapshotEngine#startCapture} (until the capture ends). */
  CAPTURE,
  /** {@link SnapshotEngine#restore}. */
  RESTORE,
  /** {@link SnapshotEngine#rollback}. */
  ROLLBACK,
  /** {@link SnapshotEngine#delete}. */
  DELETE,
  /** {@link SnapshotEngine#diff} and {@link SnapshotEngine#diffCurrent}. */
  DIFF,
  /** {@link SnapshotEngine#sweepExpired}. */
  SWEEP,
  /** {@link SnapshotEngine#applyRetention}. */
  RETENTION,
  /** {@link SnapshotEngine#reapStuckCaptures}. */
  REAP,
  /** {@link SnapshotEngine#verify}. */
  VERIFY,
  /** {@link SnapshotEngine#fork}. */
  FORK;

  /** The lower-case name metrics use as a tag value: {@code capture}, {@code restore}, ... */
  public String tag() {
    return name().toLowerCase(Locale.ROOT);
  }
}
