package io.snapshotkit.s3;

import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.HashSet;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The optional local cache of one host: copies of write-once objects (packs and index files)
 * this host uploaded or read whole, under their object names. Only a copy: a miss reads the
 * bucket, a damaged or deleted cache loses nothing (every content is verified against its digest
 * above the store), and an object deleted from the bucket is dropped from the cache when the
 * store lists its prefix or deletes it. Files appear by rename, so a crash leaves whole files or
 * {@code .part-} files, which are removed at start.
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
final class ObjectCache {
  private static final Logger LOG = LoggerFactory.getLogger(ObjectCache.class);
  private static final String PART = ".part-";
  private final Path dir;

  ObjectCache(Path dir) throws IOException {
    this.dir = dir;
    Files.createDirectories(dir);
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.filter(f -> f.getFileName().toString().startsWith(PART)).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** Whether objects of this name are kept: packs and index files, which are never rewritten. */
  static boolean cacheable(String name) {
    return name.startsWith("packs/") || name.startsWith("index/");
  }

  private Path path(String name) {
    return dir.resolve(name);
  }

  /** A file being filled with an object's bytes; {@link Fill#commit()} makes it the cached copy. */
  final class Fill implements AutoCloseable {
    private final Path target;
    private final Path tmp;
    final OutputStream out;
    private boolean done;

    private Fill(String name) throws IOException {
      target = path(name);
      Files.createDirectories(target.getParent());
      tmp = target.resolveSibling(PART + target.getFileName() + "-" + UUID.randomUUID());
      out = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }

    /** The file being filled, renamed to the cached copy by {@link #commit()}. */
    Path partial() {
      return tmp;
    }

    void commit() throws IOException {
      out.close();
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("cannot rename within the cache directory " + dir, e);
      }
      done = true;
    }

    @Override
    public void close() {
      try {
        out.close();
        if (!done) {
          Files.deleteIfExists(tmp);
        }
      } catch (IOException e) {
        LOG.debug("discarding a cache file", e);
      }
    }
  }

  /** Starts a cached copy of {@code name}, or empty if it is not cacheable or the cache fails. */
  Optional<Fill> fill(String name) {
    if (!cacheable(name)) {
      return Optional.empty();
    }
    try {
      return Optional.of(new Fill(name));
    } catch (IOException e) {
      LOG.warn("cannot cache {} in {}; reading it from the bucket", name, dir, e);
      return Optional.empty();
    }
  }

  /** The whole cached copy, or empty on a miss. */
  Optional<byte[]> get(String name) {
    if (!cacheable(name)) {
      return Optional.empty();
    }
    try {
      return Optional.of(Files.readAllBytes(path(name)));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      LOG.warn("cannot read the cached {}; reading the bucket", name, e);
      return Optional.empty();
    }
  }

  /**
   * The size of the cached copy, or empty on a miss: the object's size, as cached objects are
   * never rewritten.
   */
  OptionalLong size(String name) {
    if (!cacheable(name)) {
      return OptionalLong.empty();
    }
    try {
      return OptionalLong.of(Files.size(path(name)));
    } catch (IOException e) {
      return OptionalLong.empty();
    }
  }

  /** A range of the cached copy, or empty on a miss (or a copy too short). */
  Optional<byte[]> getRange(String name, long offset, int length) {
    if (!cacheable(name)) {
      return Optional.empty();
    }
    return readRange(path(name), offset, length);
  }

  /** A range of a file, or empty if it is missing, too short or unreadable. */
  static Optional<byte[]> readRange(Path file, long offset, int length) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer buf = ByteBuffer.allocate(length);
      while (buf.hasRemaining()) {
        if (ch.read(buf, offset + buf.position()) < 0) {
          throw new EOFException();
        }
      }
      return Optional.of(buf.array());
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Deletes a directory tree, as far as it can (a temporary cache at close). */
  static void deleteTree(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException | java.io.UncheckedIOException e) {
      LOG.debug("removing the cache {}", dir, e);
    }
  }

  /** Drops the cached copy of a deleted object. */
  void remove(String name) {
    if (cacheable(name)) {
      try {
        Files.deleteIfExists(path(name));
      } catch (IOException e) {
        LOG.debug("removing the cached {}", name, e);
      }
    }
  }

  /**
   * Drops cached copies under {@code prefix} (a directory such as {@code packs/}) that the bucket
   * no longer lists: deleted by some host's gc.
   */
  void retainOnly(String prefix, Collection<String> listed) {
    if (!cacheable(prefix) || !prefix.endsWith("/")) {
      return;
    }
    Set<String> keep = new HashSet<>(listed);
    Path sub = path(prefix);
    try (Stream<Path> files = Files.list(sub)) {
      for (Path f : files.toList()) {
        String n = prefix + f.getFileName();
        if (!f.getFileName().toString().startsWith(PART) && !keep.contains(n)) {
          Files.deleteIfExists(f);
        }
      }
    } catch (NoSuchFileException e) {
      // nothing cached there
    } catch (IOException e) {
      LOG.debug("trimming the cache under {}", prefix, e);
    }
  }
}
