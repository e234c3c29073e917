package io.snapshotkit;

/**
 * Where a snapshot is in its life. Transitions are compare-and-set and only go forward:
 * {@code CAPTURING → READY | FAILED}, {@code READY → DELETING}, {@code DELETING → READY} (a strict
 * delete that no host confirmed, so the data is intact) or removal of the row. A duplicate or late
 * report never moves a snapshot backwards.
 *
 * <p><b>Thread-safety:</b> immutable.
 */
public enum SnapshotStatus {
  /** The capture is running; the row exists so listings show it. */
  CAPTURING,
  /** Captured and usable: it has a version and a manifest. */
  READY,
  /** The capture failed; kept so listings reflect reality, never restorable. */
  FAILED,
  /**
   * A strict delete is in flight, or unfinished because some host did not confirm after another
   * had (its data may be partly gone: never restorable); the row is removed once every host
   * confirmed.
   */
  DELETING;

  /** Whether a compare-and-set from this status to {@code next} is a legal transition. */
  public boolean canTransitionTo(SnapshotStatus next) {
    return switch (this) {
      case CAPTURING -> next == READY || next == FAILED;
      case READY -> next == DELETING;
      case DELETING -> next == READY;
      case FAILED -> false;
    };
  }

  /** Whether a snapshot in this status counts against the plan's {@code maxSnapshots}. */
  public boolean countsAgainstQuota() {
    return this != FAILED;
  }
}
