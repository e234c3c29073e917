package io.snapshotkit.fs.internal.store;

import io.snapshotkit.fs.store.ObjectStore;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * An {@link ObjectStore} in a local directory: object {@code a/b} is the file {@code <root>/a/b}.
 *
 * <p>A put writes a temporary file beside its target ({@code .tmp-} prefix, never listed),
 * fsyncs it, hard-links it to the target name — which fails if the name exists, so a put never
 * replaces an object — removes the temporary name and fsyncs the directory. A crash leaves either
 * no object or the whole object, plus perhaps a temporary file that {@link #removeTemporaries}
 * clears. A delete fsyncs the directory too.
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
public final class LocalObjectStore implements ObjectStore {
  private static final String TMP = ".tmp-";
  /** How many files an exclusive store keeps open for range reads. */
  static final int OPEN_FOR_READS = 16;
  private final Path root;
  /** Null unless this process is the store's only user ({@link #exclusive}). */
  private final ReadChannels channels;

  /** A store rooted at {@code root} (created if missing), which other processes may use too. */
  public LocalObjectStore(Path root) throws IOException {
    this(root, null);
  }

  private LocalObjectStore(Path root, ReadChannels channels) throws IOException {
    this.root = Objects.requireNonNull(root, "root");
    this.channels = channels;
    Files.createDirectories(root);
  }

  /**
   * A store that only this process uses (its owner holds the repository's lock): range reads keep
   * the {@value #OPEN_FOR_READS} most recently read files open, so a restore's or a diff's many
   * reads of one pack cost one open, not one each. Only this process deletes objects here, and a
   * delete closes the file's channel first, so no read sees a deleted object; with other
   * processes deleting, a kept channel would go on reading a file they deleted, hence not for
   * shared stores.
   */
  public static LocalObjectStore exclusive(Path root) throws IOException {
    return new LocalObjectStore(root, new ReadChannels(OPEN_FOR_READS));
  }

  private Path path(String name) {
    return root.resolve(ObjectStore.checkName(name));
  }

  @Override
  public Upload upload(String name) throws IOException {
    Path target = path(name);
    Files.createDirectories(target.getParent());
    Path tmp = target.resolveSibling(TMP + target.getFileName() + "-" + UUID.randomUUID());
    FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    return new LocalUpload(target, tmp, ch);
  }

  @Override
  public byte[] get(String name) throws IOException {
    return Files.readAllBytes(path(name));
  }

  @Override
  public byte[] getRange(String name, long offset, int length) throws IOException {
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException("bad range " + offset + "+" + length + " of " + name);
    }
    byte[] out = new byte[length];
    Path file = path(name);
    if (channels == null) {
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
        readFully(ch, name, out, offset);
      }
      return out;
    }
    ReadChannels.Ref r = channels.acquire(file);
    try {
      readFully(r.channel, name, out, offset);
    } finally {
      channels.release(r);
    }
    return out;
  }

  private static void readFully(FileChannel ch, String name, byte[] out, long offset) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(out);
    while (buf.hasRemaining()) {
      if (ch.read(buf, offset + buf.position()) < 0) {
        throw new EOFException(name + " ends before " + (offset + out.length));
      }
    }
  }

  @Override
  public long size(String name) throws IOException {
    return Files.size(path(name));
  }

  @Override
  public List<String> list(String prefix) throws IOException {
    Objects.requireNonNull(prefix, "prefix");
    int slash = prefix.lastIndexOf('/');
    String dirPart = slash < 0 ? "" : prefix.substring(0, slash);
    String namePart = prefix.substring(slash + 1);
    Path dir = dirPart.isEmpty() ? root : path(dirPart);
    List<String> out = new ArrayList<>();
    // a directory stream does not stat its entries: objects deleted meanwhile are simply missed
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String n = f.getFileName().toString();
        if (n.startsWith(namePart) && !n.startsWith(".")) {
          out.add(dirPart.isEmpty() ? n : dirPart + "/" + n);
        }
      }
    } catch (NoSuchFileException | NotDirectoryException e) {
      return List.of();
    }
    out.sort(null);
    return out;
  }

  @Override
  public boolean delete(String name) throws IOException {
    Path p = path(name);
    if (channels != null) {
      channels.forget(p);
    }
    boolean existed = Files.deleteIfExists(p);
    if (existed) {
      fsyncDirectory(p.getParent());
    }
    return existed;
  }

  /**
   * Removes the temporary files interrupted puts left in {@code directory} (an object name
   * prefix ending in a directory, e.g. {@code packs}). Call only while no put runs there.
   */
  public void removeTemporaries(String directory) throws IOException {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(path(directory), TMP + "*")) {
      for (Path f : files) {
        Files.deleteIfExists(f);
      }
    } catch (NoSuchFileException e) {
      // nothing was ever stored there
    }
  }

  /** Closes the files kept open for reads, if any (an exclusive store). */
  @Override
  public void close() throws IOException {
    if (channels != null) {
      channels.close();
    }
  }

  /** How many files are kept open for reads (for tests). */
  int openForReads() {
    return channels == null ? 0 : channels.size();
  }

  private static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  /** A temporary file linked to its name on publish. */
  private static final class LocalUpload implements Upload {
    private final Path target;
    private final Path tmp;
    private final FileChannel channel;
    private final OutputStream out;
    private long written;
    private boolean done;

    LocalUpload(Path target, Path tmp, FileChannel channel) {
      this.target = target;
      this.tmp = tmp;
      this.channel = channel;
      OutputStream buffered = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
      this.out = new FilterOutputStream(buffered) {
        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          buffered.write(b, off, len);
          written += len;
        }

        @Override
        public void write(int b) throws IOException {
          buffered.write(b);
          written++;
        }

        @Override
        public void close() throws IOException {
          buffered.flush(); // the upload closes the channel
        }
      };
    }

    @Override
    public OutputStream out() {
      return out;
    }

    @Override
    public long written() {
      return written;
    }

    @Override
    public boolean publish() throws IOException {
      if (done) {
        throw new IllegalStateException("already published or discarded: " + target);
      }
      done = true;
      try {
        out.flush();
        channel.force(true);
        channel.close();
        try {
          Files.createLink(target, tmp);
        } catch (FileAlreadyExistsException e) {
          return false;
        }
        fsyncDirectory(target.getParent());
        return true;
      } finally {
        channel.close();
        Files.deleteIfExists(tmp);
      }
    }

    @Override
    public void close() throws IOException {
      if (!done) {
        done = true;
        try {
          channel.close();
        } finally {
          Files.deleteIfExists(tmp);
        }
      }
    }
  }
}
