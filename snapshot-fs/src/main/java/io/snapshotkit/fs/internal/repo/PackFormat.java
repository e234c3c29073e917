package io.snapshotkit.fs.internal.repo;

import io.snapshotkit.fs.store.ObjectStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Repository format 2's pack and index files (write-once objects, see {@link ObjectStore}).
 *
 * <p><b>Pack</b> {@code packs/p-<uuid>.pack}: magic {@code SKP2}, a format byte (1), the length of
 * the key id (one byte; 0 = not encrypted) and the key id — the room a per-tenant encryption key
 * reference needs later — then one zstd frame per content, back to back. A frame is found only
 * through an index.
 *
 * <p><b>Index</b> {@code index/i-<uuid>.idx}: the records sorted by digest, {@value #RECORD}
 * bytes each: digest (32), pack ordinal (int), offset in the pack (u32), compressed length
 * (int), raw length (int), kind (1: {@link #RAW} or {@link #LIST}); then a trailer: the number
 * of packs and their names (modified UTF-8), the record count, the fan-out width {@code b} (one
 * byte) and {@code 2^b} big-endian ints (the number of records whose digest's top {@code b}
 * bits are at most the bucket's), the number of 64-bit words of a Bloom filter of the digests
 * ({@link DigestBloom}, int) and those words; then the trailer's length (int) and the magic
 * {@code SKX2}.
 * The trailer comes last so that an index of any size is written in one streaming pass (a gc
 * merge). A reader keeps only the trailer in memory, skips the index when the filter says the
 * digest is not in it, and otherwise reads one bucket (about 64 records) per lookup. An index is written once per sealed pack, once per pack gc rewrites, and once per gc
 * that merges them; never changed.
 */
final class PackFormat {
  static final int PACK_MAGIC = 0x534B5032; // SKP2
  static final int INDEX_MAGIC = 0x534B5832; // SKX2
  static final int RECORD = Digest.BYTES + 4 + 4 + 4 + 4 + 1;
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

  /** Decodes the record at {@code at} of {@code data}. */
  static Record record(byte[] data, int at) {
    // read in place, not through a ByteBuffer: every index lookup decodes one (a capture's stat
    // base checks each reused file's content), mostly in the interpreter and C1 in a cold process
    checkRecord(data, at);
    int p = at + Digest.BYTES;
    return new Record(Digest.at(data, at), intAt(data, p), intAt(data, p + 4) & 0xFFFFFFFFL, intAt(data, p + 8),
        intAt(data, p + 12), data[p + 16]);
  }

  /** The pack number of the record at {@code at}, read in place. */
  static int packAt(byte[] data, int at) {
    checkRecord(data, at);
    return intAt(data, at + Digest.BYTES);
  }

  private static void checkRecord(byte[] data, int at) {
    if (at < 0 || at > data.length - RECORD) {
      throw new IndexOutOfBoundsException("an index record at " + at + " of " + data.length + " bytes");
    }
  }

  private static int intAt(byte[] b, int i) {
    return (b[i] & 0xFF) << 24 | (b[i + 1] & 0xFF) << 16 | (b[i + 2] & 0xFF) << 8 | (b[i + 3] & 0xFF);
  }

  /**
   * Streams a sorted index into an upload: records as they come (ascending digests, each once),
   * the trailer on {@link #finish}.
   */
  static final class IndexWriter {
    private final ObjectStore.Upload up;
    private final List<String> packs;
    private final int bits;
    private final int[] perBucket;
    private final DigestBloom bloom;
    private final ByteBuffer rec = ByteBuffer.allocate(RECORD);
    private Digest last;
    private long count;

    /** @param expected an upper bound on the number of records (it sizes the fan-out) */
    IndexWriter(ObjectStore.Upload up, List<String> packs, long expected) {
      this.up = up;
      this.packs = List.copyOf(packs);
      this.bits = fanBits(expected);
      this.perBucket = new int[1 << bits];
      this.bloom = DigestBloom.sized(expected);
    }

    void add(Record r) throws IOException {
      if (last != null && r.digest().compareTo(last) <= 0) {
        throw new IllegalArgumentException("index records out of order: " + r.digest() + " after " + last);
      }
      last = r.digest();
      rec.clear();
      rec.put(r.digest().bytes()).putInt(r.pack()).putInt((int) r.offset()).putInt(r.length()).putInt(r.rawSize())
          .put(r.kind());
      up.out().write(rec.array());
      perBucket[bucket(r.digest(), bits)]++;
      bloom.add(r.digest());
      count++;
    }

    /** Writes the trailer; publish the upload afterwards. */
    void finish() throws IOException {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeInt(packs.size());
      for (String p : packs) {
        out.writeUTF(p);
      }
      out.writeLong(count);
      out.writeByte(bits);
      int sum = 0;
      for (int n : perBucket) {
        sum += n;
        out.writeInt(sum);
      }
      long[] words = bloom.words();
      out.writeInt(words.length);
      for (long w : words) {
        out.writeLong(w);
      }
      out.flush();
      byte[] trailer = bytes.toByteArray();
      up.out().write(trailer);
      up.out().write(ByteBuffer.allocate(8).putInt(trailer.length).putInt(INDEX_MAGIC).array());
    }
  }

  /**
   * Writes a whole index of {@code records} (sorted here) over {@code packs} as object {@code
   * name}, a name no other writer uses (an index file's name carries a random UUID, its pack's or
   * its own): {@link ObjectStore#uploadUnique}.
   */
  static void writeIndex(ObjectStore objects, String name, List<String> packs, List<Record> records)
      throws IOException {
    List<Record> sorted = new ArrayList<>(records);
    sorted.sort((a, b) -> a.digest().compareTo(b.digest()));
    try (ObjectStore.Upload up = objects.uploadUnique(name)) {
      IndexWriter w = new IndexWriter(up, packs, sorted.size());
      Digest prev = null;
      for (Record r : sorted) {
        if (!r.digest().equals(prev)) {
          w.add(r);
        }
        prev = r.digest();
      }
      w.finish();
      up.publish();
    }
  }

  /** A decoded index trailer: what the records refer to and the fan-out. */
  record Trailer(List<String> packs, long count, int bits, int[] fanout, DigestBloom bloom) {}

  /**
   * Reads an index's trailer (its last bytes only).
   *
   * @throws IOException if it is not a format-2 index or its length does not match
   */
  static Trailer trailer(ObjectStore objects, String name) throws IOException {
    long size = objects.size(name);
    if (size < 8) {
      throw new IOException("index too short");
    }
    ByteBuffer tail = ByteBuffer.wrap(objects.getRange(name, size - 8, 8));
    int length = tail.getInt();
    if (tail.getInt() != INDEX_MAGIC || length < 0 || length > size - 8) {
      throw new IOException("not a format-2 index (bad magic or trailer)");
    }
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(
        objects.getRange(name, size - 8 - length, length)))) {
      int packCount = in.readInt();
      if (packCount < 0) {
        throw new IOException("bad pack count");
      }
      List<String> packs = new ArrayList<>();
      for (int i = 0; i < packCount; i++) {
        packs.add(in.readUTF());
      }
      long count = in.readLong();
      int bits = in.readByte();
      if (count < 0 || bits < 0 || bits > 20) {
        throw new IOException("bad record count or fan-out");
      }
      int[] fan = new int[1 << bits];
      for (int i = 0; i < fan.length; i++) {
        fan[i] = in.readInt();
      }
      int words = in.readInt();
      if (words <= 0 || words > DigestBloom.MAX_WORDS || (long) words * 8 != in.available()) {
        throw new IOException("bad digest filter length");
      }
      long[] bloom = new long[words];
      for (int i = 0; i < words; i++) {
        bloom[i] = in.readLong();
      }
      if (size - 8 - length != count * RECORD || fan[fan.length - 1] != count) {
        throw new IOException("bad length");
      }
      return new Trailer(List.copyOf(packs), count, bits, fan, new DigestBloom(bloom));
    }
  }
}
