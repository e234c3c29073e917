package io.snapshotkit.fs;

import io.snapshotkit.fs.internal.repo.Digest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Test helpers: write files and describe a directory tree as comparable text. */
final class Trees {
  private Trees() {}

  static Path write(Path file, String text) {
    try {
      Files.createDirectories(file.getParent());
      return Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Path write(Path file, byte[] data) {
    try {
      Files.createDirectories(file.getParent());
      return Files.write(file, data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Every entry under {@code root} (not following symlinks): relative path → type, permission
   * bits, and content (files: SHA-256 of the bytes; symlinks: the target), plus the mtime in
   * milliseconds when {@code withTimes}.
   */
  static Map<String, String> state(Path root, boolean withTimes) {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        if (p.equals(root)) {
          continue;
        }
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        String kind;
        if (a.isSymbolicLink()) {
          kind = "link -> " + Files.readSymbolicLink(p);
        } else {
          String perms = PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
          kind = a.isDirectory() ? "dir " + perms
              : "file " + perms + " " + HexFormat.of().formatHex(Digest.sha256().digest(Files.readAllBytes(p)));
          if (withTimes) {
            kind += " @" + a.lastModifiedTime().toMillis();
          }
        }
        out.put(root.relativize(p).toString(), kind);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }
}
