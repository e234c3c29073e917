package io.snapshotkit.core;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff: {@code initial * 2^(attempts-1)}, capped at {@code max}, with up to
 * {@code jitter} of the delay taken off at random (so the cap always holds).
 *
 * <p><b>Thread-safety:</b> thread-safe; draws from the generator under a lock.
 */
final class Backoff {
  private final Duration initial;
  private final Duration max;
  private final double jitter;
  private final RandomGenerator random;

  /**
   * Creates a backoff.
   *
   * @param initial the delay after the first failure, not negative
   * @param max the cap, not shorter than {@code initial}
   * @param jitter the random fraction taken off, in {@code [0, 1)}
   * @param random the source of jitter
   */
  Backoff(Duration initial, Duration max, double jitter, RandomGenerator random) {
    this.initial = Objects.requireNonNull(initial, "initial");
    this.max = Objects.requireNonNull(max, "max");
    this.random = Objects.requireNonNull(random, "random");
    if (initial.isNegative() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("backoff needs 0 <= initial <= max (was " + initial + ", " + max + ")");
    }
    if (!(jitter >= 0.0 && jitter < 1.0)) {
      throw new IllegalArgumentException("jitter must be in [0, 1) (was " + jitter + ")");
    }
    this.jitter = jitter;
  }

  /**
   * The delay before the next attempt after {@code attempts} failed ones.
   *
   * @param attempts failed attempts so far, at least 1
   */
  Duration delay(int attempts) {
    if (attempts < 1) {
      throw new IllegalArgumentException("attempts must be at least 1 (was " + attempts + ")");
    }
    Duration base = exponential(attempts);
    if (jitter == 0.0 || base.isZero()) {
      return base;
    }
    double draw;
    synchronized (random) {
      draw = random.nextDouble();
    }
    long nanos = saturatedNanos(base);
    long off = (long) (nanos * jitter * draw);
    return Duration.ofNanos(nanos - off);
  }

  private Duration exponential(int attempts) {
    Duration d = initial;
    for (int i = 1; i < attempts; i++) {
      if (d.compareTo(max) >= 0) {
        return max;
      }
      d = d.multipliedBy(2);
    }
    return d.compareTo(max) > 0 ? max : d;
  }

  private static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException tooLong) {
      return Long.MAX_VALUE;
    }
  }
}
