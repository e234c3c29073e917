package io.snapshotkit.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A test's own view of a directory tree, to check that a directory agent restores a tree exactly:
 * names and symlink targets as raw bytes (any byte but {@code /} and NUL, invalid UTF-8 included),
 * the full mode (setuid, setgid and sticky included), the numeric owner, the content and the link
 * target of every entry. It never uses the code under test: paths are made and read through
 * {@code file:} URIs, which carry a name's bytes exactly whatever {@code sun.jnu.encoding} is, and
 * a name's text is the one the snapshot API promises (UTF-8, each byte that is not part of valid
 * UTF-8 as the lone surrogate U+DC00 + byte, as Python's "surrogateescape").
 *
 * <p>A typical check: {@code assertEquals(RawTree.read(original), RawTree.read(restored))}.
 *
 * <p>POSIX (Linux) only: it reads the {@code unix:} file attributes. <b>Thread-safety:</b>
 * stateless; every method may be called from any thread.
 */
public final class RawTree {
  /**
   * Separates an entry's description from its owner in {@link #read}'s values (no link target
   * holds NUL).
   */
  public static final char OWNER = '\0';

  private RawTree() {}

  /**
   * {@code dir} joined with a relative path given as raw bytes ({@code /}-separated, no NUL).
   *
   * @throws NullPointerException if an argument is null
   */
  public static Path resolve(Path dir, byte[] relative) {
    Objects.requireNonNull(relative, "relative");
    String base = Objects.requireNonNull(dir, "dir").toAbsolutePath().toUri().getRawPath();
    return Path.of(URI.create("file://" + (base.endsWith("/") ? base : base + "/") + percent(relative)));
  }

  /**
   * A path (such as a symlink target) with exactly these bytes, absolute if they start with
   * {@code /}; {@code .} and {@code ..} are kept as they are.
   *
   * @throws NullPointerException if {@code bytes} is null
   */
  public static Path path(byte[] bytes) {
    if (Objects.requireNonNull(bytes, "bytes").length > 0 && bytes[0] == '/') {
      return Path.of(URI.create("file://" + percent(bytes)));
    }
    // not Path.relativize, which drops '.' and '..': join the names, each read raw from "/name"
    Path out = null;
    for (String name : percent(bytes).split("/")) {
      if (!name.isEmpty()) {
        Path one = Path.of(URI.create("file:///" + name)).getFileName();
        out = out == null ? one : out.resolve(one);
      }
    }
    return out;
  }

  /**
   * The raw bytes of a path, relative or absolute.
   *
   * @throws NullPointerException if {@code path} is null
   */
  public static byte[] raw(Path path) {
    boolean relative = !Objects.requireNonNull(path, "path").isAbsolute();
    String uri = (relative ? Path.of("/").resolve(path) : path).toUri().getRawPath();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int i = 0;
    while (i < uri.length()) {
      if (uri.charAt(i) == '%') {
        out.write(HexFormat.fromHexDigits(uri, i + 1, i + 3));
        i += 3;
      } else {
        out.write(uri.charAt(i++));
      }
    }
    byte[] b = out.toByteArray();
    // an existing directory's URI ends with '/'; a path does not (but "/")
    int end = b.length > 1 && b[b.length - 1] == '/' ? b.length - 1 : b.length;
    return Arrays.copyOfRange(b, relative ? 1 : 0, end);
  }

  /**
   * The text the snapshot API promises for raw bytes: UTF-8, with each byte that is not part of
   * valid UTF-8 as the lone surrogate U+DC00 + byte. Decoded here by the well-formed byte
   * sequences of the Unicode standard (table 3-7), not by a {@code CharsetDecoder}, so that a test
   * comparing it with the code under test compares two independent readings.
   *
   * @throws NullPointerException if {@code bytes} is null
   */
  public static String text(byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes");
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < bytes.length) {
      int n = wellFormedLength(bytes, i);
      if (n == 0) {
        out.append((char) (0xDC00 | (bytes[i] & 0xFF)));
        i++;
      } else {
        out.append(new String(bytes, i, n, StandardCharsets.UTF_8));
        i += n;
      }
    }
    return out.toString();
  }

  /** The length of the well-formed UTF-8 sequence at {@code i}, or 0 if there is none. */
  private static int wellFormedLength(byte[] b, int i) {
    int lead = b[i] & 0xFF;
    if (lead < 0x80) {
      return 1;
    }
    int n;
    int low = 0x80;
    int high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      n = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      n = 3;
      low = lead == 0xE0 ? 0xA0 : 0x80;
      high = lead == 0xED ? 0x9F : 0xBF;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      n = 4;
      low = lead == 0xF0 ? 0x90 : 0x80;
      high = lead == 0xF4 ? 0x8F : 0xBF;
    } else {
      return 0;
    }
    if (i + n > b.length) {
      return 0;
    }
    for (int k = 1; k < n; k++) {
      int c = b[i + k] & 0xFF;
      if (c < (k == 1 ? low : 0x80) || c > (k == 1 ? high : 0xBF)) {
        return 0;
      }
    }
    return n;
  }

  /**
   * The bytes a text stands for: the inverse of {@link #text}.
   *
   * @throws NullPointerException if {@code text} is null
   */
  public static byte[] bytes(String text) {
    Objects.requireNonNull(text, "text");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c >= 0xDC80 && c <= 0xDCFF) {
        out.write(c & 0xFF);
      } else if (Character.isHighSurrogate(c)) {
        out.writeBytes(text.substring(i, i + 2).getBytes(StandardCharsets.UTF_8));
        i++;
      } else {
        out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
      }
    }
    return out.toByteArray();
  }

  /**
   * The bytes of a name spelt one char per byte (ISO-8859-1), so a test can write any byte string
   * as a Java literal: a char from U+0000 to U+00FF is the byte of the same value.
   *
   * @throws NullPointerException if {@code oneCharPerByte} is null
   */
  public static byte[] latin1(String oneCharPerByte) {
    return Objects.requireNonNull(oneCharPerByte, "oneCharPerByte").getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * The parts one after the other.
   *
   * @throws NullPointerException if a part is null
   */
  public static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(Objects.requireNonNull(p, "part"));
    }
    return out.toByteArray();
  }

  /**
   * An entry's full mode ({@code 07777}: permissions, setuid, setgid and sticky), not following
   * links.
   *
   * @throws UncheckedIOException if the attribute cannot be read
   */
  public static int mode(Path path) {
    try {
      return (Integer) Files.getAttribute(Objects.requireNonNull(path, "path"), "unix:mode",
          LinkOption.NOFOLLOW_LINKS) & 07777;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Sets an entry's full mode (following links, as {@code chmod} does).
   *
   * @throws UncheckedIOException if the mode cannot be set
   */
  public static void chmod(Path path, int mode) {
    try {
      Files.setAttribute(Objects.requireNonNull(path, "path"), "unix:mode", mode);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The numeric owner of an entry, not following links: {@code uid:gid}.
   *
   * @throws UncheckedIOException if the attributes cannot be read
   */
  public static String owner(Path path) {
    try {
      return Files.getAttribute(Objects.requireNonNull(path, "path"), "unix:uid", LinkOption.NOFOLLOW_LINKS) + ":"
          + Files.getAttribute(path, "unix:gid", LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Sets an entry's numeric owner without following links ({@code lchown}; needs root for another
   * user's ids).
   *
   * @throws UncheckedIOException if the owner cannot be set
   */
  public static void chown(Path path, int uid, int gid) {
    try {
      Files.setAttribute(Objects.requireNonNull(path, "path"), "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
      Files.setAttribute(path, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Every entry under {@code dir} (not following links), keyed by its relative path's {@link
   * #text} (so equal keys are equal bytes): {@code d:<mode>} for a directory, {@code
   * f:<mode>:<sha256 hex>} for a file, with the full mode in octal (setuid, setgid and sticky
   * included), or {@code l:<target text>} for a symlink, each followed by {@link #OWNER} and the
   * entry's {@code uid:gid}. Empty if {@code dir} does not exist.
   *
   * @throws UncheckedIOException if the tree cannot be read
   */
  public static TreeMap<String, String> read(Path dir) {
    TreeMap<String, String> out = new TreeMap<>();
    if (!Files.exists(Objects.requireNonNull(dir, "dir"), LinkOption.NOFOLLOW_LINKS)) {
      return out;
    }
    byte[] base = raw(dir);
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        if (p.equals(dir)) {
          continue;
        }
        byte[] all = raw(p);
        String key = text(Arrays.copyOfRange(all, base.length + 1, all.length));
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        String body;
        if (a.isSymbolicLink()) {
          body = "l:" + text(raw(Files.readSymbolicLink(p)));
        } else if (a.isDirectory()) {
          body = "d:" + Integer.toOctalString(mode(p));
        } else {
          body = "f:" + Integer.toOctalString(mode(p)) + ":" + sha256(Files.readAllBytes(p));
        }
        out.put(key, body + OWNER + owner(p));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /**
   * A {@link #read} value without its owner.
   *
   * @throws NullPointerException if {@code value} is null
   */
  public static String body(String value) {
    return value.substring(0, value.lastIndexOf(OWNER));
  }

  /**
   * The owner part of a {@link #read} value, {@link #OWNER} separator included.
   *
   * @throws NullPointerException if {@code value} is null
   */
  public static String ownerPart(String value) {
    return value.substring(value.lastIndexOf(OWNER));
  }

  /**
   * A tree with printable keys and values (see {@link #escape}), so a failed comparison shows
   * stray bytes and control characters.
   *
   * @throws NullPointerException if {@code tree} is null
   */
  public static TreeMap<String, String> printable(Map<String, String> tree) {
    TreeMap<String, String> out = new TreeMap<>();
    tree.forEach((k, v) -> out.put(escape(k), escape(v)));
    return out;
  }

  /**
   * The text with every char outside printable ASCII written as a backslash, {@code u} and its
   * four hex digits.
   *
   * @throws NullPointerException if {@code text} is null
   */
  public static String escape(String text) {
    StringBuilder b = new StringBuilder();
    text.chars().forEach(c -> b.append(c < 0x20 || c > 0x7e ? String.format("\\u%04x", c) : String.valueOf((char) c)));
    return b.toString();
  }

  /** Hex SHA-256 of the bytes, as {@link #read} describes a file's content. */
  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /** The bytes as a URI path: unreserved bytes and '/' as they are, every other byte as %XX. */
  private static String percent(byte[] bytes) {
    StringBuilder b = new StringBuilder();
    for (byte x : bytes) {
      int c = x & 0xFF;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '-'
          || c == '_' || c == '.') {
        b.append((char) c);
      } else {
        b.append('%').append(HexFormat.of().withUpperCase().toHexDigits((byte) c));
      }
    }
    return b.toString();
  }
}
