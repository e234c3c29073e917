package io.snapshotkit.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.ZstdOutputStream;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A corpus of hostile archives, generated here with Commons Compress, each refused on import with
 * a clear error while nothing is written outside the staging directory. Every archive carries a
 * well-formed manifest that lists its hostile entries, as an attacker would write it, so the
 * refusals come from the safety rules and not from a missing manifest.
 */
class MaliciousArchiveTest {
  private static final String EMPTY_SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  private static final String ZERO_1GIB_SHA = "49bc20df15e412a64472421e13fe86ff1c5165e18b2afccf160d4dc19fe68a14";
  private static final long GIB = 1L << 30;
  private static final SnapshotArchive.Limits LIMITS = new SnapshotArchive.Limits(64L << 20, 10_000, 4096);

  @TempDir Path temp;
  Path parent;
  Path sentinel;
  Path staging;
  Path tmpEvil;
  Map<String, String> before;

  @BeforeEach
  void setUp() throws IOException {
    parent = Files.createDirectory(temp.resolve("parent"));
    sentinel = Files.createDirectory(parent.resolve("sentinel"));
    Files.writeString(sentinel.resolve("keep"), "untouched");
    Files.createDirectory(sentinel.resolve("sub"));
    staging = parent.resolve("staging");
    tmpEvil = Path.of("/tmp/snapshotkit-evil-" + UUID.randomUUID());
    before = state(temp);
  }

  @AfterEach
  void cleanTmp() throws IOException {
    Files.deleteIfExists(tmpEvil);
  }

  // ---- the corpus generator -------------------------------------------------------------

  /** One hostile entry: a tar entry, its content, and the manifest record an attacker would list. */
  private record Evil(TarArchiveEntry entry, byte[] content, String record) {}

  private static Evil dir(String name) {
    TarArchiveEntry e = new TarArchiveEntry(name + "/", true);
    e.setMode(0755);
    return new Evil(e, new byte[0], "{\"path\":\"" + name + "\",\"type\":\"dir\",\"mode\":493,\"mtime\":\"\"}");
  }

  private static Evil file(String name, String content) {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    TarArchiveEntry e = new TarArchiveEntry(name, true);
    e.setSize(bytes.length);
    e.setMode(0644);
    String sha = java.util.HexFormat.of().formatHex(
        io.snapshotkit.fs.internal.archive.TarExport.sha256().digest(bytes));
    return new Evil(e, bytes, "{\"path\":\"" + name + "\",\"type\":\"file\",\"size\":" + bytes.length
        + ",\"sha256\":\"" + sha + "\",\"mode\":420,\"mtime\":\"\"}");
  }

  private static Evil symlink(String name, String target) {
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK, true);
    e.setLinkName(target);
    return new Evil(e, new byte[0], "{\"path\":\"" + name + "\",\"type\":\"symlink\",\"target\":\"" + target
        + "\",\"mode\":511,\"mtime\":\"\"}");
  }

  private static Evil special(String name, byte flag) {
    TarArchiveEntry e = new TarArchiveEntry(name, flag, true);
    e.setDevMajor(8);
    e.setDevMinor(0);
    return new Evil(e, new byte[0], "{\"path\":\"" + name + "\",\"type\":\"file\",\"size\":0,\"sha256\":\""
        + EMPTY_SHA + "\",\"mode\":420,\"mtime\":\"\"}");
  }

  private static Evil hardLink(String name, String target) {
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_LINK, true);
    e.setLinkName(target);
    return new Evil(e, new byte[0], "{\"path\":\"" + name + "\",\"type\":\"file\",\"size\":0,\"sha256\":\""
        + EMPTY_SHA + "\",\"mode\":420,\"mtime\":\"\"}");
  }

  private static String manifestPrefix(long entryCount, long totalBytes) {
    return manifestPrefix("", entryCount, totalBytes);
  }

  /** A manifest's header fields up to its entries, with {@code extra} (a field and a comma) first. */
  private static String manifestPrefix(String extra, long entryCount, long totalBytes) {
    return "{" + extra + "\"format\":\"snapshotkit-archive\",\"formatVersion\":1,\"schemaVersion\":1,"
        + "\"digestAlgorithm\":\"SHA-256\",\"volumes\":[\"data\"],\"entryCount\":" + entryCount
        + ",\"totalBytes\":" + totalBytes + ",\"entries\":[";
  }

  private static TarArchiveOutputStream tar(OutputStream out) {
    TarArchiveOutputStream tar = new TarArchiveOutputStream(out, "UTF-8");
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    return tar;
  }

  private static void putManifest(TarArchiveOutputStream tar, byte[] manifest) throws IOException {
    TarArchiveEntry m = new TarArchiveEntry("snapshotkit-archive.json");
    m.setSize(manifest.length);
    tar.putArchiveEntry(m);
    tar.write(manifest);
    tar.closeArchiveEntry();
  }

  /** Writes a tar.zst: an attacker's manifest listing every entry, then the entries. */
  private Path archive(String name, List<Evil> entries) throws IOException {
    return archive(name, "", entries);
  }

  /** As {@link #archive(String, List)}, with {@code extra} header fields in the manifest. */
  private Path archive(String name, String extra, List<Evil> entries) throws IOException {
    long total = 0;
    List<String> records = new ArrayList<>();
    for (Evil e : entries) {
      records.add(e.record());
      total += e.content().length;
    }
    byte[] manifest = (manifestPrefix(extra, entries.size(), total) + String.join(",", records) + "]}")
        .getBytes(StandardCharsets.UTF_8);
    Path file = temp.resolve(name + ".tar.zst");
    try (OutputStream out = new ZstdOutputStream(new BufferedOutputStream(Files.newOutputStream(file)), 1);
        TarArchiveOutputStream tar = tar(out)) {
      putManifest(tar, manifest);
      for (Evil e : entries) {
        tar.putArchiveEntry(e.entry());
        tar.write(e.content());
        tar.closeArchiveEntry();
      }
    }
    return file;
  }

  // ---- the checks --------------------------------------------------------------------------

  /** Every path under {@code root} (not following links) with its type, size, mode, mtime and links. */
  private static Map<String, String> state(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.toList()) {
        if (p.getFileName().toString().endsWith(".tar.zst")) {
          continue;
        }
        PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        String rel = root.relativize(p).toString();
        // The temp root gains archives and the parent gains (then loses) the staging directory:
        // their mtimes move by design. Everything else must not change at all.
        boolean mtimeMoves = rel.isEmpty() || rel.equals("parent");
        out.put(rel, (a.isDirectory() ? "d" : a.isSymbolicLink() ? "l" : "f")
            + " size=" + (a.isDirectory() ? "-" : a.size()) + " mode=" + a.permissions() + " mtime="
            + (mtimeMoves ? "-" : a.lastModifiedTime()) + " nlink="
            + Files.getAttribute(p, "unix:nlink", LinkOption.NOFOLLOW_LINKS));
      }
    }
    return out;
  }

  private SnapshotException assertRefused(Path archive, SnapshotArchive.Limits limits, String reason)
      throws IOException {
    SnapshotException e;
    try (InputStream in = new BufferedInputStream(Files.newInputStream(archive))) {
      e = assertThrows(SnapshotException.class, () -> SnapshotArchive.importArchive(in, staging, limits));
    }
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), e.getMessage());
    assertTrue(e.getMessage().startsWith("this archive is unsafe: "), e.getMessage());
    assertTrue(e.getMessage().endsWith("; it was not imported"), e.getMessage());
    assertTrue(e.getMessage().contains(reason), "expected '" + reason + "' in: " + e.getMessage());
    assertFalse(Files.exists(staging, LinkOption.NOFOLLOW_LINKS), "the staging directory is cleaned up");
    assertEquals(before, state(temp), "nothing outside the staging directory changed");
    assertFalse(Files.exists(tmpEvil, LinkOption.NOFOLLOW_LINKS), "nothing was written to /tmp");
    assertEquals("untouched", Files.readString(sentinel.resolve("keep")));
    return e;
  }

  // ---- the corpus --------------------------------------------------------------------------

  @Test
  @DisplayName("exclude patterns in a manifest that are not strings, or not valid patterns, are refused")
  void badExcludesInTheManifest() throws IOException {
    List<Evil> harmless = List.of(dir("data"), file("data/a.txt", "a"));
    assertRefused(archive("excludes-numbers", "\"excludes\":[1],", harmless), LIMITS,
        "exclude patterns are not all strings");
    assertRefused(archive("excludes-comment", "\"excludes\":[\"#x\"],", harmless), LIMITS,
        "invalid exclude pattern");
    assertRefused(archive("excludes-everything", "\"excludes\":[\"*\"],", harmless), LIMITS,
        "invalid exclude pattern");
  }

  @Test
  @DisplayName("path traversal with '..' is refused")
  void pathTraversal() throws IOException {
    assertRefused(archive("dotdot", List.of(dir("volumes/data"), file("../evil", "pwned"))), LIMITS,
        "entry '../evil' climbs out with '..'");
    assertRefused(archive("dotdot-deep", List.of(dir("volumes/data"),
        file("volumes/data/../../sentinel/keep", "pwned"))), LIMITS, "climbs out with '..'");
  }

  @Test
  @DisplayName("absolute paths are refused, including one aimed at the sentinel directory")
  void absolutePath() throws IOException {
    assertRefused(archive("abs-tmp", List.of(dir("volumes/data"), file(tmpEvil.toString(), "pwned"))), LIMITS,
        "has an absolute path");
    assertRefused(archive("abs-sentinel", List.of(dir("volumes/data"),
        file(sentinel.resolve("evil").toString(), "pwned"))), LIMITS, "has an absolute path");
  }

  @Test
  @DisplayName("a file written through a symlink is refused, wherever the symlink points")
  void symlinkThenFile() throws IOException {
    // The links themselves are data (see linksAnywhereAreImportedVerbatim); what is refused is
    // writing through them.
    assertRefused(archive("link-tmp", List.of(dir("volumes/data"), symlink("volumes/data/link", "/tmp"),
        file("volumes/data/link/" + tmpEvil.getFileName(), "pwned"))), LIMITS,
        "would be written through the symlink 'volumes/data/link'");
    assertRefused(archive("link-sentinel", List.of(dir("volumes/data"),
        symlink("volumes/data/link", "../../../sentinel"), file("volumes/data/link/evil", "pwned"))), LIMITS,
        "would be written through the symlink 'volumes/data/link'");
    // 'link -> ..' stays inside the tree, so it is created; the file through it is not.
    assertRefused(archive("link-dotdot", List.of(dir("volumes/data"), symlink("volumes/data/link", ".."),
        file("volumes/data/link/x", "pwned"))), LIMITS, "would be written through the symlink 'volumes/data/link'");
  }

  @Test
  @DisplayName("hard links out of the tree are refused and the target gains no link")
  void hardLinkOut() throws IOException {
    assertRefused(archive("hardlink-rel", List.of(dir("volumes/data"),
        hardLink("volumes/data/h", "../../sentinel/keep"))), LIMITS, "hard link 'volumes/data/h' points outside the tree");
    assertRefused(archive("hardlink-abs", List.of(dir("volumes/data"),
        hardLink("volumes/data/h", sentinel.resolve("keep").toString()))), LIMITS, "points outside the tree");
    assertEquals(1, (int) Files.getAttribute(sentinel.resolve("keep"), "unix:nlink"));
  }

  @Test
  @DisplayName("character devices, block devices and fifos are refused")
  void deviceNodes() throws IOException {
    assertRefused(archive("chr", List.of(dir("volumes/data"), special("volumes/data/null", TarConstants.LF_CHR))),
        LIMITS, "entry 'volumes/data/null' is a character device, which is never restored");
    assertRefused(archive("blk", List.of(dir("volumes/data"), special("volumes/data/sda", TarConstants.LF_BLK))),
        LIMITS, "is a block device");
    assertRefused(archive("fifo", List.of(dir("volumes/data"), special("volumes/data/p", TarConstants.LF_FIFO))),
        LIMITS, "is a fifo");
  }

  /** A tar.zst of a few KB holding one file of 1 GiB of zeros; the manifest may lie about the total. */
  private Path zeroBomb(String name, long declaredTotal) throws IOException {
    String manifest = manifestPrefix(2, declaredTotal)
        + "{\"path\":\"volumes/data\",\"type\":\"dir\",\"mode\":493,\"mtime\":\"\"},"
        + "{\"path\":\"volumes/data/zeros\",\"type\":\"file\",\"size\":" + GIB + ",\"sha256\":\"" + ZERO_1GIB_SHA
        + "\",\"mode\":420,\"mtime\":\"\"}]}";
    Path file = temp.resolve(name + ".tar.zst");
    try (OutputStream out = new ZstdOutputStream(new BufferedOutputStream(Files.newOutputStream(file)), 3);
        TarArchiveOutputStream tar = tar(out)) {
      putManifest(tar, manifest.getBytes(StandardCharsets.UTF_8));
      tar.putArchiveEntry(dir("volumes/data").entry());
      tar.closeArchiveEntry();
      TarArchiveEntry zeros = new TarArchiveEntry("volumes/data/zeros");
      zeros.setSize(GIB);
      tar.putArchiveEntry(zeros);
      byte[] block = new byte[1 << 20];
      for (int i = 0; i < 1024; i++) {
        tar.write(block);
      }
      tar.closeArchiveEntry();
    }
    return file;
  }

  @Test
  @DisplayName("a 1 GiB-of-zeros bomb is refused before it is written, whether or not its manifest admits the size")
  void zeroBomb() throws IOException {
    Path honest = zeroBomb("bomb-honest", GIB);
    assertTrue(Files.size(honest) < 256 * 1024, "the bomb is small: " + Files.size(honest) + " bytes");
    assertRefused(honest, LIMITS, "it declares 1073741824 uncompressed bytes, more than the limit of 67108864");
    Path lying = zeroBomb("bomb-lying", 1);
    assertRefused(lying, LIMITS, "it expands past the limit of 67108864 uncompressed bytes");
  }

  @Test
  @DisplayName("an archive that declares more than the free space is refused INSUFFICIENT_STORAGE before anything is unpacked")
  void archiveLargerThanTheFreeSpaceIsRefusedBeforeUnpacking() throws IOException {
    Path big = zeroBomb("declares-a-pebibyte", 1L << 50);
    SnapshotException e;
    try (InputStream in = new BufferedInputStream(Files.newInputStream(big))) {
      e = assertThrows(SnapshotException.class, () -> SnapshotArchive.importArchive(in, staging,
          new SnapshotArchive.Limits(Long.MAX_VALUE, 10_000, 4096)));
    }
    assertEquals(ErrorCode.INSUFFICIENT_STORAGE, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains("1125899906842624 bytes of files") && e.getMessage().contains("are free at "
        + staging) && e.getMessage().contains("it was not imported"), e.getMessage());
    assertFalse(Files.exists(staging, LinkOption.NOFOLLOW_LINKS), "nothing was unpacked");
    assertEquals(before, state(temp), "nothing outside the staging directory changed");
  }

  /**
   * A tar.zst produced on demand as the importer reads it: each refill writes the next thousand
   * entries through Commons Compress and zstd. Counting what was produced shows how early the
   * importer stopped, without timing anything.
   */
  private static final class LazyArchive extends InputStream {
    /** Writes one batch; returns false when there is nothing more to write. */
    interface Batch {
      boolean write(TarArchiveOutputStream tar, int batch) throws IOException;
    }

    private final java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream();
    private final TarArchiveOutputStream tar;
    private final Batch batches;
    private byte[] chunk = new byte[0];
    private int pos;
    private int batch;
    private boolean finished;

    LazyArchive(Batch batches) throws IOException {
      this.tar = tar(new ZstdOutputStream(buffer, 1));
      this.batches = batches;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      while (pos == chunk.length) {
        if (finished) {
          return -1;
        }
        if (batches.write(tar, batch++)) {
          tar.flush();
        } else {
          tar.close();
          finished = true;
        }
        chunk = buffer.toByteArray();
        buffer.reset();
        pos = 0;
      }
      int n = Math.min(len, chunk.length - pos);
      System.arraycopy(chunk, pos, b, off, n);
      pos += n;
      return n;
    }
  }

  private static String entryName(int i) {
    String digits = Integer.toString(i);
    return "volumes/data/e" + "0000000".substring(digits.length()) + digits;
  }

  /**
   * A million empty files after a manifest that declares {@code declared} entries and lists the
   * first {@code listed}, produced lazily; {@code produced[0]} counts the entries produced.
   */
  private static InputStream millionEntries(long declared, int listed, int[] produced) throws IOException {
    int count = 1_000_000;
    int perBatch = 1000;
    String prefix = manifestPrefix(declared, 0)
        + "{\"path\":\"volumes/data\",\"type\":\"dir\",\"mode\":493,\"mtime\":\"\"}";
    String recordTail = "\",\"type\":\"file\",\"size\":0,\"sha256\":\"" + EMPTY_SHA
        + "\",\"mode\":420,\"mtime\":\"\"}";
    int recordLength = (",{\"path\":\"" + entryName(0) + recordTail).length();
    long manifestSize = prefix.length() + (long) listed * recordLength + 2;
    return new LazyArchive((tar, batch) -> {
      if (batch == 0) {
        TarArchiveEntry m = new TarArchiveEntry("snapshotkit-archive.json");
        m.setSize(manifestSize);
        tar.putArchiveEntry(m);
        tar.write(prefix.getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < listed; i++) {
          tar.write((",{\"path\":\"" + entryName(i) + recordTail).getBytes(StandardCharsets.US_ASCII));
        }
        tar.write("]}".getBytes(StandardCharsets.US_ASCII));
        tar.closeArchiveEntry();
        tar.putArchiveEntry(dir("volumes/data").entry());
        tar.closeArchiveEntry();
        return true;
      }
      int from = (batch - 1) * perBatch;
      if (from >= count) {
        return false;
      }
      for (int i = from; i < from + perBatch; i++) {
        tar.putArchiveEntry(new TarArchiveEntry(entryName(i)));
        tar.closeArchiveEntry();
        produced[0]++;
      }
      return true;
    });
  }

  private void assertRefusedStream(InputStream archive, String reason) throws IOException {
    SnapshotException e = assertThrows(SnapshotException.class,
        () -> SnapshotArchive.importArchive(archive, staging, LIMITS));
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), e.getMessage());
    assertTrue(e.getMessage().startsWith("this archive is unsafe: "), e.getMessage());
    assertTrue(e.getMessage().contains(reason), "expected '" + reason + "' in: " + e.getMessage());
    assertFalse(Files.exists(staging, LinkOption.NOFOLLOW_LINKS), "the staging directory is cleaned up");
    assertEquals(before, state(temp), "nothing outside the staging directory changed");
  }

  @Test
  @DisplayName("a million empty entries are refused by the entry cap long before the millionth, whether or not the manifest admits them")
  void millionEmptyEntries() throws IOException {
    int[] produced = new int[1];
    assertRefusedStream(millionEntries(1_000_001, 0, produced),
        "it declares 1000001 entries, more than the limit of 10000");
    assertTrue(produced[0] <= 1000, "refused from the manifest; entries produced: " + produced[0]);

    int[] producedLying = new int[1];
    assertRefusedStream(millionEntries(500, 499, producedLying),
        "it holds more entries than its manifest declares (500)");
    assertTrue(producedLying[0] <= 2000, "refused at entry 501; entries produced: " + producedLying[0]);

    int[] producedAll = new int[1];
    try (InputStream whole = millionEntries(1_000_001, 0, producedAll)) {
      whole.transferTo(OutputStream.nullOutputStream());
    }
    assertEquals(1_000_000, producedAll[0], "the generator really holds a million entries");
  }

  @Test
  @DisplayName("symlinks to absolute paths or out of the tree are imported verbatim and nothing outside changes")
  void linksAnywhereAreImportedVerbatim() throws IOException {
    Path ok = archive("links", List.of(dir("volumes/data"), symlink("volumes/data/abs", "/tmp"),
        symlink("volumes/data/keep", sentinel.resolve("keep").toString()),
        symlink("volumes/data/out", "../../../sentinel")));
    SnapshotArchive.Imported imported;
    try (InputStream in = new BufferedInputStream(Files.newInputStream(ok))) {
      imported = SnapshotArchive.importArchive(in, staging, LIMITS);
    }
    Path data = imported.volumes().get("data");
    assertEquals(Path.of("/tmp"), Files.readSymbolicLink(data.resolve("abs")));
    assertEquals(sentinel.resolve("keep"), Files.readSymbolicLink(data.resolve("keep")));
    assertEquals(Path.of("../../../sentinel"), Files.readSymbolicLink(data.resolve("out")));
    assertEquals("untouched", Files.readString(sentinel.resolve("keep")));
    imported.discard();
    assertEquals(before, state(temp));
  }

  @Test
  @DisplayName("the generator's entries are accepted when they are harmless, so refusals above are about the harm")
  void harmlessControl() throws IOException {
    Path ok = archive("harmless", List.of(dir("volumes/data"), dir("volumes/data/d"),
        symlink("volumes/data/d/up", ".."), file("volumes/data/d/f", "fine")));
    SnapshotArchive.Imported imported;
    try (InputStream in = new BufferedInputStream(Files.newInputStream(ok))) {
      imported = SnapshotArchive.importArchive(in, staging, LIMITS);
    }
    assertEquals("fine", Files.readString(imported.volumes().get("data").resolve("d/f")));
    assertEquals(Path.of(".."), Files.readSymbolicLink(imported.volumes().get("data").resolve("d/up")));
    imported.discard();
    assertEquals(before, state(temp));
  }
}
