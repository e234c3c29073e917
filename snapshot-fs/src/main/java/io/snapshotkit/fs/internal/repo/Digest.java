package io.snapshotkit.fs.internal.repo;

import io.snapshotkit.SnapshotException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** A SHA-256 content digest, held as four longs so a million of them stay small. Immutable. */
public final class Digest implements Comparable<Digest> {
  static final int BYTES = 32;

  private final long a;
  private final long b;
  private final long c;
  private final long d;

  private Digest(long a, long b, long c, long d) {
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
  }

  public static Digest of(byte[] bytes) {
    if (bytes.length != BYTES) {
      throw new IllegalArgumentException("a SHA-256 digest has 32 bytes, not " + bytes.length);
    }
    return at(bytes, 0);
  }

  /**
   * The digest in the 32 bytes at {@code offset} of {@code data}, read in place. Plain shifts,
   * not a ByteBuffer or a VarHandle: a cold process decodes tens of thousands of digests (tree
   * nodes, index pages) mostly in the interpreter and C1, where those cost a call chain each.
   */
  static Digest at(byte[] data, int offset) {
    if (offset < 0 || offset > data.length - BYTES) {
      throw new IndexOutOfBoundsException("32 bytes at " + offset + " of " + data.length);
    }
    return new Digest(longAt(data, offset), longAt(data, offset + 8), longAt(data, offset + 16),
        longAt(data, offset + 24));
  }

  private static long longAt(byte[] b, int i) {
    return (b[i] & 0xFFL) << 56 | (b[i + 1] & 0xFFL) << 48 | (b[i + 2] & 0xFFL) << 40 | (b[i + 3] & 0xFFL) << 32
        | (b[i + 4] & 0xFFL) << 24 | (b[i + 5] & 0xFFL) << 16 | (b[i + 6] & 0xFFL) << 8 | (b[i + 7] & 0xFFL);
  }

  private static void putLong(byte[] b, int i, long v) {
    for (int k = 7; k >= 0; k--) {
      b[i + k] = (byte) v;
      v >>>= 8;
    }
  }

  public static Digest parse(String hex) {
    return of(HexFormat.of().parseHex(hex));
  }

  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw SnapshotException.wrap("loading SHA-256", e);
    }
  }

  /** One SHA-256 engine per thread for {@link #hash}: looking one up costs a provider search per call. */
  private static final ThreadLocal<MessageDigest> ENGINE = ThreadLocal.withInitial(Digest::sha256);

  public static Digest hash(byte[] data, int offset, int length) {
    MessageDigest md = ENGINE.get();
    md.update(data, offset, length);
    return of(md.digest()); // digest() resets the engine for the next call
  }

  /** The first eight bytes, big-endian (index fan-out). */
  long top() {
    return a;
  }

  /**
   * Compares this digest with the 32 big-endian bytes at {@code at} of {@code data}, in the
   * order of {@link #compareTo}, without decoding them (index lookups).
   */
  int compareToBytesAt(byte[] data, int at) {
    int r = Long.compareUnsigned(a, longAt(data, at));
    if (r == 0) {
      r = Long.compareUnsigned(b, longAt(data, at + 8));
    }
    if (r == 0) {
      r = Long.compareUnsigned(c, longAt(data, at + 16));
    }
    return r != 0 ? r : Long.compareUnsigned(d, longAt(data, at + 24));
  }

  /** The second and third eight bytes (the probes of {@link DigestBloom}; the first makes the fan-out). */
  long second() {
    return b;
  }

  long third() {
    return c;
  }

  /** This digest XOR another (the domain separation of {@link ChunkList}). */
  Digest xor(Digest o) {
    return new Digest(a ^ o.a, b ^ o.b, c ^ o.c, d ^ o.d);
  }

  byte[] bytes() {
    byte[] out = new byte[BYTES];
    writeTo(out, 0);
    return out;
  }

  /** Writes the 32 bytes at {@code offset} of {@code out}. */
  void writeTo(byte[] out, int offset) {
    putLong(out, offset, a);
    putLong(out, offset + 8, b);
    putLong(out, offset + 16, c);
    putLong(out, offset + 24, d);
  }

  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  /** Writes the 64 lower-case hex digits at {@code offset} of {@code out}, as {@link #hex} spells them. */
  void writeHex(byte[] out, int offset) {
    long[] words = {a, b, c, d};
    for (int w = 0; w < 4; w++) {
      long v = words[w];
      for (int k = 15; k >= 0; k--) {
        out[offset + w * 16 + k] = HEX[(int) (v & 0xF)];
        v >>>= 4;
      }
    }
  }

  public String hex() {
    byte[] out = new byte[2 * BYTES];
    writeHex(out, 0);
    return new String(out, StandardCharsets.ISO_8859_1);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Digest other && a == other.a && b == other.b && c == other.c && d == other.d;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(a);
  }

  @Override
  public int compareTo(Digest o) {
    int r = Long.compareUnsigned(a, o.a);
    if (r == 0) {
      r = Long.compareUnsigned(b, o.b);
    }
    if (r == 0) {
      r = Long.compareUnsigned(c, o.c);
    }
    return r != 0 ? r : Long.compareUnsigned(d, o.d);
  }

  @Override
  public String toString() {
    return hex();
  }
}
