package io.snapshotkit.fs.internal.repo;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Repository format 2's pack and index files (write-once objects, see {@code ObjectStore}).
 *
 * <p><b>Pack</b> {@code packs/p-<uuid>.pack}: magic {@code SKP2}, a format byte (1), the length of
 * the key id (one byte; 0 = not encrypted) and the key id — the room a per-tenant encryption key
 * reference needs later — then one zstd frame per content, back to back. A frame is found only
 * through an index.
 *
 * <p><b>Index</b> {@code index/i-<uuid>.idx}: magic {@code SKX2}, the number of packs it covers
 * and their names (modified UTF-8), the record count, the fan-out width {@code b} (one byte), a
 * fan-out table of {@code 2^b} big-endian ints (the number of records whose digest's top
 * {@code b} bits are at most the bucket's), then the records sorted by digest, {@value #RECORD}
 * bytes each: digest (32), pack ordinal (u16), offset in the pack (u32), compressed length (u32),
 * raw length (u32), kind (1: {@link #RAW} or {@link #LIST}). One index is written per sealed
 * pack; gc writes one for each pack it rewrites. An index is never changed once written.
 */
final class PackFormat {
  static final int PACK_MAGIC = 0x534B5032; // SKP2
  static final int INDEX_MAGIC = 0x534B5832; // SKX2
  static final int RECORD = Digest.BYTES + 2 + 4 + 4 + 4 + 1;
  /** A content stored as it is. */
  static final byte RAW = 0;
  /** A chunk list ({@link ChunkList}): the content is its chunks, in order. */
  static final byte LIST = 1;

  private PackFormat() {}

  /** The header of a new pack: no key id yet (contents are not encrypted). */
  static byte[] packHeader() {
    return ByteBuffer.allocate(6).putInt(PACK_MAGIC).put((byte) 1).put((byte) 0).array();
  }

  /** One index record. */
  record Record(Digest digest, int pack, long offset, int length, int rawSize, byte kind) {}

  /** The fan-out width for {@code count} records: about 64 records a bucket, at most 2^20 buckets. */
  static int fanBits(long count) {
    int bits = 0;
    while (bits < 20 && (count >> (bits + 6)) > 0) {
      bits++;
    }
    return bits;
  }

  /** The bucket of a digest for a fan-out of {@code bits}. */
  static int bucket(Digest d, int bits) {
    return bits == 0 ? 0 : (int) (d.top() >>> (64 - bits));
  }

  /** Encodes an index of {@code records} (sorted here) over {@code packs}. */
  static byte[] index(List<String> packs, List<Record> records) throws IOException {
    List<Record> sorted = new ArrayList<>(records);
    sorted.sort(Comparator.comparing(Record::digest));
    int bits = fanBits(sorted.size());
    int[] fan = new int[1 << bits];
    for (Record r : sorted) {
      fan[bucket(r.digest(), bits)]++;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + fan.length * 4 + sorted.size() * RECORD);
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(INDEX_MAGIC);
    out.writeInt(packs.size());
    for (String p : packs) {
      out.writeUTF(p);
    }
    out.writeInt(sorted.size());
    out.writeByte(bits);
    int sum = 0;
    for (int n : fan) {
      sum += n;
      out.writeInt(sum);
    }
    for (Record r : sorted) {
      out.write(r.digest().bytes());
      out.writeShort(r.pack());
      out.writeInt((int) r.offset());
      out.writeInt(r.length());
      out.writeInt(r.rawSize());
      out.writeByte(r.kind());
    }
    out.flush();
    return bytes.toByteArray();
  }

  /** A decoded index header: where the records start and what they refer to. */
  record Header(List<String> packs, int count, int bits, int[] fanout, int recordsAt) {}

  /**
   * Parses an index's header.
   *
   * @throws IOException if it is not a format-2 index or its length does not match
   */
  static Header header(byte[] data, long totalLength) throws IOException {
    ByteBuffer in = ByteBuffer.wrap(data);
    try {
      if (in.getInt() != INDEX_MAGIC) {
        throw new IOException("not a format-2 index (bad magic)");
      }
      int packCount = in.getInt();
      if (packCount < 1 || packCount > 65535) {
        throw new IOException("bad pack count " + packCount);
      }
      List<String> packs = new ArrayList<>(packCount);
      for (int i = 0; i < packCount; i++) {
        int len = in.getShort() & 0xFFFF;
        byte[] name = new byte[len];
        in.get(name);
        packs.add(new String(name, StandardCharsets.UTF_8));
      }
      int count = in.getInt();
      int bits = in.get();
      if (count < 0 || bits < 0 || bits > 20) {
        throw new IOException("bad record count or fan-out");
      }
      int[] fan = new int[1 << bits];
      for (int i = 0; i < fan.length; i++) {
        fan[i] = in.getInt();
      }
      int at = in.position();
      if (totalLength != at + (long) count * RECORD || (fan.length > 0 && fan[fan.length - 1] != count)) {
        throw new IOException("bad length");
      }
      return new Header(List.copyOf(packs), count, bits, fan, at);
    } catch (java.nio.BufferUnderflowException e) {
      throw new IOException("truncated index header", e);
    }
  }

  /** Decodes the record at {@code at} of {@code data}. */
  static Record record(byte[] data, int at) {
    ByteBuffer in = ByteBuffer.wrap(data, at, RECORD);
    byte[] d = new byte[Digest.BYTES];
    in.get(d);
    return new Record(Digest.of(d), in.getShort() & 0xFFFF, in.getInt() & 0xFFFFFFFFL, in.getInt(), in.getInt(),
        in.get());
  }
}
