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
  private final Path root;

  /** A store rooted at {@code root} (created if missing). */
  public LocalObjectStore(Path root) throws IOException {
    this.root = Objects.requireNonNull(root, "root");
    Files.createDirectories(root);
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
    ByteBuffer buf = ByteBuffer.wrap(out);
    try (FileChannel ch = FileChannel.open(path(name), StandardOpenOption.READ)) {
      while (buf.hasRemaining()) {
        if (ch.read(buf, offset + buf.position()) < 0) {
          throw new EOFException(name + " ends before " + (offset + length));
        }
      }
    }
    return out;
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

  @Override
  public void close() {
    // nothing held open between calls
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
