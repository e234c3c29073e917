package io.snapshotkit;

/**
 * What went wrong, in terms a caller can act on. Each code maps to exactly one HTTP status so
 * that a REST layer can translate failures without a lookup table of its own.
 *
 * <p><b>Thread-safety:</b> immutable.
 */
public enum ErrorCode {
  /** The snapshot, workload or version does not exist for this tenant (also: it belongs to another tenant). */
  NOT_FOUND(404),
  /** The request is malformed: a bad name, an out-of-range version, a cross-workload diff. */
  INVALID_ARGUMENT(400),
  /** The request is understood but not allowed, for example deleting a protected snapshot. */
  FORBIDDEN(403),
  /** The request conflicts with the current state: a delete a host refused, a concurrent transition. Retry later. */
  CONFLICT(409),
  /** The tenant's plan does not allow another snapshot. */
  QUOTA_EXCEEDED(429),
  /** A host that must take part is offline, draining, unreachable or timed out. */
  HOST_UNAVAILABLE(503),
  /** Stored data failed its integrity check (digest mismatch, unreadable manifest, torn blob). */
  CORRUPT(500),
  /**
   * A filesystem ran out of space or over its quota (ENOSPC, EDQUOT) while data was written. The
   * data handling was right: free space (or raise the quota) and retry.
   */
  INSUFFICIENT_STORAGE(507),
  /** An unexpected failure, usually an adapter's bug; the cause is attached. */
  INTERNAL(500);

  private final int httpStatus;

  ErrorCode(int httpStatus) {
    this.httpStatus = httpStatus;
  }

  /** The HTTP status a REST layer should answer with for this code. */
  public int httpStatus() {
    return httpStatus;
  }
}
