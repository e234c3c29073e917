package io.snapshotkit.fs.internal.repo;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * A reading position in a tree node's bytes: what {@link TreeNode#decode} reads its fields with.
 * A cold process decodes tens of thousands of entries (a diff, the parent of an incremental
 * capture, a restore) mostly in the interpreter and C1, where a {@code DataInputStream} over a
 * {@code ByteArrayInputStream} costs a chain of virtual calls and a lock per byte; this reads the
 * array directly. Every read past the end throws {@link IOException}, which the decoder reports
 * as a damaged tree.
 *
 * <p><b>Thread-safety:</b> not thread-safe; one decoder uses it.
 */
final class TreeBytes {
  private final byte[] data;
  private int pos;

  TreeBytes(byte[] data) {
    this.data = data;
  }

  private void need(int n) throws IOException {
    if (n > data.length - pos) {
      throw new IOException("a tree node ends early");
    }
  }

  int readInt() throws IOException {
    need(4);
    int v = (data[pos] & 0xFF) << 24 | (data[pos + 1] & 0xFF) << 16 | (data[pos + 2] & 0xFF) << 8
        | (data[pos + 3] & 0xFF);
    pos += 4;
    return v;
  }

  int readUnsignedByte() throws IOException {
    need(1);
    return data[pos++] & 0xFF;
  }

  /** The next 32 bytes, as a digest. */
  Digest readDigest() throws IOException {
    need(Digest.BYTES);
    Digest d = Digest.at(data, pos);
    pos += Digest.BYTES;
    return d;
  }

  /**
   * A string as {@link java.io.DataOutputStream#writeUTF} wrote it (a two-byte length, then
   * modified UTF-8): read directly when every byte is ASCII, which modified UTF-8 encodes as
   * itself (NUL is never a single byte there), else by {@link DataInputStream#readUTF}.
   */
  String readUtf() throws IOException {
    need(2);
    int length = (data[pos] & 0xFF) << 8 | (data[pos + 1] & 0xFF);
    need(2 + length);
    int start = pos + 2;
    boolean ascii = true;
    for (int i = start; i < start + length; i++) {
      if (data[i] <= 0) { // negative: not ASCII; zero: never written by writeUTF
        ascii = false;
        break;
      }
    }
    String s = ascii ? new String(data, start, length, StandardCharsets.ISO_8859_1)
        : new DataInputStream(new ByteArrayInputStream(data, pos, 2 + length)).readUTF();
    pos = start + length;
    return s;
  }

  /** Whether every byte was read. */
  boolean atEnd() {
    return pos == data.length;
  }
}
