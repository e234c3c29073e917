package io.snapshotkit.fs.internal.repo;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * A growable byte array that {@link TreeNode} encodes nodes into, the writing side of {@link
 * TreeBytes}. A capture encodes every entry of the snapshot (an unchanged directory too, to get
 * its digest), mostly in the interpreter and C1 in a cold process, where a {@code
 * DataOutputStream} over a {@code ByteArrayOutputStream} takes two locks per byte of each varint;
 * this writes the array directly, byte for byte what those streams would write.
 *
 * <p><b>Thread-safety:</b> not thread-safe; one writer uses it.
 */
final class TreeBytesWriter {
  private byte[] buf;
  private int size;

  TreeBytesWriter(int capacity) {
    buf = new byte[Math.max(16, capacity)];
  }

  int size() {
    return size;
  }

  /** Forgets what was written; keeps the array. */
  void reset() {
    size = 0;
  }

  private void ensure(int more) {
    if (more > buf.length - size) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
    }
  }

  void writeByte(int b) {
    ensure(1);
    buf[size++] = (byte) b;
  }

  /** Big-endian, as {@link DataOutputStream#writeInt}. */
  void writeInt(int v) {
    ensure(4);
    buf[size] = (byte) (v >>> 24);
    buf[size + 1] = (byte) (v >>> 16);
    buf[size + 2] = (byte) (v >>> 8);
    buf[size + 3] = (byte) v;
    size += 4;
  }

  /** Seven bits per byte, low first, the high bit set on all but the last. */
  void writeVarLong(long v) {
    ensure(10);
    while ((v & ~0x7FL) != 0) {
      buf[size++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[size++] = (byte) v;
  }

  void write(Digest d) {
    ensure(Digest.BYTES);
    d.writeTo(buf, size);
    size += Digest.BYTES;
  }

  void write(byte[] b, int offset, int length) {
    ensure(length);
    System.arraycopy(b, offset, buf, size, length);
    size += length;
  }

  /**
   * As {@link DataOutputStream#writeUTF}: a two-byte length, then modified UTF-8. Written directly
   * when every char is ASCII other than NUL (which modified UTF-8 encodes as itself), else by
   * {@code writeUTF}, which also refuses a string that encodes to more than 65535 bytes.
   */
  void writeUtf(String s) {
    int n = s.length();
    if (n <= 0xFFFF) {
      ensure(2 + n);
      int at = size + 2;
      int i = 0;
      for (; i < n; i++) {
        char c = s.charAt(i);
        if (c == 0 || c >= 0x80) {
          break;
        }
        buf[at + i] = (byte) c; // ASCII: each char is its own byte
      }
      if (i == n) {
        buf[size] = (byte) (n >>> 8);
        buf[size + 1] = (byte) n;
        size = at + n;
        return;
      }
    }
    ByteArrayOutputStream encoded = new ByteArrayOutputStream(n + 8);
    try {
      new DataOutputStream(encoded).writeUTF(s);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    write(encoded.toByteArray(), 0, encoded.size());
  }

  byte[] toByteArray() {
    return Arrays.copyOf(buf, size);
  }

  /** Writes what this holds into {@code out}. */
  void writeTo(TreeBytesWriter out) {
    out.write(buf, 0, size);
  }
}
