package io.snapshotkit.fs.internal.repo;

/**
 * A Bloom filter over content digests, stored in each index file's trailer so a lookup skips
 * the index files that cannot hold a digest without reading any of their records: before gc
 * merges them, a repository has one index file per sealed pack (a dozen after one ~1 GiB capture),
 * and a lookup probed each one's bucket in turn. {@value #BITS_PER_ENTRY} bits per entry and
 * {@value #PROBES} probes give about 0.8% false positives ({@code DigestBloomTest} bounds it).
 * The digests are SHA-256, uniformly distributed, so the probes are taken from two of the
 * digest's words by double hashing ({@code h1 + i * h2}) with no further hashing.
 *
 * <p>On the heap it costs {@value #BITS_PER_ENTRY} bits (1.25 bytes) per indexed content.
 *
 * <p><b>Thread-safety:</b> {@link #add} is for the one thread writing an index; once written,
 * {@link #mightContain} is safe from any thread.
 */
final class DigestBloom {
  /** Bits of filter per entry. */
  static final int BITS_PER_ENTRY = 10;
  /** Bits set and tested per digest. */
  static final int PROBES = 7;
  /** The most 64-bit words a filter may have (a trailer is read into one array). */
  static final int MAX_WORDS = 1 << 25;

  private final long[] words;
  private final long bits;

  DigestBloom(long[] words) {
    if (words.length == 0 || words.length > MAX_WORDS) {
      throw new IllegalArgumentException("a digest filter has 1 to " + MAX_WORDS + " words, not " + words.length);
    }
    this.words = words;
    this.bits = (long) words.length * 64;
  }

  /** An empty filter for about {@code expected} digests. */
  static DigestBloom sized(long expected) {
    long want = (Math.max(1, expected) * BITS_PER_ENTRY + 63) / 64;
    return new DigestBloom(new long[(int) Math.min(MAX_WORDS, want)]);
  }

  void add(Digest d) {
    long h = d.second();
    long step = d.third() | 1;
    for (int i = 0; i < PROBES; i++, h += step) {
      long bit = Long.remainderUnsigned(h, bits);
      words[(int) (bit >>> 6)] |= 1L << bit;
    }
  }

  /** False if {@code d} was never added; true if it was (or, rarely, if it was not). */
  boolean mightContain(Digest d) {
    long h = d.second();
    long step = d.third() | 1;
    for (int i = 0; i < PROBES; i++, h += step) {
      long bit = Long.remainderUnsigned(h, bits);
      if ((words[(int) (bit >>> 6)] & (1L << bit)) == 0) {
        return false;
      }
    }
    return true;
  }

  /** The filter's words, as stored (the array itself: do not change it). */
  long[] words() {
    return words;
  }
}
