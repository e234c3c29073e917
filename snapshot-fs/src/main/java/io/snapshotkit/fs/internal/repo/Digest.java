package io.snapshotkit.fs.internal.repo;

import io.snapshotkit.SnapshotException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** A SHA-256 content digest, held as four longs so a million of them stay small. Immutable. */
public final class Digest implements Comparable<Digest> {
  static final int BYTES = 32;
  private static final java.lang.invoke.VarHandle LONGS =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.BIG_ENDIAN);

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
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    return new Digest(buf.getLong(), buf.getLong(), buf.getLong(), buf.getLong());
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
    int r = Long.compareUnsigned(a, (long) LONGS.get(data, at));
    if (r == 0) {
      r = Long.compareUnsigned(b, (long) LONGS.get(data, at + 8));
    }
    if (r == 0) {
      r = Long.compareUnsigned(c, (long) LONGS.get(data, at + 16));
    }
    return r != 0 ? r : Long.compareUnsigned(d, (long) LONGS.get(data, at + 24));
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
    return ByteBuffer.allocate(BYTES).putLong(a).putLong(b).putLong(c).putLong(d).array();
  }

  public String hex() {
    return HexFormat.of().formatHex(bytes());
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
