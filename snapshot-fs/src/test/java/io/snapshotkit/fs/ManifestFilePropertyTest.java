package io.snapshotkit.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.snapshotkit.fs.internal.repo.Digest;
import io.snapshotkit.fs.internal.repo.Entry;
import io.snapshotkit.fs.internal.repo.ManifestFile;
import io.snapshotkit.fs.internal.repo.PathOrder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UTFDataFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * The manifest format is what existing repositories hold: names are written exactly as {@link
 * DataOutputStream#writeUTF} writes them (read back by {@link DataInputStream#readUTF}), and
 * every entry field survives a write and a read.
 */
class ManifestFilePropertyTest {

  @Provide
  Arbitrary<String> names() {
    // any char, including NUL, surrogates (paired or not) and supplementary characters
    return Arbitraries.strings().all().ofMinLength(1).ofMaxLength(40);
  }

  @Property(tries = 200)
  @Label("entries with any names and fields read back exactly as written; a version-1 manifest reads without owners")
  void roundTrip(@ForAll @Size(min = 1, max = 30) List<@net.jqwik.api.From("names") String> paths,
      @ForAll("names") String volume, @ForAll long mtime, @ForAll long inode, @ForAll long size,
      @ForAll int uid, @ForAll int gid) throws IOException {
    Set<String> unique = new TreeSet<>(PathOrder::compare);
    unique.addAll(paths);
    List<Entry> entries = new ArrayList<>();
    int i = 0;
    for (String p : unique) {
      FileType type = FileType.values()[i % 3];
      entries.add(new Entry(volume, p, type, (i * 273) & 07777, Math.abs(size % 1_000_000) + i, mtime + i, inode - i,
          -1 - i, type == FileType.FILE ? Digest.hash(p.getBytes(java.nio.charset.StandardCharsets.UTF_8), 0, 1) : null,
          type == FileType.SYMLINK ? p + "-target" : null, i % 5 == 4 && type == FileType.FILE,
          i % 4 == 3 || uid == -1 || gid == -1 ? Entry.NO_OWNER : uid,
          i % 4 == 3 || uid == -1 || gid == -1 ? Entry.NO_OWNER : gid));
      i++;
    }
    assertEquals(entries, writeAndRead(entries, ManifestFile.V2));
    List<Entry> ownerless = new ArrayList<>();
    entries.forEach(e -> ownerless.add(e.withoutOwner()));
    assertEquals(ownerless, writeAndRead(entries, ManifestFile.V1));
  }

  private static List<Entry> writeAndRead(List<Entry> entries, int version) throws IOException {
    Path file = Files.createTempFile("manifest", ".skm");
    try {
      try (ManifestFile.Writer w = new ManifestFile.Writer(file, 1, version)) {
        for (Entry e : entries) {
          w.write(e);
        }
      }
      List<Entry> read = new ArrayList<>();
      try (ManifestFile.Reader r = ManifestFile.Reader.open(file)) {
        r.forEachRemaining(read::add);
      }
      return read;
    } finally {
      Files.deleteIfExists(file);
    }
  }

  @Property(tries = 300)
  @Label("a name's bytes are exactly DataOutputStream.writeUTF's")
  void namesAreEncodedAsWriteUtf(@ForAll("names") String name) throws IOException {
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(expected)) {
      out.writeUTF(name);
    }
    Path file = Files.createTempFile("manifest", ".skm");
    try {
      try (ManifestFile.Writer w = new ManifestFile.Writer(file, 1)) {
        w.write(new Entry("v", name, FileType.DIRECTORY, 0755, 0, 0, 0, 0, null, null, false, 0, 0));
      }
      byte[] raw;
      try (var in = new com.github.luben.zstd.ZstdInputStream(Files.newInputStream(file))) {
        raw = in.readAllBytes();
      }
      // magic (4), tag (1), volume "v" as writeUTF (3), shared prefix 0 (1), then the name
      byte[] name2 = java.util.Arrays.copyOfRange(raw, 9, 9 + expected.size());
      assertEquals(java.util.HexFormat.of().formatHex(expected.toByteArray()), java.util.HexFormat.of().formatHex(name2));
      assertEquals(name, new DataInputStream(new ByteArrayInputStream(name2)).readUTF());
    } finally {
      Files.deleteIfExists(file);
    }
  }

  @Property(tries = 5)
  @Label("a name over 65535 encoded bytes is refused, as writeUTF refuses it")
  void overlongNamesAreRefused(@ForAll("names") String seed) throws IOException {
    String name = seed.repeat(70_000 / seed.length() + 1);
    Path file = Files.createTempFile("manifest", ".skm");
    try (ManifestFile.Writer w = new ManifestFile.Writer(file, 1)) {
      assertThrows(UTFDataFormatException.class,
          () -> w.write(new Entry("v", name, FileType.DIRECTORY, 0755, 0, 0, 0, 0, null, null, false, 0, 0)));
    } finally {
      Files.deleteIfExists(file);
    }
  }
}
