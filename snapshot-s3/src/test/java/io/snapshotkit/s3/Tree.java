package io.snapshotkit.s3;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Test trees: random content written, and a byte-exact description to compare restores with. */
final class Tree {
  private Tree() {}

  /**
   * Every entry under {@code dir} by relative path: type, permissions and (files) the full
   * content in hex or (links) the target. Equal maps mean byte-for-byte equal trees.
   */
  static Map<String, String> state(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.filter(p -> !p.equals(dir)).toList()) {
        String rel = dir.relativize(p).toString();
        if (Files.isSymbolicLink(p)) {
          out.put(rel, "link " + Files.readSymbolicLink(p));
        } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          out.put(rel, "dir " + PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
        } else {
          out.put(rel, "file " + PosixFilePermissions.toString(Files.getPosixFilePermissions(p)) + " "
              + HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
        }
      }
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }

  /** Writes {@code files} random files (sizes up to {@code maxSize}) in a few directories, a link and an empty directory. */
  static void fill(Path dir, long seed, int files, int maxSize) throws IOException {
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < files; i++) {
      byte[] data = new byte[r.nextInt(maxSize + 1)];
      r.nextBytes(data);
      write(dir.resolve("d" + (i % 4)).resolve("f" + i + ".bin"), data);
    }
    Files.createDirectories(dir.resolve("empty"));
    if (!Files.exists(dir.resolve("link"), LinkOption.NOFOLLOW_LINKS)) {
      Files.createSymbolicLink(dir.resolve("link"), Path.of("d0/f0.bin"));
    }
  }

  static void write(Path file, byte[] data) throws IOException {
    Files.createDirectories(file.getParent());
    Files.write(file, data);
  }

  static byte[] random(long seed, int size) {
    byte[] b = new byte[size];
    new SplittableRandom(seed).nextBytes(b);
    return b;
  }
}
