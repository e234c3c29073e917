package io.snapshotkit.fs.internal.capture;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Excludes;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.fs.FileType;
import io.snapshotkit.spi.ProgressTracker;
import io.snapshotkit.fs.internal.files.Buffers;
import io.snapshotkit.fs.internal.files.OrderedWork;
import io.snapshotkit.fs.internal.files.RawNames;
import io.snapshotkit.fs.internal.repo.ContentSession;
import io.snapshotkit.fs.internal.repo.ContentStore;
import io.snapshotkit.fs.internal.repo.Digest;
import io.snapshotkit.fs.internal.repo.Entry;
import io.snapshotkit.fs.internal.repo.PathOrder;
import io.snapshotkit.fs.internal.repo.TreeReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Walks a volume in tree order and produces its entries, reading (and, with a session, storing)
 * only files whose size, mtime, inode or ctime differ from the previous snapshot's entry.
 *
 * <p>Reads may run on an executor; entries still come out in order (a bounded window of pending
 * reads keeps memory flat). A file that changes while it is read (its stat differs before and
 * after) is re-read up to {@link #RETRIES} times and then recorded as torn, which makes the
 * snapshot partial. Confined to one thread (the one calling {@link #scan}).
 */
public final class Scanner {
  private static final Logger LOG = LoggerFactory.getLogger(Scanner.class);
  public static final int RETRIES = 3;
  /** Entries a scan may hold back before emitting, so a consumer (a diff) sees changes early. */
  private static final int WINDOW = 256;
  /**
   * The window of a capture reading on an executor: large enough that while one thread
   * compresses a 100 MiB file the others keep reading thousands of small files behind it
   * (entries must still be emitted in order). A pending entry costs a few hundred bytes.
   */
  static final int CAPTURE_WINDOW = 8192;
  /**
   * One stat's fields. The type comes from the mode's file-type bits: each name asked for costs
   * the JDK a parse and a map entry per call, which a cold process pays in the interpreter.
   */
  private static final String ATTRS = "unix:mode,uid,gid,ino,ctime,size,lastModifiedTime";
  private static final int S_IFMT = 0170000;
  private static final int S_IFDIR = 0040000;
  private static final int S_IFREG = 0100000;
  private static final int S_IFLNK = 0120000;

  /** Test seam: runs after a file's content was read and before it is stat'ed again. */
  public interface ReadHook {
    void afterRead(Path file) throws IOException;
  }

  private final ContentSession session;
  private final int small;
  private final Executor executor;
  private final ReadHook hook;
  private final boolean fullRescan;
  private final long racyFrom;
  private final int windowSize;
  private final Buffers buffers = new Buffers();
  private Excludes excludes = Excludes.none();
  /** Set once the parent snapshot's trees could not be read: the rest of the scan has no stat base. */
  private volatile boolean statBaseLost;
  private boolean partial;
  private final List<String> problems = new ArrayList<>();
  /** Told of each entry as it is produced, in order, on the scanning thread; null when nobody listens. */
  private ProgressTracker progress;

  /**
   * @param session where to store new content, or null to only hash (describe, diff against live).
   *     The previous trees given to {@link #scan} must have been opened after the session began:
   *     their unchanged files' content is pinned as {@link ContentSession#reuseReferenced} allows.
   * @param executor where to read files, or null to read on the calling thread
   */
  public Scanner(ContentSession session, Executor executor, ReadHook hook, boolean fullRescan) {
    this(session, executor, hook, fullRescan, Long.MAX_VALUE);
  }

  /**
   * @param racyFrom filesystem time (epoch nanoseconds) from which a file's timestamps are too
   *     recent to be trusted by the next capture: a same-size rewrite within the same timestamp
   *     tick would leave size, mtime and ctime unchanged. Such files are stored with an unknown
   *     ctime, so the next capture reads them again. {@code Long.MAX_VALUE} trusts every stat.
   */
  public Scanner(ContentSession session, Executor executor, ReadHook hook, boolean fullRescan, long racyFrom) {
    this(session, executor, hook, fullRescan, racyFrom, session == null ? ContentStore.SMALL : session.smallLimit());
  }

  /**
   * @param small the repository's chunking threshold: without a session the scan still computes
   *     the digests a capture into that repository would give (whole-content SHA-256 under it, a
   *     chunk list's digest from it on)
   */
  public Scanner(ContentSession session, Executor executor, ReadHook hook, boolean fullRescan, long racyFrom,
      int small) {
    this.small = small;
    this.session = session;
    this.executor = executor;
    this.hook = hook;
    this.fullRescan = fullRescan;
    this.racyFrom = racyFrom;
    this.windowSize = session != null && executor != null ? CAPTURE_WINDOW : WINDOW;
  }

  /**
   * Leaves out what {@code patterns} exclude: an excluded entry is not emitted, and an excluded
   * directory is not descended into (as git does, nothing under it can be re-included).
   */
  public Scanner excluding(Excludes patterns) {
    this.excludes = patterns;
    return this;
  }

  /**
   * Reports each entry produced to {@code tracker}: one file and its size for a file, one entry
   * for a directory or link, with its {@code volume:path}, in tree order.
   */
  public Scanner reportingTo(ProgressTracker tracker) {
    this.progress = tracker.active() ? tracker : null;
    return this;
  }

  public boolean partial() {
    return partial;
  }

  public List<String> problems() {
    return problems;
  }

  /**
   * Scans one volume. {@code previous} is positioned anywhere before this volume's entries
   * (or null) and is advanced past them.
   */
  public void scan(String volume, Path root, TreeReader previous, Consumer<Entry> sink) throws IOException {
    if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
      throw SnapshotException.notFound("volume '" + volume + "' at " + root
          + " does not exist or is not a real directory; check the workload's volume mapping");
    }
    try (OrderedWork<Entry> reads = new OrderedWork<>(executor, windowSize, e -> {
      if (e == null) {
        return; // vanished or unreadable while being read
      }
      if (e.torn()) {
        markPartial("file '" + e.path() + "' in volume '" + e.volume() + "' kept changing while it was read");
      }
      sink.accept(e);
      if (progress != null) {
        progress.advance(1, e.type() == FileType.FILE ? e.size() : 0, e.key());
      }
    })) {
      walk(volume, root, "", previous, reads);
      reads.finish();
    }
  }

  private void walk(String volume, Path dir, String prefix, TreeReader previous, OrderedWork<Entry> sink)
      throws IOException {
    // a name's text keeps its raw bytes (RawNames), so a name that is not UTF-8 is captured as
    // itself; the child's Path, which holds those bytes, is what is read
    Map<String, Path> children = new java.util.TreeMap<>(PathOrder::compare);
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
      for (Path child : stream) {
        children.put(RawNames.name(child), child);
      }
    } catch (NoSuchFileException | NotDirectoryException e) {
      return; // removed or replaced while walking: what is there now is captured at its new path
    } catch (AccessDeniedException e) {
      unreadable(prefix.isEmpty() ? "(volume root)" : prefix, e);
      return;
    }
    for (Map.Entry<String, Path> child : children.entrySet()) {
      String name = child.getKey();
      String rel = prefix.isEmpty() ? name : prefix + "/" + name;
      Path p = child.getValue();
      Map<String, Object> a;
      try {
        a = Files.readAttributes(p, ATTRS, LinkOption.NOFOLLOW_LINKS);
      } catch (NoSuchFileException e) {
        continue;
      }
      int st = (Integer) a.get("mode");
      boolean isDirectory = (st & S_IFMT) == S_IFDIR;
      if (excludes.excludesEntry(rel, isDirectory)) {
        continue; // neither emitted nor, for a directory, descended into
      }
      Entry old = seek(previous, volume, rel);
      int mode = st & 07777;
      long mtime = Entry.nanos(((FileTime) a.get("lastModifiedTime")).toInstant());
      long ino = (Long) a.get("ino");
      long ctime = Entry.nanos(((FileTime) a.get("ctime")).toInstant());
      int uid = (Integer) a.get("uid");
      int gid = (Integer) a.get("gid");
      if (isDirectory) {
        sink.done(new Entry(volume, rel, FileType.DIRECTORY, mode, 0, mtime, ino, ctime, null, null, false, uid, gid));
        walk(volume, p, rel, previous, sink);
      } else if ((st & S_IFMT) == S_IFLNK) {
        String target;
        try {
          target = RawNames.text(Files.readSymbolicLink(p));
        } catch (NoSuchFileException e) {
          continue;
        }
        sink.done(new Entry(volume, rel, FileType.SYMLINK, mode, RawNames.length(target), mtime, ino, ctime, null,
            target, false, uid, gid));
      } else if ((st & S_IFMT) == S_IFREG) {
        long size = (Long) a.get("size");
        Entry stat = new Entry(volume, rel, FileType.FILE, mode, size, mtime, ino, ctime, null, null, false, uid, gid);
        if (!fullRescan && old != null && old.type() == FileType.FILE && !old.torn() && old.size() == size
            && old.mtimeNanos() == mtime && old.inode() == ino && old.ctimeNanos() == ctime && reusable(old.digest())) {
          // the owner comes from this stat, never from the previous entry (a chown changes ctime too)
          sink.done(new Entry(volume, rel, FileType.FILE, mode, size, mtime, ino, ctime, old.digest(), null, false,
              uid, gid));
        } else {
          sink.submit(() -> read(p, stat));
        }
      } else {
        LOG.warn("skipping {} in volume '{}': device nodes, fifos and sockets are not captured", rel, volume);
      }
    }
  }

  /** Pins a digest of the previous snapshot's tree, which was opened after the session began. */
  private boolean reusable(Digest d) {
    return session == null || session.reuseReferenced(d);
  }

  /**
   * The parent snapshot's entry for {@code rel}, or null. The parent is only a stat base: if its
   * trees can no longer be read (it was deleted and a concurrent gc removed them while this capture
   * walked them), the rest of the capture reads every file instead of failing.
   */
  private Entry seek(TreeReader previous, String volume, String rel) {
    if (previous == null || statBaseLost) {
      return null;
    }
    try {
      Entry e;
      while ((e = previous.peek()) != null) {
        int c = PathOrder.compare(e.volume(), e.path(), volume, rel);
        if (c < 0) {
          previous.next();
        } else if (c == 0) {
          return previous.next();
        } else {
          return null;
        }
      }
      return null;
    } catch (SnapshotException e) {
      if (e.code() != ErrorCode.CORRUPT) {
        throw e;
      }
      statBaseLost = true;
      LOG.info("the parent snapshot's trees could not be read any more ({}); reading the remaining files in full",
          e.getMessage());
      return null;
    }
  }

  private synchronized void markPartial(String problem) {
  partial = true;
    if (problems.size() < 100) {
      problems.add(problem);
    }
  }

  private void unreadable(String rel, IOException e) {
    LOG.warn("cannot read {}: {}; the snapshot is partial", rel, e.toString());
    markPartial("'" + rel + "' could not be read (" + e.getClass().getSimpleName() + ")");
  }

  /** Reads one file, re-reading while it changes underneath; null if it vanished or is unreadable. */
  private Entry read(Path p, Entry stat) throws IOException {
    Entry current = stat;
    Digest digest = null;
    for (int attempt = 0; attempt <= RETRIES; attempt++) {
      long[] length = {0};
      try {
        digest = content(p, current.size(), length);
        if (hook != null) {
          hook.afterRead(p);
        }
      } catch (NoSuchFileException e) {
        return null;
      } catch (AccessDeniedException e) {
        unreadable(current.path(), e);
        return null;
      }
      Map<String, Object> a;
      try {
        a = Files.readAttributes(p, ATTRS, LinkOption.NOFOLLOW_LINKS);
      } catch (NoSuchFileException e) {
        return null;
      }
      int st = (Integer) a.get("mode");
      if ((st & S_IFMT) != S_IFREG) {
        return null;
      }
      Entry after = new Entry(current.volume(), current.path(), FileType.FILE, st & 07777,
          (Long) a.get("size"), Entry.nanos(((FileTime) a.get("lastModifiedTime")).toInstant()),
          (Long) a.get("ino"), Entry.nanos(((FileTime) a.get("ctime")).toInstant()), null, null, false,
          (Integer) a.get("uid"), (Integer) a.get("gid"));
      boolean stable = after.size() == current.size() && after.mtimeNanos() == current.mtimeNanos()
          && after.inode() == current.inode() && after.ctimeNanos() == current.ctimeNanos()
          && after.sameOwner(current) && length[0] == current.size();
      if (stable) {
        // ctime, not mtime: the kernel sets it on every change, while mtime can be set to anything
        // (a future mtime would otherwise make a file look racy forever)
        boolean racy = after.ctimeNanos() >= racyFrom;
        return new Entry(after.volume(), after.path(), FileType.FILE, after.mode(), length[0], after.mtimeNanos(),
            after.inode(), racy ? Entry.UNKNOWN : after.ctimeNanos(), digest, null, false, after.uid(), after.gid());
      }
      LOG.debug("{} changed while it was read (attempt {}); reading it again", p, attempt + 1);
      current = after;
    }
    return new Entry(current.volume(), current.path(), FileType.FILE, current.mode(), current.size(),
        current.mtimeNanos(), current.inode(), current.ctimeNanos(), digest, null, true, current.uid(),
        current.gid());
  }

  private Digest content(Path p, long expected, long[] length) throws IOException {
    if (expected < small) {
      // one byte more than expected, so a file that grew since its stat reads longer than its
      // size and is read again (see read)
      byte[] data = buffers.take((int) expected + 1);
      try {
        int n;
        try (InputStream in = Files.newInputStream(p, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
          n = in.readNBytes(data, 0, data.length);
        }
        length[0] = n;
        if (session != null) {
          return session.storeSmall(data, n);
        }
        // a file that grew to the threshold since its stat is digested as a capture would store it
        return n < small ? Digest.hash(data, 0, n)
            : ContentSession.digestOf(new java.io.ByteArrayInputStream(data, 0, n), small, null);
      } finally {
        buffers.give(data);
      }
    }
    try (InputStream in = new CountingStream(
        Files.newInputStream(p, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS), length)) {
      return session != null ? session.storeStream(in, executor) : ContentSession.digestOf(in, small, executor);
    }
  }

  private static final class CountingStream extends java.io.FilterInputStream {
    private final long[] count;

    CountingStream(InputStream in, long[] count) {
      super(in);
      this.count = count;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count[0]++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        count[0] += n;
      }
      return n;
    }
  }
}
