package io.snapshotkit;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A tenant's plan limits.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param maxSnapshots snapshots per workload: {@code 0} disables the feature, {@code -1} is
 *     unlimited, otherwise the limit (FAILED snapshots do not count)
 * @param retention how long a snapshot lives before the sweeper deletes it; empty keeps it forever
 */
public record Plan(int maxSnapshots, Optional<Duration> retention) {
  /** Unlimited snapshots, kept forever. */
  public static final Plan UNLIMITED = new Plan(-1, Optional.empty());

  /** Validates. */
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
  }

  /** A plan with a snapshot limit and a retention period. */
  public static Plan of(int maxSnapshots, Duration retention) {
    return new Plan(maxSnapshots, Optional.of(retention));
  }

  /** Whether snapshots are enabled at all. */
  public boolean enabled() {
    return maxSnapshots != 0;
  }

  /** Whether there is no snapshot limit. */
  public boolean unlimited() {
    return maxSnapshots == -1;
  }
}
