package io.snapshotkit.fs.internal.archive;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.fs.SnapshotArchive.Header;
import io.snapshotkit.fs.internal.files.PathRules;
import io.snapshotkit.fs.internal.files.RawNames;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Writes a SnapshotKit archive (tar inside zstd): the {@link TarManifest} first, then every
 * volume's tree under {@code volumes/<name>/}, in one deterministic order.
 *
 * <p>Export makes two passes over a {@link Tree}: the first records every entry (with content
 * digests) into a zstd-compressed in-memory spill, so that the manifest can precede the content
 * without holding entry objects in memory; the second streams content, checking each file against
 * its recorded size and digest. A file that changed between the passes fails the export with
 * {@link ErrorCode#CONFLICT} rather than producing an archive that lies.
 *
 * <p><b>Stability:</b> internal.
 *
 * <p><b>Thread-safety:</b> stateless; each call is confined to its thread.
 */
public final class TarExport {
  private static final int BUFFER = 64 * 1024;

  private TarExport() {}

  /** One entry a {@link Tree} reports, with a path relative to its volume root ("" for the root). */
  public record Item(String relativePath, TarManifest.Type type, int mode, FileTime mtime, long size,
      String sha256, String target) {
    /** Validates. */
    public Item {
      Objects.requireNonNull(relativePath, "relativePath");
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(mtime, "mtime");
      Objects.requireNonNull(sha256, "sha256");
      Objects.requireNonNull(target, "target");
    }
  }

  /** Receives the items of one volume, parents before children. */
  @FunctionalInterface
  public interface Visitor {
    /** Accepts one item. */
    void visit(Item item) throws IOException;
  }

  /** A source of volume trees: walked once, then read by content. */
  public interface Tree {
    /** The volume names, in archive order. */
    List<String> volumes();

    /** Visits one volume's items, the volume root first, parents before children. */
    void walk(String volume, Visitor visitor) throws IOException;

    /**
     * Opens a file's content for the second pass.
     *
     * @param volume the volume name
     * @param item the item as the walk reported it (size and digest included)
     */
    InputStream open(String volume, Item item) throws IOException;

    /**
     * The exclude patterns the snapshot was captured with, recorded in the manifest so that an
     * import keeps them (its replace restores then leave those paths alone); none by default.
     */
    default List<String> excludes() {
      return List.of();
    }
  }

  /**
   * Writes the archive.
   *
   * @param header the header fields; its volumes, entryCount and totalBytes are computed here
   * @param tree the volumes to write
   * @param out where the tar.zst goes; flushed and finished, not closed
   * @param zstdLevel the zstd compression level
   * @return the header as written
   */
  public static Header write(Header header, Tree tree, OutputStream out, int zstdLevel) {
    Objects.requireNonNull(header, "header");
    Objects.requireNonNull(tree, "tree");
    Objects.requireNonNull(out, "out");
    try {
      ByteArrayOutputStream spill = new ByteArrayOutputStream();
      long[] counts = new long[3]; // entries, bytes, uncompressed spill bytes
      List<String> volumes = List.copyOf(tree.volumes());
      for (String v : volumes) {
        if (v.contains("/") || PathRules.pathProblem(v, 255).isPresent()) {
          throw SnapshotException.invalid("volume name '" + v + "' cannot be stored in an archive; use a plain name");
        }
      }
      CountingOutputStream counted = new CountingOutputStream(new ZstdOutputStream(spill, 3));
      // The writer closes (and so finishes) the counted zstd stream.
      try (TarManifest.EntryWriter writer = new TarManifest.EntryWriter(counted)) {
        for (String v : volumes) {
          tree.walk(v, item -> {
            writer.write(record(v, item));
            counts[0]++;
            counts[1] += item.size();
          });
        }
      }
      counts[2] = counted.count;
      Header full = new Header(header.snapshotId(), header.workload(),
          header.capturedAt(), header.schemaVersion(), volumes, counts[0], counts[1]);
      byte[] prefix = TarManifest.prefix(full, tree.excludes());
      byte[] suffix = TarManifest.suffix();

      ZstdOutputStream zstd = new ZstdOutputStream(new NonClosing(out), zstdLevel);
      // Header names and link targets carry their raw bytes: one ISO-8859-1 char per byte (see
      // RawNames#latin1), long ones as GNU long names, which keep bytes (pax headers are UTF-8
      // by definition and could not hold a name that is not). GNU tar and bsdtar read both.
      try (TarArchiveOutputStream tar = new TarArchiveOutputStream(zstd, "ISO-8859-1")) {
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);

        TarArchiveEntry manifest = new TarArchiveEntry(TarManifest.PATH);
        manifest.setSize(prefix.length + counts[2] + suffix.length);
        manifest.setMode(0644);
        manifest.setModTime(0);
        tar.putArchiveEntry(manifest);
        tar.write(prefix);
        try (InputStream body = spillStream(spill)) {
          body.transferTo(tar);
        }
        tar.write(suffix);
        tar.closeArchiveEntry();

        try (InputStream manifestAgain = new SequenceInputStream(Collections.enumeration(List.of(
                new ByteArrayInputStream(prefix), spillStream(spill), new ByteArrayInputStream(suffix))));
            TarManifest.Reader reader = new TarManifest.Reader(manifestAgain)) {
          Optional<TarManifest.Entry> next;
          while ((next = reader.next()).isPresent()) {
            writeEntry(tar, tree, next.get());
          }
        }
        tar.finish();
      }
      return full;
    } catch (IOException e) {
      throw SnapshotException.wrap("writing the archive", e);
    } catch (TarManifest.MalformedException e) {
      throw new SnapshotException(ErrorCode.INTERNAL,
          "the archive's own manifest could not be re-read (" + e.getMessage() + "); report this bug", e);
    }
  }

  private static InputStream spillStream(ByteArrayOutputStream spill) throws IOException {
    return new ZstdInputStream(new ByteArrayInputStream(spill.toByteArray()));
  }

  private static TarManifest.Entry record(String volume, Item item) {
    String path = item.relativePath().isEmpty()
        ? TarManifest.VOLUMES + volume
        : TarManifest.VOLUMES + volume + "/" + item.relativePath();
    return new TarManifest.Entry(path, item.type(), item.type() == TarManifest.Type.FILE ? item.size() : 0,
        item.sha256(), item.target(), item.mode() & 07777, item.mtime().toInstant().toString());
  }

  private static void writeEntry(TarArchiveOutputStream tar, Tree tree, TarManifest.Entry e) throws IOException {
    FileTime mtime = FileTime.from(Instant.parse(e.mtime()));
    TarArchiveEntry entry;
    switch (e.type()) {
      case DIR -> entry = new TarArchiveEntry(RawNames.latin1(e.path()) + "/");
      case SYMLINK -> {
        entry = new TarArchiveEntry(RawNames.latin1(e.path()), TarConstants.LF_SYMLINK);
        entry.setLinkName(RawNames.latin1(e.target()));
      }
      case FILE -> {
        entry = new TarArchiveEntry(RawNames.latin1(e.path()));
        entry.setSize(e.size());
      }
      default -> throw new IllegalStateException("unknown type " + e.type());
    }
    // The header names no owner (uid 0 to a plain 'tar -x' run as root), so it carries no setuid
    // or setgid bit, or another user's setuid file would extract as setuid-root; the sticky bit is
    // harmless. The manifest keeps the full mode, for information.
    entry.setMode(e.mode() & ~06000);
    entry.setLastModifiedTime(mtime);
    tar.putArchiveEntry(entry);
    if (e.type() == TarManifest.Type.FILE) {
      String rest = e.path().substring(TarManifest.VOLUMES.length());
      int slash = rest.indexOf('/');
      String volume = rest.substring(0, slash);
      Item item = new Item(rest.substring(slash + 1), e.type(), e.mode(), mtime, e.size(), e.sha256(), e.target());
      MessageDigest digest = sha256();
      try (InputStream raw = tree.open(volume, item); InputStream in = new DigestInputStream(raw, digest)) {
        byte[] buffer = new byte[BUFFER];
        long left = e.size();
        while (left > 0) {
          int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
          if (n < 0) {
            throw changed(e.path());
          }
          tar.write(buffer, 0, n);
          left -= n;
        }
        if (raw.read() != -1) {
          throw changed(e.path());
        }
      }
      if (!HexFormat.of().formatHex(digest.digest()).equals(e.sha256())) {
        throw changed(e.path());
      }
    }
    tar.closeArchiveEntry();
  }

  private static SnapshotException changed(String path) {
    return new SnapshotException(ErrorCode.CONFLICT, "'" + path
        + "' changed while it was being exported; quiesce the workload (or export a stored snapshot) and retry");
  }

  /** A new SHA-256 digest. */
  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /**
   * A {@link Tree} over live directories, one per volume. Files are hashed in the first pass;
   * hard links are exported as separate files; fifos, sockets and device nodes fail the export
   * with {@link ErrorCode#INVALID_ARGUMENT}, since an archive never carries them.
   *
   * @param volumes volume name → directory, in archive order
   */
  public static Tree directories(Map<String, Path> volumes) {
    Map<String, Path> copy = Collections.unmodifiableMap(new LinkedHashMap<>(volumes));
    return new Tree() {
      @Override
      public List<String> volumes() {
        return List.copyOf(copy.keySet());
      }

      @Override
      public void walk(String volume, Visitor visitor) throws IOException {
        Path root = copy.get(volume);
        if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
          throw SnapshotException.invalid("volume '" + volume + "' at " + root
              + " is not a directory; pass an existing directory");
        }
        walkDirectory(root, root, visitor);
      }

      @Override
      public InputStream open(String volume, Item item) throws IOException {
        return Files.newInputStream(RawNames.resolve(copy.get(volume), item.relativePath()), StandardOpenOption.READ,
            LinkOption.NOFOLLOW_LINKS);
      }
    };
  }

  private static void walkDirectory(Path root, Path dir, Visitor visitor) throws IOException {
    visitor.visit(item(root, dir));
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
      stream.forEach(children::add);
    }
    children.sort((a, b) -> RawNames.name(a).compareTo(RawNames.name(b)));
    for (Path child : children) {
      PosixFileAttributes attrs = Files.readAttributes(child, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (attrs.isDirectory()) {
        walkDirectory(root, child, visitor);
      } else {
        visitor.visit(item(root, child));
      }
    }
  }

  private static Item item(Path root, Path p) throws IOException {
    PosixFileAttributes attrs = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    String rel = p.equals(root) ? "" : RawNames.text(root.relativize(p));
    int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    if (attrs.isDirectory()) {
      return new Item(rel, TarManifest.Type.DIR, mode, attrs.lastModifiedTime(), 0, "", "");
    }
    if (attrs.isSymbolicLink()) {
      return new Item(rel, TarManifest.Type.SYMLINK, mode, attrs.lastModifiedTime(), 0, "",
          RawNames.text(Files.readSymbolicLink(p)));
    }
    if (attrs.isRegularFile()) {
      MessageDigest digest = sha256();
      long size = 0;
      try (InputStream in = Files.newInputStream(p, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
        byte[] buffer = new byte[BUFFER];
        int n;
        while ((n = in.read(buffer)) != -1) {
          digest.update(buffer, 0, n);
          size += n;
        }
      }
      return new Item(rel, TarManifest.Type.FILE, mode, attrs.lastModifiedTime(), size,
          HexFormat.of().formatHex(digest.digest()), "");
    }
    throw SnapshotException.invalid("'" + p + "' is a fifo, socket or device node, which an archive never carries; "
        + "remove it and export again");
  }

  private static final class CountingOutputStream extends FilterOutputStream {
    long count;

    CountingOutputStream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }
  }

  /** Keeps the caller's stream open when the tar (and zstd) layers around it are closed. */
  static final class NonClosing extends FilterOutputStream {
    NonClosing(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
      out.flush();
    }
  }
}
