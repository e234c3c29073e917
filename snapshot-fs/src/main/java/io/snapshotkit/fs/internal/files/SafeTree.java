package io.snapshotkit.fs.internal.files;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.fs.SnapshotArchive.Limits;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Writes an untrusted file tree (an imported archive, or a stored snapshot being restored) under
 * one root directory, so that nothing it describes can land outside that root.
 *
 * <p><b>Stability:</b> internal (see the package); used by the restore, capture, repository and
 * archive parts.
 *
 * <p><b>Rules.</b> Every entry path is checked by {@link PathRules#pathProblem}: it must be relative,
 * non-empty, made of non-empty segments that are neither {@code .} nor {@code ..}, free of NUL,
 * the canonical text of a byte string (see {@link RawNames}), at most {@link
 * Limits#maxPathLength()} bytes long, and no segment longer than {@value PathRules#MAX_NAME_BYTES} bytes.
 * Any other byte is a legal Linux name and is written as it is: a backslash, a newline, a control
 * byte, a {@code c:} prefix or bytes that are not UTF-8. While writing, every parent directory is
 * checked without following links and must be a real directory (a symlink anywhere on the path is
 * refused, never followed); files, links and directories are created with {@code CREATE_NEW}
 * semantics, so an existing entry (a duplicate, or a planted symlink) is refused rather than
 * overwritten. A symlink's target is data: it is created verbatim, whatever it points to (an
 * absolute path, a place outside the tree), since nothing is ever written or read through it. A
 * hard link must name a regular file already written in this tree. Device nodes, fifos and
 * sockets are refused ({@link #refuseSpecial}). {@link Limits} caps the entry count and the
 * uncompressed bytes; the byte cap is enforced while streaming, so a decompression bomb is cut
 * off at the cap and never written past it.
 *
 * <p><b>Owners and modes.</b> A tree read back from this host's repository ({@link
 * Origin#STORED}) gets its recorded owner, then its full mode ({@code 07777}), through the JDK's
 * {@code unix:uid}, {@code unix:gid} and {@code unix:mode} attributes (owner first: a chown clears
 * setuid and setgid). The owner is set only when this process writes as root ({@link
 * Modes#writesAsRoot()}) and the entry records one; links get theirs without being followed
 * (lchown). Otherwise, or when the chown fails, the entry belongs to whoever wrote it, and its
 * setuid (setgid) bit is kept only if its resulting uid (gid) is the recorded one ({@link
 * Modes#keptMode}): a setuid file restored by root for another user must never become setuid-root.
 * The sticky bit is always kept. {@link #specialBitsStripped()} and {@link #ownersNotSet()} count
 * what could not be restored as recorded. An imported archive ({@link Origin#IMPORT}) gets only
 * the permission bits ({@code 0777}) and no owner: setuid, setgid and sticky bits are dropped and
 * the archive's owners are never applied, because an untrusted archive must not decide who owns a
 * file nor grant privileges. Directory owners, modes and mtimes are applied in {@link #finish()},
 * deepest first, so that writing a directory's children (or a read-only directory mode) does not
 * disturb them. Mtimes are set without following links.
 *
 * <p><b>Errors.</b> A refusal is a {@link SnapshotException}: for {@link Origin#IMPORT} it is
 * {@link ErrorCode#INVALID_ARGUMENT} ("this archive is unsafe: &lt;reason&gt;; it was not
 * imported"), since the caller handed us bad input; for {@link Origin#STORED} it is {@link
 * ErrorCode#CORRUPT}, since a repository should never hold such a tree. A full disk becomes
 * {@link ErrorCode#INSUFFICIENT_STORAGE}, other I/O failures (permissions) {@link
 * ErrorCode#INTERNAL}, with the cause kept. The caller deletes the root
 * after a failure; this class never deletes anything.
 *
 * <p><b>Limitation.</b> The checks are path based: the root must be private to this process (a
 * fresh staging directory), since a concurrent writer could swap a checked directory for a
 * symlink between the check and the write.
 *
 * <p><b>Thread-safety:</b> confined to one thread, except that {@link PendingFile#write} may run
 * on other threads (see {@link #reserveFile}).
 */
public final class SafeTree {

  private static final int BUFFER = 64 * 1024;
  /** The uid and gid of an entry without a recorded owner. */
  public static final int NO_OWNER = -1;

  /** Where the tree comes from, which decides the error code of a refusal. */
  public enum Origin {
    /** An archive a caller is importing: a refusal is {@link ErrorCode#INVALID_ARGUMENT}. */
    IMPORT,
    /** A tree read back from this host's repository: a refusal is {@link ErrorCode#CORRUPT}. */
    STORED
  }

  private record PendingDirectory(Path path, int depth, int mode, int uid, int gid, FileTime mtime) {}

  private final Path root;
  private final Limits limits;
  private final Origin origin;
  private final List<PendingDirectory> directories = new ArrayList<>();
  /** Checks and creates the entries' parents as real directories, remembering the known ones. */
  private final RealParents parents;
  /** Counts entries and content bytes against the limits. */
  private final TreeBudget budget;
  private final OwnerAndMode owners;

  private SafeTree(Path root, Limits limits, Origin origin) {
    this.root = root;
    this.limits = limits;
    this.origin = origin;
    this.owners = new OwnerAndMode(origin);
    this.parents = new RealParents(root, this::unsafe);
    this.budget = new TreeBudget(limits, this::unsafe);
  }

  /**
   * A writer rooted at {@code root}, which must be an existing real directory (not a symlink).
   *
   * @throws SnapshotException {@code INVALID_ARGUMENT} if the root is missing or not a directory
   */
  public static SafeTree rootedAt(Path root, Limits limits, Origin origin) {
    Objects.requireNonNull(root, "root");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(origin, "origin");
    if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
      throw SnapshotException.invalid(
          "the target directory " + root + " does not exist or is not a real directory; create it first");
    }
    return new SafeTree(root, limits, origin);
  }

  /** The root this writer writes under. */
  public Path root() {
    return root;
  }

  /** Entries written so far. */
  public long entries() {
    return budget.entries();
  }

  /** File content bytes written so far. */
  public long bytes() {
    return budget.bytes();
  }

  /**
   * Checks an untrusted path and resolves it under the root, touching nothing.
   *
   * @return the path under the root
   * @throws SnapshotException if the path is unsafe
   */
  public Path resolve(String path) {
    Optional<String> problem = PathRules.pathProblem(path, limits.maxPathLength());
    if (problem.isPresent()) {
      throw unsafe(problem.get());
    }
    String p = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    return RawNames.resolve(root, p);
  }

  /**
   * Creates a directory (and any missing parents), or accepts an existing real directory. Its
   * mode and mtime are applied by {@link #finish()}; it has no recorded owner.
   *
   * @return the directory's path
   */
  public Path directory(String path, int mode, FileTime mtime) {
    return directory(path, mode, NO_OWNER, NO_OWNER, mtime);
  }

  /**
   * As {@link #directory(String, int, FileTime)}, with the recorded owner ({@link #NO_OWNER} for
   * none), applied by {@link #finish()} (see the class comment).
   *
   * @return the directory's path
   */
  public Path directory(String path, int mode, int uid, int gid, FileTime mtime) {
    Objects.requireNonNull(mtime, "mtime");
    Path target = resolve(path);
    budget.countEntry(path);
    parents.ensure(target);
    try {
      Files.createDirectory(target);
    } catch (FileAlreadyExistsException e) {
      BasicFileAttributes existing = RealParents.attributes(target).orElseThrow(() -> io("checking " + target, e));
      if (!existing.isDirectory()) {
        throw unsafe("entry '" + PathRules.printable(path) + "' is a directory where the archive already put "
            + (existing.isSymbolicLink() ? "a symlink" : "a file"));
      }
    } catch (IOException e) {
      throw io("creating directory " + target, e);
    }
    parents.known(target);
    directories.add(new PendingDirectory(target, root.relativize(target).getNameCount(), mode, uid, gid, mtime));
    return target;
  }

  /**
   * Creates a regular file and streams its content, counting bytes against the cap.
   *
   * @param declaredSize the size the source announces, checked against the cap before writing,
   *     or -1 if unknown; the stream itself is still counted
   * @return the bytes written
   */
  public long file(String path, InputStream content, long declaredSize, int mode, FileTime mtime) {
    return reserveFile(path, declaredSize).write(content, mode, mtime);
  }

  /**
   * Checks a regular file's path, counts it as an entry and creates its parents, so that its
   * content can be written later, on another thread, with {@link PendingFile#write}. Every
   * pending file must be written (or abandoned) before {@link #finish()}.
   *
   * @param declaredSize the size the source announces, checked against the cap now, or -1 if
   *     unknown; the content is still counted as it is written
   * @return the file to write
   */
  public PendingFile reserveFile(String path, long declaredSize) {
    Path target = resolve(path);
    budget.countEntry(path);
    budget.checkDeclared(declaredSize);
    parents.ensure(target);
    return new PendingFile(path, target);
  }

  /**
   * A regular file whose path was checked and whose parents exist, waiting for its content.
   *
   * <p><b>Thread-safety:</b> {@link #write} may run on any thread, concurrently with other
   * pending files' writes and with the tree's other methods (except {@link SafeTree#finish()}).
   */
  public final class PendingFile {
    private final String path;
    private final Path target;

    private PendingFile(String path, Path target) {
      this.path = path;
      this.target = target;
    }

    /** The file's path under the root. */
    public Path target() {
      return target;
    }

    /**
     * Creates the file (never through or over an existing entry), streams its content counting
     * bytes against the tree's cap, then applies its mode and mtime; it has no recorded owner.
     *
     * @return the bytes written
     */
    public long write(InputStream content, int mode, FileTime mtime) {
      return write(content, mode, NO_OWNER, NO_OWNER, mtime);
    }

    /**
     * As {@link #write(InputStream, int, FileTime)}, with the recorded owner ({@link #NO_OWNER}
     * for none), applied before the mode (see the class comment).
     *
     * @return the bytes written
     */
    public long write(InputStream content, int mode, int uid, int gid, FileTime mtime) {
      Objects.requireNonNull(content, "content");
      Objects.requireNonNull(mtime, "mtime");
      long written = 0;
      try (OutputStream out = Channels.newOutputStream(OwnerAndMode.create(target, mode))) {
        byte[] buffer = new byte[BUFFER];
        int n;
        while ((n = readSource(content, buffer, path)) != -1) {
          budget.countBytes(n);
          out.write(buffer, 0, n);
          written += n;
        }
      } catch (FileAlreadyExistsException e) {
        throw unsafe("entry '" + PathRules.printable(path) + "' appears twice, or its path is taken by another entry");
      } catch (IOException e) {
        throw io("writing " + target, e);
      }
      owners.settle(target, mode, uid, gid, false, OwnerAndMode.createdMode(mode));
      applyMtime(target, mtime);
      return written;
    }

    /**
     * Creates the file (never through or over an existing entry) and lets content of a known
     * {@code size} write itself with positional writes, possibly from several threads (see
     * {@link PositionalContent}); {@code size} is counted against the tree's cap first. Then
     * applies the recorded owner, mode and mtime as {@link #write(InputStream, int, int, int,
     * FileTime)} does.
     *
     * @return the bytes the content reports written
     */
    public long write(long size, PositionalContent content, int mode, int uid, int gid, FileTime mtime) {
      return writeAt(this, size, content, mode, uid, gid, mtime);
    }
  }

  /** Content that writes itself into a file at positions of its choosing, from any threads. */
  @FunctionalInterface
  public interface PositionalContent {
    /**
     * Writes the content into {@code out} with positional writes only (never its position).
     *
     * @return the bytes written, the content's length
     */
    long writeTo(FileChannel out) throws IOException;
  }

  /**
   * As {@link PendingFile#write(InputStream, int, int, int, FileTime)}, for content of a known
   * {@code size} that writes itself (a chunked content's chunks in parallel, each at its
   * offset): the size is counted against the tree's cap before anything is written.
   *
   * @return the bytes written
   */
  private long writeAt(PendingFile f, long size, PositionalContent content, int mode, int uid, int gid,
      FileTime mtime) {
    Objects.requireNonNull(content, "content");
    Objects.requireNonNull(mtime, "mtime");
    budget.countBytes(size);
    long written;
    try (FileChannel out = OwnerAndMode.create(f.target, mode)) {
      written = content.writeTo(out);
    } catch (FileAlreadyExistsException e) {
      throw unsafe("entry '" + PathRules.printable(f.path) + "' appears twice, or its path is taken by another entry");
    } catch (IOException e) {
      throw io("writing " + f.target, e);
    }
    owners.settle(f.target, mode, uid, gid, false, OwnerAndMode.createdMode(mode));
    applyMtime(f.target, mtime);
    return written;
  }

  private int readSource(InputStream content, byte[] buffer, String path) {
    try {
      return content.read(buffer);
    } catch (IOException e) {
      throw unsafe("the content of '" + PathRules.printable(path) + "' could not be read ("
          + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", e);
    }
  }

  /**
   * Creates a symlink with its target verbatim (see {@link #symlinkTargetProblem}); every parent
   * must be a real directory, so the link is never created through another link. It has no
   * recorded owner.
   *
   * @return the link's path
   */
  public Path symlink(String path, String linkTarget, FileTime mtime) {
    return symlink(path, linkTarget, NO_OWNER, NO_OWNER, mtime);
  }

  /**
   * As {@link #symlink(String, String, FileTime)}, with the recorded owner ({@link #NO_OWNER}
   * for none), set on the link itself (see the class comment).
   *
   * @return the link's path
   */
  public Path symlink(String path, String linkTarget, int uid, int gid, FileTime mtime) {
    Objects.requireNonNull(linkTarget, "linkTarget");
    Objects.requireNonNull(mtime, "mtime");
    Path target = resolve(path);
    Optional<String> problem = PathRules.symlinkTargetProblem(path, linkTarget, limits.maxPathLength());
    if (problem.isPresent()) {
      throw unsafe(problem.get());
    }
    budget.countEntry(path);
    parents.ensure(target);
    try {
      Files.createSymbolicLink(target, RawNames.path(linkTarget));
    } catch (FileAlreadyExistsException e) {
      throw unsafe("entry '" + PathRules.printable(path) + "' appears twice, or its path is taken by another entry");
    } catch (IOException e) {
      throw io("creating symlink " + target, e);
    }
    owners.settle(target, 0, uid, gid, true, -1);
    applyMtime(target, mtime);
    return target;
  }

  /**
   * Creates a hard link to a regular file already written in this tree.
   *
   * @param existing the tree-relative path of the file to link to
   * @return the link's path
   */
  public Path hardLink(String path, String existing) {
    Objects.requireNonNull(existing, "existing");
    Path target = resolve(path);
    Optional<String> problem = PathRules.pathProblem(existing, limits.maxPathLength());
    if (problem.isPresent()) {
      throw unsafe("hard link '" + PathRules.printable(path) + "' points outside the tree or to an unsafe path ("
          + problem.get() + ")");
    }
    Path source = resolve(existing);
    budget.countEntry(path);
    parents.check(source, "hard link '" + PathRules.printable(path) + "'");
    Optional<BasicFileAttributes> attrs = RealParents.attributes(source);
    if (attrs.isEmpty() || !attrs.get().isRegularFile()) {
      throw unsafe("hard link '" + PathRules.printable(path) + "' does not point to a regular file written earlier in the tree");
    }
    parents.ensure(target);
    try {
      Files.createLink(target, source);
    } catch (FileAlreadyExistsException e) {
      throw unsafe("entry '" + PathRules.printable(path) + "' appears twice, or its path is taken by another entry");
    } catch (IOException e) {
      throw io("creating hard link " + target, e);
    }
    return target;
  }

  /**
   * The refusal for an entry type this class never writes: a device node, fifo or socket.
   *
   * @param kind what the entry is, for the message ("character device")
   * @return the exception to throw
   */
  public SnapshotException refuseSpecial(String path, String kind) {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(kind, "kind");
    return unsafe("entry '" + PathRules.printable(path) + "' is a " + kind + ", which is never restored");
  }

  /**
   * The refusal for any other reason the caller found (a digest mismatch, a malformed header).
   *
   * @return the exception to throw
   */
  public SnapshotException unsafe(String reason) {
    return unsafe(reason, null);
  }

  private SnapshotException unsafe(String reason, Throwable cause) {
    Objects.requireNonNull(reason, "reason");
    return switch (origin) {
      case IMPORT -> new SnapshotException(ErrorCode.INVALID_ARGUMENT,
          "this archive is unsafe: " + reason + "; it was not imported", cause);
      case STORED -> new SnapshotException(ErrorCode.CORRUPT,
          "the stored snapshot is unsafe: " + reason
              + "; run the repository check and restore another snapshot", cause);
    };
  }

  /** Applies directory owners, modes and mtimes, deepest first. Call once, after the last entry. */
  public void finish() {
    directories.sort(Comparator.comparingInt(PendingDirectory::depth).reversed());
    for (PendingDirectory d : directories) {
      owners.settle(d.path(), d.mode(), d.uid(), d.gid(), false, -1);
      applyMtime(d.path(), d.mtime());
    }
    directories.clear();
  }

  /**
   * Entries whose setuid or setgid bit was not restored, because the entry does not belong to its
   * recorded owner (the tree did not write as root, the entry records no owner, or the chown
   * failed); see the class comment. Always 0 for {@link Origin#IMPORT}, which drops them all.
   */
  public long specialBitsStripped() {
    return owners.specialBitsStripped();
  }

  /** Entries whose recorded owner could not be set although the tree writes as root. */
  public long ownersNotSet() {
    return owners.ownersNotSet();
  }

  /**
   * Sets an entry's mtime, and its access time to now: it was just created (and read back, for a
   * directory). Giving both saves the JDK a stat of the entry for the access time to keep.
   */
  private void applyMtime(Path path, FileTime mtime) {
    try {
      Files.getFileAttributeView(path, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
          .setTimes(mtime, FileTime.from(Instant.now()), null);
    } catch (IOException e) {
      throw io("setting the mtime of " + path, e);
    }
  }

  private static SnapshotException io(String what, IOException e) {
    return SnapshotException.wrap(what, e);
  }
}
