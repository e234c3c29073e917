package io.snapshotkit.fs.internal.chunk;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Objects;

/**
 * Content-defined chunking with FastCDC (Xia et al., "FastCDC: a Fast and Efficient
 * Content-Defined Chunking Approach for Data Deduplication", USENIX ATC 2016), written from the
 * paper: a gear rolling hash {@code fp = (fp << 1) + GEAR[byte]}, cut-point skipping (no cut in
 * the first {@code min} bytes of a chunk, which are not hashed), and normalized chunking at level
 * 2 (a mask with two more bits than {@code log2(avg)} before the average size, two fewer after
 * it), which narrows the chunk-size distribution around the average.
 *
 * <p>Because each bit {@code i} of the gear hash depends only on the last {@code i + 1} bytes,
 * the masks take the <em>top</em> bits of the hash: a cut depends on the last 64 bytes and on
 * the distance from the previous cut, so after an insertion or deletion the cut points fall back
 * on the old ones within a chunk or two (FastCdcTest, FastCdcProperties).
 *
 * <p><b>Format constants.</b> The gear table and the repository's {@link #MIN}/{@link #AVG}/
 * {@link #MAX} are part of repository format 2: changing any of them changes every large
 * file's digest (content stays readable, but dedup against older snapshots is lost). The table
 * is the first 256 outputs of SplitMix64 seeded with {@link #GEAR_SEED}; {@code FastCdcTest}
 * pins its SHA-256.
 *
 * <p><b>Thread-safety:</b> a chunker reading a stream is confined to one thread; the static
 * {@link #cut} is pure.
 */
public final class FastCdc {
  /** The smallest chunk (except a stream's last one), bytes. */
  public static final int MIN = 32 << 10;
  /** The average chunk the masks aim at, bytes. */
  public static final int AVG = 128 << 10;
  /** The largest chunk, bytes. */
  public static final int MAX = 512 << 10;
  /** The seed of the gear table ("SKitCDC2" in ASCII). */
  public static final long GEAR_SEED = 0x534B_6974_4344_4332L;

  static final long[] GEAR = gear(GEAR_SEED);

  private final int min;
  private final int avg;
  private final int max;
  private final long maskS;
  private final long maskL;
  private final InputStream in;
  private final byte[] buf;
  private int start;
  private int end;
  private boolean eof;

  /** Chunks {@code in} with the repository's sizes. */
  public FastCdc(InputStream in) {
    this(in, MIN, AVG, MAX);
  }

  /** Chunks {@code in} with other sizes (measurements and tests); {@code avg} must be a power of two. */
  public FastCdc(InputStream in, int min, int avg, int max) {
    this.in = Objects.requireNonNull(in, "in");
    if (Integer.bitCount(avg) != 1 || min < 64 || min >= avg || avg >= max) {
      throw new IllegalArgumentException("need 64 <= min < avg < max, avg a power of two: " + min + "/" + avg
          + "/" + max);
    }
    this.min = min;
    this.avg = avg;
    this.max = max;
    int bits = Integer.numberOfTrailingZeros(avg);
    this.maskS = topBits(bits + 2);
    this.maskL = topBits(bits - 2);
    this.buf = new byte[2 * max];
  }

  /** A mask of the top {@code n} bits of a long. */
  static long topBits(int n) {
    return n == 0 ? 0 : -1L << (64 - n);
  }

  /** The gear table: the first 256 outputs of SplitMix64 from {@code seed}. */
  static long[] gear(long seed) {
    long[] g = new long[256];
    long x = seed;
    for (int i = 0; i < 256; i++) {
      x += 0x9E3779B97F4A7C15L;
      long z = x;
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      g[i] = z ^ (z >>> 31);
    }
    return g;
  }

  /**
   * The length of the chunk that starts at {@code off}, given {@code len} bytes available from
   * there (all that is left of the stream, or at least {@code max}).
   */
  static int cut(byte[] b, int off, int len, int min, int avg, int max, long maskS, long maskL) {
    if (len <= min) {
      return len;
    }
    int n = Math.min(len, max);
    int normal = Math.min(n, avg);
    long fp = 0;
    int i = min;
    for (; i < normal; i++) {
      fp = (fp << 1) + GEAR[b[off + i] & 0xFF];
      if ((fp & maskS) == 0) {
        return i + 1;
      }
    }
    for (; i < n; i++) {
      fp = (fp << 1) + GEAR[b[off + i] & 0xFF];
      if ((fp & maskL) == 0) {
        return i + 1;
      }
    }
    return n;
  }

  /**
   * The next chunk, in a new array of exactly its length; null at the end of the stream. Every
   * chunk is between {@code min} and {@code max} bytes but the last, which may be shorter.
   */
  public byte[] next() throws IOException {
    fill();
    if (end == start) {
      return null;
    }
    int n = cut(buf, start, end - start, min, avg, max, maskS, maskL);
    byte[] chunk = Arrays.copyOfRange(buf, start, start + n);
    start += n;
    return chunk;
  }

  /** Makes at least {@code max} bytes available (or all the rest of the stream). */
  private void fill() throws IOException {
    if (end - start >= max || eof) {
      return;
    }
    System.arraycopy(buf, start, buf, 0, end - start);
    end -= start;
    start = 0;
    while (end < buf.length) {
      int r = in.read(buf, end, buf.length - end);
      if (r < 0) {
        eof = true;
        return;
      }
      end += r;
    }
  }
}
