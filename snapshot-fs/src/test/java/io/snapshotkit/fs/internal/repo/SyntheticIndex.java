package io.snapshotkit.fs.internal.repo;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/**
 * The digests of a synthetic index of {@code count} records, generated in ascending order from a
 * seed (so that neither the writer nor the reader ever holds them): record {@code i}'s first
 * eight bytes are spread evenly over the digest space, the rest is random.
 */
final class SyntheticIndex {
  private final long count;
  private final SplittableRandom random;
  private long i;

  SyntheticIndex(long seed, long count) {
    this.count = count;
    this.random = new SplittableRandom(seed);
  }

  /** The next digest, ascending. */
  Digest next() {
    long step = Long.divideUnsigned(-1L, count);
    long top = step * i + (long) (random.nextDouble() * (step / 2));
    i++;
    return Digest.of(ByteBuffer.allocate(32).putLong(top).putLong(random.nextLong()).putLong(random.nextLong())
        .putLong(random.nextLong()).array());
  }

  /** A digest of the same shape that is not in the index (its top bits fall between two records'). */
  static Digest absent(Digest present, long count) {
    long step = Long.divideUnsigned(-1L, count);
    return Digest.of(ByteBuffer.allocate(32).putLong(present.top() + step / 2 + step / 4).putLong(7).putLong(7)
        .putLong(7).array());
  }
}
