package io.snapshotkit.core;

import io.snapshotkit.SnapshotId;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Generates snapshot ids that strictly increase, so listing by id is listing in creation order
 * even for ids made within one millisecond: a new millisecond gets fresh random bits; the same
 * millisecond (or a clock that went backwards, which keeps the last millisecond) gets the previous
 * id's {@link SnapshotId#successor()}; an exhausted millisecond moves on to the next one.
 *
 * <p><b>Thread-safety:</b> thread-safe; one generator per engine.
 */
final class MonotonicIds {
  private final RandomGenerator random;
  private SnapshotId last;

  MonotonicIds(RandomGenerator random) {
    this.random = Objects.requireNonNull(random, "random");
  }

  /** A new id, greater than every id this generator returned, for something created at {@code now}. */
  synchronized SnapshotId next(Instant now) {
    Objects.requireNonNull(now, "now");
    SnapshotId id;
    if (last == null || now.toEpochMilli() > last.timestamp().toEpochMilli()) {
      id = SnapshotId.generate(now, random);
    } else {
      Optional<SnapshotId> successor = last.successor();
      id = successor.isPresent() ? successor.get() : SnapshotId.generate(last.timestamp().plusMillis(1), random);
    }
    last = id;
    return id;
  }
}
