package io.snapshotkit.fs.internal.repo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A chunked content's list of chunks: the object a large file's {@code Digest} names.
 *
 * <p>Encoding: magic {@code SKCL}, the chunk count (int), the total length (long), then per chunk
 * its digest (32 bytes) and length (int). Its digest is the SHA-256 of that encoding XOR
 * {@link #MASK} (the SHA-256 of {@code "snapshotkit chunk list"}): a Merkle root over the chunks,
 * deterministic because the chunker is, and never equal to the plain SHA-256 of any byte string
 * (that would need a SHA-256 preimage), so a regular file whose bytes happen to equal a list's
 * encoding never shares its digest.
 */
record ChunkList(long totalLength, List<Digest> chunks, int[] lengths) {
  static final int MAGIC = 0x534B434C; // SKCL
  static final Digest MASK = Digest.hash("snapshotkit chunk list".getBytes(StandardCharsets.US_ASCII), 0, 22);

  /** The list's encoding. */
  byte[] encode() {
    ByteBuffer b = ByteBuffer.allocate(16 + chunks.size() * (Digest.BYTES + 4));
    b.putInt(MAGIC).putInt(chunks.size()).putLong(totalLength);
    for (int i = 0; i < chunks.size(); i++) {
      b.put(chunks.get(i).bytes()).putInt(lengths[i]);
    }
    return b.array();
  }

  /** The digest that names a list with this encoding. */
  static Digest digestOf(byte[] encoded, int length) {
    return Digest.hash(encoded, 0, length).xor(MASK);
  }

  /**
   * Decodes a list.
   *
   * @throws IOException if the encoding is malformed
   */
  static ChunkList decode(byte[] data) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(data);
    if (data.length < 16 || b.getInt() != MAGIC) {
      throw new IOException("not a chunk list");
    }
    int count = b.getInt();
    long total = b.getLong();
    if (count < 0 || data.length != 16 + (long) count * (Digest.BYTES + 4)) {
      throw new IOException("bad chunk list length");
    }
    List<Digest> chunks = new ArrayList<>(count);
    int[] lengths = new int[count];
    long sum = 0;
    byte[] d = new byte[Digest.BYTES];
    for (int i = 0; i < count; i++) {
      b.get(d);
      chunks.add(Digest.of(d));
      lengths[i] = b.getInt();
      if (lengths[i] <= 0) {
        throw new IOException("bad chunk length");
      }
      sum += lengths[i];
    }
    if (sum != total) {
      throw new IOException("chunk lengths do not add up to the total");
    }
    return new ChunkList(total, List.copyOf(chunks), lengths);
  }
}
