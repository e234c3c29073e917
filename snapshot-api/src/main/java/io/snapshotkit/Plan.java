package io.snapshotkit;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A tenant's plan limits.
 *
 * <p>The byte limit is a <em>soft</em> limit: a capture is admitted while the tenant's stored
 * bytes (the sizes of its READY and DELETING snapshots) are below it, checked in the same
 * transaction that inserts the snapshot, and a snapshot's size is only known once it is captured,
 * so one admitted capture (or several running at once) can take the total above the limit. The
 * next capture is then refused with {@link ErrorCode#QUOTA_EXCEEDED} until snapshots are deleted.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param maxSnapshots snapshots per workload: {@code 0} disables the feature, {@code -1} is
 *     unlimited, otherwise the limit (FAILED snapshots do not count)
 * @param retention how long a snapshot lives before the sweeper deletes it; empty keeps it forever
 * @param maxBytes stored bytes per tenant: {@code -1} is unlimited, otherwise a positive soft limit
 */
public record Plan(int maxSnapshots, Optional<Duration> retention, long maxBytes) {
  /** Unlimited snapshots and bytes, kept forever. */
  public static final Plan UNLIMITED = new Plan(-1, Optional.empty(), -1);

  /**
   * Validates.
   *
   * @throws IllegalArgumentException for a snapshot limit below -1 or a non-positive retention
   * @throws SnapshotException INVALID_ARGUMENT for a byte limit that is neither -1 nor positive
   */
  public Plan {
    Objects.requireNonNull(retention, "retention");
    if (maxSnapshots < -1) {
      throw new IllegalArgumentException("maxSnapshots is -1 (unlimited), 0 (disabled) or a limit: " + maxSnapshots);
    }
    retention.ifPresent(r -> {
      if (r.isNegative() || r.isZero()) {
        throw new IllegalArgumentException("retention must be positive: " + r);
      }
    });
    if (maxBytes != -1 && maxBytes <= 0) {
      throw SnapshotException.invalid("a plan's byte limit is -1 (unlimited) or a positive number of bytes, not "
          + maxBytes);
    }
  }

  /**
   * A plan without a byte limit.
   *
   * @param maxSnapshots snapshots per workload ({@code 0} disabled, {@code -1} unlimited)
   * @param retention how long a snapshot lives; empty keeps it forever
   */
  public Plan(int maxSnapshots, Optional<Duration> retention) {
    this(maxSnapshots, retention, -1);
  }

  /** A plan with a snapshot limit and a retention period, without a byte limit. */
  public static Plan of(int maxSnapshots, Duration retention) {
    return new Plan(maxSnapshots, Optional.of(retention));
  }

  /**
   * This plan with a soft limit on the tenant's stored bytes; {@code -1} removes it.
   *
   * @throws SnapshotException INVALID_ARGUMENT when {@code bytes} is neither -1 nor positive
   */
  public Plan withMaxBytes(long bytes) {
    return new Plan(maxSnapshots, retention, bytes);
  }

  /** Whether snapshots are enabled at all. */
  public boolean enabled() {
    return maxSnapshots != 0;
  }

  /** Whether there is no snapshot limit. */
  public boolean unlimited() {
    return maxSnapshots == -1;
  }

  /** Whether there is a limit on the tenant's stored bytes. */
  public boolean limitsBytes() {
    return maxBytes != -1;
  }
}
