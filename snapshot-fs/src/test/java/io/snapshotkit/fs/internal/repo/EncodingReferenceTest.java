package io.snapshotkit.fs.internal.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.snapshotkit.fs.FileType;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * The byte-level encoders written for speed (tree leaves and indexes, a volume's tree digest,
 * digests in place) give exactly the bytes of the straightforward encoders they replaced, kept
 * here as the reference: trees and volume digests of snapshots taken before and after must stay
 * the same for the same entries.
 */
class EncodingReferenceTest {

  @Provide
  Arbitrary<String> texts() {
    // ASCII most of the time (the fast paths), and any char at all, NUL and lone surrogates included
    return Arbitraries.oneOf(Arbitraries.strings().ascii().ofMinLength(1).ofMaxLength(40),
        Arbitraries.strings().all().ofMinLength(1).ofMaxLength(40));
  }

  @Provide
  Arbitrary<Entry> entries() {
    return Arbitraries.longs().flatMap(seed -> texts().flatMap(path -> texts().map(target -> {
      FileType type = FileType.values()[(int) Math.floorMod(seed, 3L)];
      int mode = (int) ((seed >>> 8) & 07777);
      return new Entry("v", path, type, mode, type == FileType.FILE ? seed >>> 20 : 0, seed, seed * 31, seed ^ 77,
          type == FileType.FILE ? Digest.hash(path.getBytes(StandardCharsets.UTF_8), 0, path.length() > 0 ? 1 : 0)
              : null,
          type == FileType.SYMLINK ? target : null, seed % 7 == 0, (int) (seed & 0x7FFFFFFF),
          (int) ((seed >> 32) & 0x7FFFFFFF));
    })));
  }

  @Provide
  Arbitrary<List<Entry>> entryLists() {
    return entries().list().ofMaxSize(40);
  }

  @Provide
  Arbitrary<List<String>> textLists() {
    return texts().list().ofMinSize(1).ofMaxSize(40);
  }

  @Property(tries = 300)
  void aLeafEncodesAsDataOutputStreamWouldHave(@ForAll("entryLists") List<Entry> entries) throws IOException {
    TreeNode.LeafWriter leaf = new TreeNode.LeafWriter();
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(expected);
    SortedMap<String, Entry> byName = new TreeMap<>(PathOrder::compare);
    entries.forEach(e -> byName.putIfAbsent(e.path(), e));
    List<Entry> sorted = List.copyOf(byName.values());
    Digest tree = Digest.hash(new byte[] {1, 2, 3}, 0, 3);
    for (Entry e : sorted) {
      leaf.add(e.path(), e, tree, false);
      out.writeUTF(e.path());
      out.writeByte(e.type().ordinal() | (e.torn() ? TreeNode.TORN : 0));
      for (long v : new long[] {e.mode(), e.size(), zigzag(e.mtimeNanos()), zigzag(e.inode()),
          zigzag(e.ctimeNanos()), zigzag(e.uid()), zigzag(e.gid())}) {
        writeVarLong(out, v);
      }
      switch (e.type()) {
        case FILE -> out.write(e.digest().bytes());
        case DIRECTORY -> out.write(tree.bytes());
        case SYMLINK -> out.writeUTF(e.linkTarget());
      }
    }
    assertArrayEquals(node(TreeNode.LEAF, sorted.size(), expected.toByteArray()), leaf.take());
  }

  @Property(tries = 200)
  void anIndexEncodesAsDataOutputStreamWouldHave(@ForAll("textLists") List<String> names) throws IOException {
    List<TreeNode.Part> parts = names.stream()
        .map(n -> new TreeNode.Part(n, Digest.hash(n.getBytes(StandardCharsets.UTF_8), 0, n.isEmpty() ? 0 : 1)))
        .toList();
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(expected);
    for (TreeNode.Part p : parts) {
      out.writeUTF(p.firstName());
      out.write(p.digest().bytes());
    }
    assertArrayEquals(node(TreeNode.INDEX, parts.size(), expected.toByteArray()), TreeNode.index(parts));
  }

  @Property(tries = 200)
  void aVolumeDigestHashesTheLinesAStringWouldHaveGiven(@ForAll("entryLists") List<Entry> entries) {
    VolumeStats stats = new VolumeStats();
    MessageDigest reference = Digest.sha256();
    for (Entry e : entries) {
      stats.add(e);
      String line = e.type().ordinal() + " " + Integer.toOctalString(e.mode()) + " "
          + (e.type() == FileType.FILE ? e.digest().hex() : e.type() == FileType.SYMLINK ? e.linkTarget() : "")
          + " " + e.path() + "\n";
      reference.update(line.getBytes(StandardCharsets.UTF_8));
    }
    assertEquals(HexFormat.of().formatHex(reference.digest()), stats.treeDigest());
  }

  @Example
  void aVolumeDigestSpansManyBuffers() {
    VolumeStats stats = new VolumeStats();
    MessageDigest reference = Digest.sha256();
    String longName = "x".repeat(20_000); // longer than the buffer
    for (int i = 0; i < 5_000; i++) {
      String path = i % 1000 == 7 ? longName + i : "dir/file-" + i;
      Entry e = new Entry("v", path, FileType.FILE, 0644, i, i, i, i,
          Digest.hash(path.getBytes(StandardCharsets.UTF_8), 0, 1), null, false, 0, 0);
      stats.add(e);
      reference.update(("0 644 " + e.digest().hex() + " " + path + "\n").getBytes(StandardCharsets.UTF_8));
    }
    assertEquals(HexFormat.of().formatHex(reference.digest()), stats.treeDigest());
  }

  @Property(tries = 300)
  void digestsReadAndWriteAsByteBuffersWould(@ForAll byte[] seed) {
    byte[] bytes = Digest.hash(seed, 0, seed.length).bytes();
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    Digest d = Digest.of(bytes);
    assertEquals(HexFormat.of().formatHex(bytes), d.hex());
    byte[] shifted = new byte[40];
    System.arraycopy(bytes, 0, shifted, 5, 32);
    assertEquals(d, Digest.at(shifted, 5));
    assertEquals(buf.getLong(0), d.top());
    assertEquals(buf.getLong(8), d.second());
    assertEquals(buf.getLong(16), d.third());
    assertEquals(0, d.compareToBytesAt(shifted, 5));
    byte[] written = new byte[36];
    d.writeTo(written, 2);
    assertArrayEquals(bytes, java.util.Arrays.copyOfRange(written, 2, 34));
  }

  @Property(tries = 300)
  void indexRecordsReadAsAByteBufferWould(@ForAll byte[] seed, @ForAll int pack, @ForAll int offset,
      @ForAll int length, @ForAll int rawSize, @ForAll byte kind, @ForAll @IntRange(max = 50) int at) {
    Digest d = Digest.hash(seed, 0, seed.length);
    byte[] data = new byte[at + PackFormat.RECORD + 3];
    ByteBuffer.wrap(data, at, PackFormat.RECORD).put(d.bytes()).putInt(pack).putInt(offset).putInt(length)
        .putInt(rawSize).put(kind);
    assertEquals(new PackFormat.Record(d, pack, offset & 0xFFFFFFFFL, length, rawSize, kind),
        PackFormat.record(data, at));
  }

  private static byte[] node(int kind, int count, byte[] records) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(b);
    out.writeInt(TreeNode.MAGIC);
    out.writeByte(kind);
    writeVarLong(out, count);
    out.write(records);
    return b.toByteArray();
  }

  private static void writeVarLong(DataOutputStream out, long v) throws IOException {
    while ((v & ~0x7FL) != 0) {
      out.writeByte((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.writeByte((int) v);
  }

  private static long zigzag(long v) {
    return (v << 1) ^ (v >> 63);
  }
}
