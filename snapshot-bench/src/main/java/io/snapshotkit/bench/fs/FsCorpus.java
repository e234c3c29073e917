package io.snapshotkit.bench.fs;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Writes the deterministic corpus that {@code bench/fs-bench.sh} times, and applies its ~1%
 * change. Same seed and scale, same bytes, names, modes and mtimes on every machine.
 *
 * <p>Layout at scale 1 (about 1 GiB): {@code small/} 20,000 text files of 1–16 KiB in 400 leaf
 * directories two or three levels deep (every 97th executable); {@code medium/} 200 files of
 * 1–4 MiB, even-numbered random, odd-numbered text; {@code large/} three 112 MiB files, one
 * random, one text, one mixed (alternating 1 MiB random and text blocks, every fifth block a copy
 * of the first); {@code links/} 100 relative symlinks to small files and 10 to directories, all
 * resolving inside the tree; {@code empty/} 50 empty directories, five of them nested.
 *
 * <p>The change (about 1%): 200 small files rewritten in place (the middle third replaced, one
 * line appended), 2 medium files appended with 512 KiB, 50 small files deleted, 50 new small
 * files added. Changed files get a later fixed mtime.
 *
 * <p>Usage: {@code FsCorpus generate|change DIR [--seed N] [--scale F]}. A scale below 1 shrinks
 * every count and size (not below one file) for a quick check of the script.
 *
 * <p><b>Threading:</b> a command-line program; single-threaded.
 */
public final class FsCorpus {
  private static final long BASE_MTIME = 1_700_000_000L;
  private static final long CHANGE_MTIME = 1_710_000_000L;
  private static final int MIB = 1 << 20;
  private static final int KIB = 1 << 10;
  private static final int TOP_DIRS = 25;
  private static final int SUB_DIRS = 16;

  private final long seed;
  private final double scale;
  private final byte[][] vocabulary;
  private final int smallCount;
  private final int filesPerLeaf;

  private FsCorpus(long seed, double scale) {
    this.seed = seed;
    this.scale = scale;
    this.vocabulary = vocabulary(new SplittableRandom(seed ^ 0x5DEECE66DL));
    int leaves = TOP_DIRS * SUB_DIRS;
    this.filesPerLeaf = Math.max(1, (int) Math.round(50 * scale));
    this.smallCount = leaves * filesPerLeaf;
  }

  /**
   * Runs the generator.
   *
   * @param args {@code generate|change DIR [--seed N] [--scale F]}
   * @throws IOException if the corpus cannot be written
   */
  public static void main(String[] args) throws IOException {
    if (args.length < 2) {
      System.err.println("usage: FsCorpus generate|change DIR [--seed N] [--scale F]");
      System.exit(2);
    }
    long seed = 20261122L;
    double scale = 1.0;
    for (int i = 2; i < args.length; i++) {
      switch (args[i]) {
        case "--seed" -> seed = Long.parseLong(args[++i]);
        case "--scale" -> scale = Double.parseDouble(args[++i]);
        default -> {
          System.err.println("unknown option " + args[i]);
          System.exit(2);
        }
      }
    }
    if (!(scale > 0 && scale <= 1)) {
      System.err.println("--scale must be in (0, 1]");
      System.exit(2);
    }
    FsCorpus corpus = new FsCorpus(seed, scale);
    Path dir = Path.of(args[1]).toAbsolutePath();
    switch (args[0]) {
      case "generate" -> corpus.generate(dir);
      case "change" -> corpus.change(dir);
      default -> {
        System.err.println("unknown command " + args[0]);
        System.exit(2);
      }
    }
  }

  // ---------------------------------------------------------------------------------- generate

  private void generate(Path dir) throws IOException {
    if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException(dir + " exists; remove it first so the corpus is exactly the seeded one");
    }
    Files.createDirectories(dir);
    long bytes = 0;
    for (int i = 0; i < smallCount; i++) {
      Path file = dir.resolve(smallPath(i));
      Files.createDirectories(file.getParent());
      SplittableRandom r = fileRandom(1, i);
      byte[] content = text(r, KIB + r.nextInt(15 * KIB + 1));
      Files.write(file, content, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      if (i % 97 == 0) {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
      }
      bytes += content.length;
    }
    int mediumCount = Math.max(2, (int) Math.round(200 * scale));
    Files.createDirectories(dir.resolve("medium"));
    for (int i = 0; i < mediumCount; i++) {
      SplittableRandom r = fileRandom(2, i);
      long size = scaled(MIB) + r.nextLong(scaled(3L * MIB) + 1);
      bytes += writeStream(dir.resolve(mediumName(i)), size, r, i % 2 == 0 ? Kind.RANDOM : Kind.TEXT);
    }
    Files.createDirectories(dir.resolve("large"));
    long large = scaled(112L * MIB);
    bytes += writeStream(dir.resolve("large/random.bin"), large, fileRandom(3, 0), Kind.RANDOM);
    bytes += writeStream(dir.resolve("large/text.txt"), large, fileRandom(3, 1), Kind.TEXT);
    bytes += writeStream(dir.resolve("large/mixed.dat"), large, fileRandom(3, 2), Kind.MIXED);
    Path links = Files.createDirectories(dir.resolve("links"));
    SplittableRandom lr = fileRandom(4, 0);
    for (int i = 0; i < 100; i++) {
      Path target = Path.of("..").resolve(smallPath(lr.nextInt(smallCount)));
      Files.createSymbolicLink(links.resolve(String.format("l%03d", i)), target);
    }
    for (int i = 0; i < 10; i++) {
      Files.createSymbolicLink(links.resolve(String.format("dir%02d", i)),
          Path.of("..", "small", String.format("p%02d", i)));
    }
    for (int i = 0; i < 50; i++) {
      Path e = dir.resolve(String.format("empty/e%02d", i));
      Files.createDirectories(i % 10 == 0 ? e.resolve("nested") : e);
    }
    fixTimes(dir);
    System.out.printf("corpus: %d small, %d medium, 3 large, 110 symlinks, 50 empty dirs, %d bytes in %s%n",
        smallCount, mediumCount, bytes, dir);
  }

  private long scaled(long size) {
    return Math.max(KIB, (long) (size * scale));
  }

  private String smallPath(int i) {
    int leaf = i / filesPerLeaf;
    int top = leaf / SUB_DIRS;
    int sub = leaf % SUB_DIRS;
    String d = String.format("small/p%02d/q%02d", top, sub);
    // every fourth leaf puts its second half one level deeper
    if (leaf % 4 == 0 && i % filesPerLeaf >= filesPerLeaf / 2) {
      d += "/r";
    }
    return d + String.format("/f%05d.txt", i);
  }

  private static String mediumName(int i) {
    return String.format("medium/m%03d.%s", i, i % 2 == 0 ? "bin" : "txt");
  }

  private SplittableRandom fileRandom(int family, int index) {
    // independent of generation order, so change() can address any file directly
    return new SplittableRandom(seed * 1_000_003L + family * 10_000_019L + index);
  }

  /** Sets every mtime (files, links, directories) to a fixed, path-derived value. */
  private static void fixTimes(Path dir) throws IOException {
    List<Path> all = new ArrayList<>();
    try (var walk = Files.walk(dir)) {
      walk.forEach(all::add);
    }
    // deepest first so setting a child's time does not disturb its parent's
    for (int i = all.size() - 1; i >= 0; i--) {
      Path p = all.get(i);
      long t = BASE_MTIME + Math.floorMod(dir.relativize(p).toString().hashCode(), 10_000_000);
      Files.getFileAttributeView(p, java.nio.file.attribute.BasicFileAttributeView.class,
          LinkOption.NOFOLLOW_LINKS).setTimes(FileTime.fromMillis(t * 1000), null, null);
    }
  }

  // ---------------------------------------------------------------------------------- change

  private void change(Path dir) throws IOException {
    Path marker = dir.resolve("small/.changed");
    if (Files.exists(marker)) {
      throw new IOException("the change was already applied to " + dir);
    }
    int n = smallCount;
    int changeCount = Math.max(1, (int) Math.round(200 * scale));
    int churn = Math.max(1, (int) Math.round(50 * scale));
    Set<Integer> modified = new LinkedHashSet<>();
    for (int k = 0; modified.size() < changeCount; k++) {
      modified.add(Math.floorMod(k * 97 + 13, n));
    }
    Set<Integer> deleted = new LinkedHashSet<>();
    for (int k = 0; deleted.size() < churn; k++) {
      int i = Math.floorMod(k * 101 + 7, n);
      if (!modified.contains(i)) {
        deleted.add(i);
      }
    }
    FileTime later = FileTime.fromMillis(CHANGE_MTIME * 1000);
    for (int i : modified) {
      Path file = dir.resolve(smallPath(i));
      byte[] old = Files.readAllBytes(file);
      SplittableRandom r = fileRandom(5, i);
      int third = old.length / 3;
      byte[] middle = text(r, third);
      System.arraycopy(middle, 0, old, third, third);
      byte[] line = text(r, 40 + r.nextInt(80));
      line[line.length - 1] = '\n';
      try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        out.write(old);
        out.write(line);
      }
      Files.setLastModifiedTime(file, later);
    }
    for (int m = 1; m <= 2; m++) {
      Path file = dir.resolve(mediumName(m));
      writeStreamTo(file, scaled(512L * KIB), fileRandom(6, m), m % 2 == 0 ? Kind.RANDOM : Kind.TEXT,
          StandardOpenOption.APPEND);
      Files.setLastModifiedTime(file, later);
    }
    Set<Path> touchedDirs = new LinkedHashSet<>();
    for (int i : deleted) {
      Path file = dir.resolve(smallPath(i));
      Files.delete(file);
      touchedDirs.add(file.getParent());
    }
    for (int k = 0; k < churn; k++) {
      int near = Math.floorMod(k * 389 + 11, n);
      Path file = dir.resolve(smallPath(near)).resolveSibling(String.format("new%03d.txt", k));
      SplittableRandom r = fileRandom(7, k);
      Files.write(file, text(r, KIB + r.nextInt(15 * KIB + 1)), StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE);
      Files.setLastModifiedTime(file, later);
      touchedDirs.add(file.getParent());
    }
    // the marker lives inside the tree, so it is part of the change (one more added file)
    Files.write(marker, "changed\n".getBytes(StandardCharsets.US_ASCII), StandardOpenOption.CREATE_NEW);
    Files.setLastModifiedTime(marker, later);
    touchedDirs.add(marker.getParent());
    for (Path d : touchedDirs) {
      Files.setLastModifiedTime(d, later);
    }
    System.out.printf("change: %d modified, 2 appended, %d deleted, %d added (+1 marker) in %s%n",
        modified.size(), deleted.size(), churn, dir);
  }

  // ---------------------------------------------------------------------------------- content

  private enum Kind { RANDOM, TEXT, MIXED }

  private long writeStream(Path file, long size, SplittableRandom r, Kind kind) throws IOException {
    writeStreamTo(file, size, r, kind, StandardOpenOption.CREATE_NEW);
    return size;
  }

  private void writeStreamTo(Path file, long size, SplittableRandom r, Kind kind,
      StandardOpenOption mode) throws IOException {
    byte[] first = null;
    try (OutputStream out = Files.newOutputStream(file, mode, StandardOpenOption.WRITE)) {
      long left = size;
      for (int block = 0; left > 0; block++) {
        int len = (int) Math.min(MIB, left);
        byte[] buf;
        boolean random = switch (kind) {
          case RANDOM -> true;
          case TEXT -> false;
          case MIXED -> block % 2 == 0;
        };
        if (kind == Kind.MIXED && block % 5 == 4 && first != null) {
          buf = first; // a repeated block, so content-defined dedup has something to find
        } else if (random) {
          buf = new byte[len];
          r.nextBytes(buf);
        } else {
          buf = text(r, len);
        }
        if (block == 0) {
          first = buf;
        }
        out.write(buf, 0, Math.min(len, buf.length));
        left -= len;
      }
    }
  }

  /** Source-code-like text: words from a seeded vocabulary, lines of 3–14 words, some indented. */
  private byte[] text(SplittableRandom r, int len) {
    byte[] out = new byte[len];
    int pos = 0;
    int wordsInLine = 0;
    int lineLen = 3 + r.nextInt(12);
    while (pos < len) {
      if (wordsInLine == 0 && r.nextInt(3) == 0) {
        int indent = 2 * (1 + r.nextInt(4));
        for (int k = 0; k < indent && pos < len; k++) {
          out[pos++] = ' ';
        }
      }
      // Zipf-ish: small indices far more often
      int idx = (int) (vocabulary.length * Math.pow(r.nextDouble(), 3));
      byte[] w = vocabulary[idx];
      for (int k = 0; k < w.length && pos < len; k++) {
        out[pos++] = w[k];
      }
      wordsInLine++;
      if (pos < len) {
        if (wordsInLine >= lineLen) {
          out[pos++] = r.nextInt(4) == 0 ? (byte) ';' : (byte) '\n';
          if (out[pos - 1] == ';' && pos < len) {
            out[pos++] = '\n';
          }
          wordsInLine = 0;
          lineLen = 3 + r.nextInt(12);
        } else {
          out[pos++] = r.nextInt(9) == 0 ? (byte) ',' : (byte) ' ';
        }
      }
    }
    return out;
  }

  private static byte[][] vocabulary(SplittableRandom r) {
    String letters = "etaoinshrdlucmfwypvbgkqjxz";
    byte[][] words = new byte[4096][];
    for (int i = 0; i < words.length; i++) {
      int len = 2 + r.nextInt(9);
      byte[] w = new byte[len];
      for (int k = 0; k < len; k++) {
        w[k] = (byte) letters.charAt((int) (letters.length() * Math.pow(r.nextDouble(), 2)));
      }
      words[i] = w;
    }
    return words;
  }
}
