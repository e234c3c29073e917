package io.snapshotkit;

/**
 * The kinds of snapshot event, each with its stable wire name.
 *
 * <p><b>Thread-safety:</b> immutable.
 */
public enum EventType {
  /** A capture started; the snapshot is CAPTURING. */
  CAPTURE_STARTED("snapshot.capture.started"),
  /** A capture finished; the snapshot is READY with a version. */
  CREATED("snapshot.created"),
  /** A capture failed; the snapshot is FAILED. */
  FAILED("snapshot.failed"),
  /** Every host confirmed the delete and the record is gone. */
  DELETED("snapshot.deleted"),
  /**
   * A strict delete did not finish: a host was not ONLINE (no host was asked) or did not confirm.
   * The snapshot is READY while its data is certainly intact, else it stays DELETING.
   */
  DELETE_FAILED("snapshot.delete_failed"),
  /** A restore (additive or replace) finished. */
  RESTORED("snapshot.restored"),
  /** A workload was rolled back to a version. */
  ROLLED_BACK("snapshot.rolled_back"),
  /** Retention deleted an expired snapshot. */
  EXPIRED("snapshot.expired"),
  /**
   * A capture was refused by the plan: its snapshot limit is reached or it disables snapshots
   * (limit 0), with metadata {@code used} and {@code max}; or the tenant's stored bytes reached the
   * plan's byte limit, with metadata {@code usedBytes} and {@code maxBytes}. Both carry {@code trigger}.
   */
  QUOTA_REJECTED("snapshot.quota_rejected"),
  /**
   * A snapshot was forked into a new workload: the event names the child snapshot (version 1 of
   * the new workload), with metadata {@code sourceSnapshot} and {@code sourceWorkload}, the
   * snapshot it holds the data of and that snapshot's workload. Appended in the transaction that
   * marks the child READY, after its {@code snapshot.created}.
   */
  FORKED("snapshot.forked");

  private final String wireName;

  EventType(String wireName) {
    this.wireName = wireName;
  }

  /** The stable name used in storage and payloads, such as {@code snapshot.created}. */
  public String wireName() {
    return wireName;
  }

  /** The type with this wire name. */
  public static EventType fromWireName(String name) {
    for (EventType t : values()) {
      if (t.wireName.equals(name)) {
        return t;
      }
    }
    throw new IllegalArgumentException("unknown event type: " + name);
  }
}
