package io.snapshotkit.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Trees as values: a directory read into a sorted map (relative path → type and content digest,
 * or link target), its checksum, and a sentinel tree to plant beside the repository and volumes
 * so a test can prove nothing outside them was written.
 *
 * <p><b>Thread-safety:</b> stateless.
 */
final class Sentinel {
  private Sentinel() {}

  /** Writes a few files, a nested directory and a symlink under {@code dir}. */
  static void populate(Path dir, SplittableRandom random) throws IOException {
    Files.createDirectories(dir.resolve("nested/deeper"));
    Files.writeString(dir.resolve("secret.txt"), "do not touch " + random.nextLong(), StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("nested/x"), "x" + random.nextLong(), StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("nested/deeper/data"), "data" + random.nextLong(), StandardCharsets.UTF_8);
    Files.createSymbolicLink(dir.resolve("link-to-secret"), Path.of("secret.txt"));
  }

  /**
   * The tree under {@code dir}, not following symlinks: relative path (with {@code /}) →
   * {@code "d"}, {@code "f:<sha-256>"} or {@code "l:<target>"}. Empty if {@code dir} does not exist.
   */
  static TreeMap<String, String> read(Path dir) {
    TreeMap<String, String> out = new TreeMap<>();
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return out;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        if (p.equals(dir)) {
          continue;
        }
        String rel = dir.relativize(p).toString().replace('\\', '/');
        if (Files.isSymbolicLink(p)) {
          out.put(rel, "l:" + Files.readSymbolicLink(p));
        } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          out.put(rel, "d");
        } else {
          out.put(rel, "f:" + sha256(Files.readAllBytes(p)));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** One digest of {@link #read(Path)}. */
  static String checksum(Path dir) {
    StringBuilder all = new StringBuilder();
    for (Map.Entry<String, String> e : read(dir).entrySet()) {
      all.append(e.getKey()).append('\0').append(e.getValue()).append('\n');
    }
    return sha256(all.toString().getBytes(StandardCharsets.UTF_8));
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
