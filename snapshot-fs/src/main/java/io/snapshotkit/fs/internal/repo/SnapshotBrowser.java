package io.snapshotkit.fs.internal.repo;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotFile;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.internal.files.PathRules;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Looks inside one stored snapshot without restoring it: finds an entry by path by descending its
 * directory trees (only the trees on the way are read; in a large directory, only the index part
 * that can hold the name), lists a directory one entry at a time, and streams a file's content.
 * The directory agent's {@link io.snapshotkit.spi.HostBrowse}; the tar of a directory is
 * {@code fs.internal.archive.DirectoryTar} over {@link #subtree}.
 *
 * <p>Paths are {@code VOLUME/dir/name}, checked with {@link PathRules}; nothing is read through a
 * symlink (a path that goes through one is refused).
 *
 * <p><b>Thread-safety:</b> stateless; safe concurrently with captures and deletes.
 */
public final class SnapshotBrowser {
  /** The longest path accepted, in bytes. */
  static final int MAX_PATH_BYTES = 64 * 1024;
  /** Index levels a tree may have; deeper is damaged (as {@link TreeReader} decides). */
  private static final int MAX_DEPTH = 8;
  private static final int BUFFER = 64 * 1024;

  private final FsRepository repo;

  /** Browses the snapshots of {@code repo}. */
  public SnapshotBrowser(FsRepository repo) {
    this.repo = repo;
  }

  /**
   * An entry found: its public form, and its child tree (a directory) or content (a file).
   *
   * @param file the entry
   * @param tree a directory's tree; null otherwise
   * @param content a file's content digest; null otherwise
   */
  public record Found(SnapshotFile file, Digest tree, Digest content) {}

  /**
   * The entry at {@code path} ({@code VOLUME} or {@code VOLUME/path}).
   *
   * @throws SnapshotException NOT_FOUND if the snapshot is not here or the path does not exist;
   *     INVALID_ARGUMENT for a malformed path or one through a symlink or a file
   */
  public Found find(WorkloadRef w, SnapshotId id, String path) {
    String[] segments = segments(path);
    if (segments.length == 0) {
      throw SnapshotException.invalid("name a volume, or a path inside one (VOLUME/dir/file), to look at; "
          + "the empty path is the snapshot itself");
    }
    RootFile root = rootOf(w, id);
    Digest tree = root.trees().get(segments[0]);
    if (tree == null) {
      throw SnapshotException.notFound("snapshot " + id + " has no volume '" + segments[0] + "'; its volumes are "
          + root.trees().keySet()).withSnapshot(id).withWorkload(w);
    }
    Found at = new Found(new SnapshotFile(segments[0], SnapshotFile.Type.DIRECTORY, 0, 0755,
        root.summary().capturedAt(), Optional.empty()), tree, null);
    for (int i = 1; i < segments.length; i++) {
      if (at.file().type() != SnapshotFile.Type.DIRECTORY) {
        throw SnapshotException.invalid("'" + path + "' goes through " + describe(at.file())
            + "; nothing inside a snapshot is read through a symlink or below a file; name the path it stands for instead")
            .withSnapshot(id).withWorkload(w);
      }
      TreeNode.Item item = child(at.tree(), segments[i]);
      if (item == null) {
        throw SnapshotException.notFound("'" + path + "' does not exist in snapshot " + id + " ('"
            + at.file().path() + "' has no entry '" + segments[i] + "'); list '" + at.file().path()
            + "' to see what it holds").withSnapshot(id).withWorkload(w);
      }
      String childPath = at.file().path() + "/" + item.name();
      Entry e = item.entry(segments[0], childPath);
      at = new Found(toFile(childPath, e), item.tree(), e.digest());
    }
    return at;
  }

  /**
   * Hands each entry directly inside the directory {@code path} to {@code sink}, in tree order;
   * the empty path hands over the volumes.
   */
  public void list(WorkloadRef w, SnapshotId id, String path, Consumer<SnapshotFile> sink) {
    if (segments(path).length == 0) {
      RootFile root = rootOf(w, id);
      for (String volume : root.trees().keySet()) {
        sink.accept(new SnapshotFile(volume, SnapshotFile.Type.DIRECTORY, 0, 0755, root.summary().capturedAt(),
            Optional.empty()));
      }
      return;
    }
    Found dir = directory(w, id, path, "list");
    try (TreeReader r = subtree(dir)) {
      while (r.hasNext()) {
        Entry e = r.next();
        if (e.type() == io.snapshotkit.fs.FileType.DIRECTORY) {
          r.skipChildren();
        }
        if (e.path().indexOf('/') < 0) { // not a child of a directory an ingest left implicit
          sink.accept(toFile(dir.file().path() + "/" + e.path(), e));
        }
      }
    }
  }

  /**
   * The directory at {@code path}.
   *
   * @param what what the caller does with it, for the message if it is not a directory
   */
  public Found directory(WorkloadRef w, SnapshotId id, String path, String what) {
    Found dir = find(w, id, path);
    if (dir.file().type() != SnapshotFile.Type.DIRECTORY) {
      throw SnapshotException.invalid("cannot " + what + " '" + path + "': it is " + describe(dir.file())
          + ", not a directory").withSnapshot(id).withWorkload(w);
    }
    return dir;
  }

  /**
   * Writes up to {@code length} bytes of the file at {@code path} from {@code offset} to
   * {@code out}, verified as they are read; a content is streamed chunk by chunk.
   *
   * @throws IOException if writing to {@code out} fails
   */
  public void read(WorkloadRef w, SnapshotId id, String path, long offset, long length, OutputStream out)
      throws IOException {
    if (offset < 0 || length < 0) {
      throw SnapshotException.invalid("offset and length must not be negative: " + offset + ", " + length);
    }
    Found file = find(w, id, path);
    if (file.file().type() != SnapshotFile.Type.FILE) {
      throw SnapshotException.invalid("cannot read '" + path + "': it is " + describe(file.file())
          + (file.file().type() == SnapshotFile.Type.DIRECTORY ? "; dump it as a tar or list it" : "; read its target")
      ).withSnapshot(id).withWorkload(w);
    }
    if (offset >= file.file().size() || length == 0) {
      return;
    }
    try (InputStream in = open(file.content())) {
      skip(in, offset, path);
      copy(in, out, length);
    }
  }

  /** Opens a file's content, verified against its digest as it is read (a chunked one streamed). */
  public InputStream open(Digest content) {
    return repo.content().open(content);
  }

  /** Reads the entries below a found directory, paths relative to it, in tree order. */
  public TreeReader subtree(Found dir) {
    TreeMap<String, Digest> roots = new TreeMap<>();
    roots.put(dir.file().name(), dir.tree());
    return new TreeReader(repo.treeSource(), roots);
  }

  /** The public form of a stored entry at {@code path}. */
  public static SnapshotFile toFile(String path, Entry e) {
    SnapshotFile.Type type = switch (e.type()) {
      case FILE -> SnapshotFile.Type.FILE;
      case DIRECTORY -> SnapshotFile.Type.DIRECTORY;
      case SYMLINK -> SnapshotFile.Type.SYMLINK;
    };
    return new SnapshotFile(path, type, type == SnapshotFile.Type.FILE ? e.size() : 0, e.mode(),
        Entry.instant(e.mtimeNanos()), Optional.ofNullable(e.linkTarget()));
  }

  private RootFile rootOf(WorkloadRef w, SnapshotId id) {
    return repo.rootFile(w, id).orElseThrow(() -> SnapshotException.notFound("snapshot " + id + " of " + w
        + " is not on this host; list the workload's snapshots to find one that is").withSnapshot(id).withWorkload(w));
  }

  /** The checked segments of a path; none for the empty path. One leading and trailing '/' are ignored. */
  private static String[] segments(String path) {
    String p = path.startsWith("/") ? path.substring(1) : path;
    if (p.isEmpty() || p.equals("/")) {
      return new String[0];
    }
    Optional<String> problem = PathRules.pathProblem(p, MAX_PATH_BYTES);
    if (problem.isPresent()) {
      throw SnapshotException.invalid("'" + path + "' is not a path inside a snapshot (" + problem.get()
          + "); name VOLUME or VOLUME/dir/file, without '.' or '..'");
    }
    if (p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    return p.split("/");
  }

  /** The leaf record named {@code name} in the directory tree {@code dir}, or null. */
  private TreeNode.Item child(Digest dir, String name) {
    TreeReader.Source source = repo.treeSource();
    Digest d = dir;
    for (int depth = 0; depth <= MAX_DEPTH; depth++) {
      TreeNode.Decoded node = TreeNode.decode(d, source.load(d));
      if (node.leaf()) {
        for (TreeNode.Item item : node.items()) {
          if (item.name().equals(name)) {
            return item;
          }
        }
        return null;
      }
      TreeNode.Part part = null;
      for (TreeNode.Part p : node.parts()) {
        if (PathOrder.compare(p.firstName(), name) > 0) {
          break;
        }
        part = p;
      }
      if (part == null) {
        return null;
      }
      d = part.digest();
    }
    throw TreeNode.corrupt(dir);
  }

  private static String describe(SnapshotFile f) {
    return switch (f.type()) {
      case FILE -> "the file '" + f.path() + "'";
      case DIRECTORY -> "the directory '" + f.path() + "'";
      case SYMLINK -> "the symlink '" + f.path() + "' (to '" + f.linkTarget().orElse("") + "')";
    };
  }

  private static void skip(InputStream in, long n, String path) throws IOException {
    long left = n;
    while (left > 0) {
      long s = in.skip(left);
      if (s <= 0) {
        if (in.read() < 0) {
          throw new SnapshotException(ErrorCode.CORRUPT, "the stored content of '" + path
              + "' is shorter than its recorded size; run the repository check");
        }
        s = 1;
      }
      left -= s;
    }
  }

  private static void copy(InputStream in, OutputStream out, long length) throws IOException {
    byte[] buf = new byte[BUFFER];
    long left = length;
    while (left > 0) {
      int n = in.read(buf, 0, (int) Math.min(buf.length, left));
      if (n < 0) {
        return;
      }
      out.write(buf, 0, n);
      left -= n;
    }
  }
}
