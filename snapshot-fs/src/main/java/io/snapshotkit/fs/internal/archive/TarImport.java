package io.snapshotkit.fs.internal.archive;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.fs.SnapshotArchive.Header;
import io.snapshotkit.fs.SnapshotArchive.Limits;
import io.snapshotkit.fs.internal.files.Modes;
import io.snapshotkit.fs.internal.files.PathRules;
import io.snapshotkit.fs.internal.files.RawNames;
import io.snapshotkit.fs.internal.files.SafeTree;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a SnapshotKit archive into a fresh staging directory through {@link SafeTree}, checking
 * every entry against the manifest in lockstep: same path, same type, same size, same SHA-256.
 * Any refusal deletes the staging directory (without following links) and throws; nothing is
 * ever written outside it.
 *
 * <p>Defence is layered: the manifest's declared entry count and byte total are checked against
 * the limits before anything is written; each entry is checked against the manifest; and {@link
 * SafeTree} enforces the path rules and counts entries and bytes as they stream, so a manifest
 * that lies is still cut off at the limits.
 *
 * <p><b>Stability:</b> internal.
 *
 * <p><b>Thread-safety:</b> stateless; each call is confined to its thread.
 */
public final class TarImport {
  private static final Logger LOG = LoggerFactory.getLogger(TarImport.class);
  /** Where the manifest is kept while the entries are read, inside the staging directory (never an entry's path). */
  static final String MANIFEST_SPILL = ".sk-import-manifest.json.zst";
  /** What one entry is assumed to take beyond its bytes when checking free space. */
  private static final long BLOCK = 4096;
  /** Manifest bytes allowed per entry on top of two paths, for the per-entry JSON fields. */
  private static final int MANIFEST_BYTES_PER_ENTRY = 512;

  private TarImport() {}

  /**
   * What an import produced.
   *
   * @param header the manifest's header
   * @param staging the staging directory
   * @param volumes volume name → its directory inside the staging directory, in archive order
   * @param excludes the exclude patterns the archived snapshot was captured with
   */
  public record Result(Header header, Path staging, Map<String, Path> volumes, List<String> excludes) {
    /** Copies. */
    public Result {
      Objects.requireNonNull(header, "header");
      Objects.requireNonNull(staging, "staging");
      volumes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(volumes));
      excludes = List.copyOf(excludes);
    }
  }

  /**
   * Imports an archive into {@code staging}, which must not exist yet (its parent must).
   *
   * @throws SnapshotException {@code INVALID_ARGUMENT} if the archive is unsafe, damaged or over
   *     the limits, or the staging directory is unusable; {@code INSUFFICIENT_STORAGE} if what it
   *     declares does not fit in the free space, or the disk fills up while unpacking; {@code
   *     INTERNAL} for another I/O failure while writing
   */
  public static Result read(InputStream in, Path staging, Limits limits) {
    Objects.requireNonNull(in, "in");
    Objects.requireNonNull(staging, "staging");
    Objects.requireNonNull(limits, "limits");
    try {
      Files.createDirectory(staging);
    } catch (IOException e) {
      throw new SnapshotException(ErrorCode.INVALID_ARGUMENT, "cannot create the staging directory " + staging
          + " (" + e.getClass().getSimpleName() + "); it must not exist yet and its parent must", e);
    }
    try {
      return readInto(in, staging, limits);
    } catch (RuntimeException | Error e) {
      deleteQuietly(staging);
      throw e;
    }
  }

  private static Result readInto(InputStream in, Path staging, Limits limits) {
    SafeTree tree = SafeTree.rootedAt(staging, limits, SafeTree.Origin.IMPORT);
    // ISO-8859-1: a header name reads as one char per raw byte (format 2, see TarExport); the
    // UTF-8 pax names of format 1 are decoded as pax headers always are, so both read right
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new ZstdInputStream(new NonClosing(in)),
        "ISO-8859-1")) {
      TarArchiveEntry first = nextEntry(tar, tree);
      if (first == null || !first.getName().equals(TarManifest.PATH) || first.getLinkFlag() != TarConstants.LF_NORMAL) {
        throw tree.unsafe("it does not start with a SnapshotKit manifest ('" + TarManifest.PATH + "')");
      }
      long manifestCap = Math.min(limits.maxTotalBytes(),
          limits.maxEntries() * (2L * limits.maxPathLength() + MANIFEST_BYTES_PER_ENTRY));
      if (first.getSize() > manifestCap) {
        throw tree.unsafe("its manifest is larger than the limits allow (" + manifestCap + " bytes)");
      }
      // The manifest comes first but is read in lockstep with the entries after it: keep it,
      // compressed, in a file beside the volumes (never in memory; a manifest can be hundreds of MB).
      Path spill = staging.resolve(MANIFEST_SPILL);
      spillManifest(tar, spill, manifestCap, tree);
      Result result;
      try (TarManifest.Reader manifest = new TarManifest.Reader(new ZstdInputStream(
          new BufferedInputStream(Files.newInputStream(spill), 1 << 16)))) {
        Header header = manifest.header();
        if (header.entryCount() > limits.maxEntries()) {
          throw tree.unsafe("it declares " + header.entryCount() + " entries, more than the limit of "
              + limits.maxEntries() + "; raise Limits.maxEntries if you trust it");
        }
        if (header.totalBytes() > limits.maxTotalBytes()) {
          throw tree.unsafe("it declares " + header.totalBytes() + " uncompressed bytes, more than the limit of "
              + limits.maxTotalBytes() + "; raise Limits.maxTotalBytes if you trust it");
        }
        requireSpace(staging, header);
        Map<String, Path> volumes = new LinkedHashMap<>();
        for (String v : header.volumes()) {
          if (v.contains("/") || PathRules.pathProblem(v, 255).isPresent() || volumes.containsKey(v)) {
            throw tree.unsafe("its manifest names a volume with an unsafe or repeated name");
          }
          volumes.put(v, staging.resolve(TarManifest.VOLUMES + v));
        }
        long entries = 0;
        long bytes = 0;
        TarArchiveEntry entry;
        while ((entry = nextEntry(tar, tree)) != null) {
          entries++;
          if (entries > header.entryCount()) {
            throw tree.unsafe("it holds more entries than its manifest declares (" + header.entryCount() + ")");
          }
          bytes += writeEntry(tar, entry, tree, manifest, volumes, manifest.formatVersion() >= 2);
        }
        if (manifest.next().isPresent() || entries != header.entryCount()) {
          throw tree.unsafe("it is truncated: its manifest lists entries the archive does not hold");
        }
        if (bytes != header.totalBytes()) {
          throw tree.unsafe("its files hold " + bytes + " bytes, not the " + header.totalBytes() + " its manifest declares");
        }
        for (Map.Entry<String, Path> v : volumes.entrySet()) {
          if (!Files.isDirectory(v.getValue(), LinkOption.NOFOLLOW_LINKS)) {
            throw tree.unsafe("volume '" + v.getKey() + "' has no directory entry");
          }
        }
        tree.finish();
        result = new Result(header, staging, volumes, manifest.excludes());
      } catch (TarManifest.MalformedException e) {
        throw tree.unsafe(e.getMessage());
      }
      Files.delete(spill);
      return result;
    } catch (IOException e) {
      Optional<String> full = SnapshotException.outOfSpace(e);
      if (full.isPresent()) {
        throw new SnapshotException(ErrorCode.INSUFFICIENT_STORAGE, "the archive could not be unpacked into "
            + staging + ": " + full.get() + "; it was not imported; free some space and retry", e);
      }
      throw new SnapshotException(ErrorCode.INVALID_ARGUMENT, "the archive could not be read ("
          + e.getClass().getSimpleName() + ": " + e.getMessage()
          + "); it was not imported; check that it is a complete SnapshotKit tar.zst", e);
    }
  }

  private static TarArchiveEntry nextEntry(TarArchiveInputStream tar, SafeTree tree) throws IOException {
    try {
      return tar.getNextEntry();
    } catch (IllegalArgumentException e) {
      throw tree.unsafe("it has a malformed tar header (" + e.getMessage() + ")");
    }
  }

  /**
   * Refuses, before anything is unpacked, an archive whose declared content does not fit in the
   * free space where it would be unpacked: its bytes plus a block per entry (what a file's last
   * block or a directory takes on most filesystems).
   */
  private static void requireSpace(Path staging, Header header) throws IOException {
    long need;
    try {
      need = Math.addExact(header.totalBytes(), Math.multiplyExact(header.entryCount(), BLOCK));
    } catch (ArithmeticException e) {
      need = Long.MAX_VALUE;
    }
    long free = Files.getFileStore(staging).getUsableSpace();
    if (free < need) {
      throw new SnapshotException(ErrorCode.INSUFFICIENT_STORAGE, "the archive needs about " + need
          + " bytes to unpack (" + header.totalBytes() + " bytes of files in " + header.entryCount()
          + " entries) and only " + free + " are free at " + staging + "; it was not imported; free some "
          + "space or unpack it elsewhere");
    }
  }

  private static void spillManifest(InputStream tar, Path spill, long cap, SafeTree tree) throws IOException {
    try (OutputStream z = new ZstdOutputStream(new BufferedOutputStream(
        Files.newOutputStream(spill, StandardOpenOption.CREATE_NEW), 1 << 16), 1)) {
      byte[] buffer = new byte[64 * 1024];
      long total = 0;
      int n;
      while ((n = tar.read(buffer)) != -1) {
        total += n;
        if (total > cap) {
          throw tree.unsafe("its manifest is larger than the limits allow (" + cap + " bytes)");
        }
        z.write(buffer, 0, n);
      }
    }
  }

  private static long writeEntry(TarArchiveInputStream tar, TarArchiveEntry entry, SafeTree tree,
      TarManifest.Reader manifest, Map<String, Path> volumes, boolean rawHeaders)
      throws IOException, TarManifest.MalformedException {
    String name = headerText(entry.getName(), rawHeaders, tree);
    if (entry.isCharacterDevice()) {
      throw tree.refuseSpecial(name, "character device");
    }
    if (entry.isBlockDevice()) {
      throw tree.refuseSpecial(name, "block device");
    }
    if (entry.isFIFO()) {
      throw tree.refuseSpecial(name, "fifo");
    }
    tree.resolve(name);
    String path = name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
    if (!insideAVolume(path, volumes)) {
      throw tree.unsafe("entry '" + path + "' is not inside one of the archive's volumes");
    }
    if (entry.isLink()) {
      String target = entry.getLinkName();
      if (target == null || PathRules.pathProblem(target, Integer.MAX_VALUE).isPresent()
          || !insideAVolume(target, volumes)) {
        throw tree.unsafe("hard link '" + path + "' points outside the tree");
      }
      throw tree.unsafe("hard link '" + path + "' is not part of the SnapshotKit archive format");
    }
    Optional<TarManifest.Entry> next = manifest.next();
    if (next.isEmpty() || !next.get().path().equals(path)) {
      throw tree.unsafe("entry '" + path + "' is not the next entry its manifest lists");
    }
    TarManifest.Entry expected = next.get();
    int mode = entry.getMode() & 07777;
    FileTime mtime = mtime(entry, expected, tree);
    if (entry.isDirectory()) {
      requireType(tree, expected, TarManifest.Type.DIR);
      tree.directory(path, mode, mtime);
      return 0;
    }
    if (entry.isSymbolicLink()) {
      requireType(tree, expected, TarManifest.Type.SYMLINK);
      String target = headerText(entry.getLinkName(), rawHeaders, tree);
      if (!expected.target().equals(target)) {
        throw tree.unsafe("symlink '" + path + "' has a different target than its manifest lists");
      }
      tree.symlink(path, target, mtime);
      return 0;
    }
    byte flag = entry.getLinkFlag();
    if (flag != TarConstants.LF_NORMAL && flag != TarConstants.LF_OLDNORM) {
      throw tree.unsafe("entry '" + path + "' has tar type '" + (char) flag + "', which is never imported");
    }
    requireType(tree, expected, TarManifest.Type.FILE);
    if (entry.getSize() != expected.size()) {
      throw tree.unsafe("file '" + path + "' has a different size than its manifest lists");
    }
    MessageDigest digest = TarExport.sha256();
    long written = tree.file(path, new DigestInputStream(new NonClosing(tar), digest), entry.getSize(), mode, mtime);
    if (written != expected.size() || !HexFormat.of().formatHex(digest.digest()).equals(expected.sha256())) {
      throw tree.unsafe("file '" + path + "' does not match its SHA-256 digest; the archive is damaged");
    }
    return written;
  }

  /**
   * A header name or link target as {@link RawNames} text: from its raw bytes (format 2, read as
   * ISO-8859-1), or as read (format 1, whose non-ASCII names are UTF-8 pax headers).
   */
  private static String headerText(String header, boolean rawHeaders, SafeTree tree) {
    if (!rawHeaders) {
      return header;
    }
    return RawNames.fromLatin1(header).orElseThrow(() -> tree.unsafe("an entry's tar name is not raw bytes "
        + "(a pax header name), which no SnapshotKit archive of its format version holds"));
  }

  /**
   * The manifest's mtime, which keeps nanoseconds (pax headers keep 100 ns), when it agrees with
   * the tar header to the second; otherwise the tar header's.
   */
  private static FileTime mtime(TarArchiveEntry entry, TarManifest.Entry expected, SafeTree tree) {
    FileTime header = entry.getLastModifiedTime();
    if (expected.mtime().isEmpty()) {
      return header;
    }
    try {
      Instant precise = Instant.parse(expected.mtime());
      if (precise.getEpochSecond() != header.toInstant().getEpochSecond()) {
        throw tree.unsafe("entry '" + expected.path() + "' has a different mtime than its manifest lists");
      }
      return FileTime.from(precise);
    } catch (DateTimeParseException e) {
      throw tree.unsafe("entry '" + expected.path() + "' has an unreadable mtime in its manifest");
    }
  }

  private static void requireType(SafeTree tree, TarManifest.Entry expected, TarManifest.Type type) {
    if (expected.type() != type) {
      throw tree.unsafe("entry '" + expected.path() + "' has a different type than its manifest lists");
    }
  }

  private static boolean insideAVolume(String path, Map<String, Path> volumes) {
    if (!path.startsWith(TarManifest.VOLUMES)) {
      return false;
    }
    String rest = path.substring(TarManifest.VOLUMES.length());
    int slash = rest.indexOf('/');
    String volume = slash < 0 ? rest : rest.substring(0, slash);
    return volumes.containsKey(volume);
  }

  /**
   * Deletes a directory tree without following symlinks, making read-only directories writable
   * first. Failures are logged, not thrown: this runs while another failure is propagating.
   */
  public static void deleteQuietly(Path root) {
    try {
      if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
        return;
      }
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
          Files.setPosixFilePermissions(dir, Modes.permissions(0700));
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.deleteIfExists(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
          if (e != null) {
            throw e;
          }
          Files.deleteIfExists(dir);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (NoSuchFileException e) {
      LOG.debug("staging directory {} vanished while it was being removed", root);
    } catch (IOException e) {
      LOG.warn("could not remove the staging directory {} after a failed import; remove it by hand", root, e);
    }
  }

  private static final class NonClosing extends FilterInputStream {
    NonClosing(InputStream in) {
      super(in);
    }

    @Override
    public void close() {
      // The caller owns the stream.
    }
  }
}
