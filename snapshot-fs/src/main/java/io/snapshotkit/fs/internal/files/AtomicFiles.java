package io.snapshotkit.fs.internal.files;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.UUID;
import java.util.stream.Stream;

/** Durable file operations: write to a temp file, fsync, rename, fsync the directory. */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** Writes {@code data} to {@code target} so that a crash leaves the old or the new file, never a torn one. */
  public static void write(Path target, byte[] data) throws IOException {
    Path tmp = target.resolveSibling(".tmp-" + target.getFileName() + "-" + UUID.randomUUID());
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(data);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      move(tmp, target);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** fsyncs a file's content. */
  public static void fsync(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
  }

  /** fsyncs a directory so renames and creations in it survive a crash. */
  public static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  /**
   * Renames atomically (replacing a target file, or an empty target directory) and fsyncs the
   * directories of both names, so the rename survives a power loss.
   */
  public static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("cannot rename " + from + " to " + to + " atomically; keep them on one filesystem", e);
    }
    Path toDir = to.toAbsolutePath().getParent();
    Path fromDir = from.toAbsolutePath().getParent();
    fsyncDirectory(toDir);
    if (!fromDir.equals(toDir)) {
      fsyncDirectory(fromDir);
    }
  }

  public static boolean exists(Path p) {
    return Files.exists(p, LinkOption.NOFOLLOW_LINKS);
  }

  /** Deletes a tree without following symlinks; a missing tree is fine. */
  public static void deleteTree(Path root) throws IOException {
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(root, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return;
    }
    if (attrs.isDirectory()) {
      root.toFile().setWritable(true, true);
      root.toFile().setExecutable(true, true);
      root.toFile().setReadable(true, true);
      try (Stream<Path> children = Files.list(root)) {
        for (Path child : (Iterable<Path>) children::iterator) {
          deleteTree(child);
        }
      }
    }
    Files.deleteIfExists(root);
  }
}
