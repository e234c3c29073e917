package io.snapshotkit.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link Clock} that stands still until a test moves it, so time-dependent behaviour (expiry,
 * leases, backoff) is tested without sleeping.
 *
 * <pre>{@code
 * MutableClock clock = MutableClock.epoch();
 * engine = SnapshotEngine.builder().clock(clock)...build();
 * clock.advance(Duration.ofDays(8));   // retention has now passed
 * }</pre>
 *
 * <p>Clocks derived with {@link #withZone} share this clock's instant: moving one moves all.
 *
 * <p><b>Thread-safety:</b> thread-safe; reads and moves are atomic.
 */
public final class MutableClock extends Clock {

  /** The instant {@link #epoch()} starts at: 2026-01-01T00:00:00Z. */
  public static final Instant EPOCH = Instant.parse("2026-01-01T00:00:00Z");

  private final AtomicReference<Instant> now;
  private final ZoneId zone;

  private MutableClock(AtomicReference<Instant> now, ZoneId zone) {
    this.now = now;
    this.zone = zone;
  }

  /** A clock standing at {@code start}, in UTC. */
  public static MutableClock at(Instant start) {
    Objects.requireNonNull(start, "start");
    return new MutableClock(new AtomicReference<>(start), ZoneOffset.UTC);
  }

  /** A clock standing at {@link #EPOCH} (2026-01-01T00:00:00Z), in UTC. */
  public static MutableClock epoch() {
    return at(EPOCH);
  }

  @Override
  public Instant instant() {
    return now.get();
  }

  @Override
  public long millis() {
    return now.get().toEpochMilli();
  }

  /**
   * Moves the clock forward and returns the new instant.
   *
   * @throws IllegalArgumentException if {@code amount} is negative (use {@link #set} to go back on purpose)
   */
  public Instant advance(Duration amount) {
    Objects.requireNonNull(amount, "amount");
    if (amount.isNegative()) {
      throw new IllegalArgumentException("advance moves forward; use set(Instant) to go back: " + amount);
    }
    return now.updateAndGet(t -> t.plus(amount));
  }

  /** Sets the clock to {@code instant}, forward or back. */
  public void set(Instant instant) {
    Objects.requireNonNull(instant, "instant");
    now.set(instant);
  }

  /** The zone, UTC unless derived with {@link #withZone}. */
  @Override
  public ZoneId getZone() {
    return zone;
  }

  /** A clock in another zone that shares this clock's instant. */
  @Override
  public MutableClock withZone(ZoneId other) {
    Objects.requireNonNull(other, "zone");
    return other.equals(zone) ? this : new MutableClock(now, other);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MutableClock c && c.now == now && c.zone.equals(zone);
  }

  @Override
  public int hashCode() {
    return System.identityHashCode(now) * 31 + zone.hashCode();
  }

  @Override
  public String toString() {
    return "MutableClock[" + now.get() + ", " + zone + "]";
  }
}
