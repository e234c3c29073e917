package io.snapshotkit.reliability;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Test-side raw file names, independent of the code under test: paths are made and read through
 * {@code file:} URIs, which carry a name's bytes exactly whatever the platform encoding, and a
 * name's text is the one the snapshot API promises (UTF-8, each stray byte as the lone surrogate
 * U+DC00 + byte).
 */
final class RawPaths {
  private RawPaths() {}

  /** {@code dir} joined with a relative path given as raw bytes ('/'-separated, no NUL). */
  static Path resolve(Path dir, byte[] relative) {
    String base = dir.toAbsolutePath().toUri().getRawPath();
    return Path.of(URI.create("file://" + (base.endsWith("/") ? base : base + "/") + pct(relative)));
  }

  /** A path (a symlink target) with exactly these bytes, absolute if they start with '/'. */
  static Path path(byte[] bytes) {
    if (bytes.length > 0 && bytes[0] == '/') {
      return Path.of(URI.create("file://" + pct(bytes)));
    }
    // not Path.relativize, which drops '.' and '..': join the names, each read raw from "/name"
    Path out = null;
    for (String name : pct(bytes).split("/")) {
      if (!name.isEmpty()) {
        Path one = Path.of(URI.create("file:///" + name)).getFileName();
        out = out == null ? one : out.resolve(one);
      }
    }
    return out;
  }

  /** The raw bytes of a path (relative or absolute). */
  static byte[] raw(Path p) {
    boolean relative = !p.isAbsolute();
    String uri = (relative ? Path.of("/").resolve(p) : p).toUri().getRawPath();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < uri.length(); i++) {
      char c = uri.charAt(i);
      if (c == '%') {
        out.write(Integer.parseInt(uri.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        out.write(c);
      }
    }
    byte[] b = out.toByteArray();
    int end = b.length > 1 && b[b.length - 1] == '/' ? b.length - 1 : b.length;
    return Arrays.copyOfRange(b, relative ? 1 : 0, end);
  }

  /** The promised text of raw bytes: UTF-8, each byte outside valid UTF-8 as U+DC00 + byte. */
  static String text(byte[] bytes) {
    CharsetDecoder d = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length * 2 + 1);
    while (true) {
      CoderResult r = d.decode(in, out, true);
      if (r.isUnderflow()) {
        break;
      }
      for (int i = 0; i < r.length(); i++) {
        out.put((char) (0xDC00 | (in.get() & 0xFF)));
      }
    }
    out.flip();
    return out.toString();
  }

  /** The bytes a text stands for: the inverse of {@link #text}. */
  static byte[] bytes(String text) {
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

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  static int mode(Path p) {
    try {
      return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void chmod(Path p, int mode) {
    try {
      Files.setAttribute(p, "unix:mode", mode);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The numeric owner of an entry, not following links: {@code uid:gid}. */
  static String owner(Path p) {
    try {
      return Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS) + ":"
          + Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Sets an entry's numeric owner without following links (lchown). */
  static void chown(Path p, int uid, int gid) {
    try {
      Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
      Files.setAttribute(p, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Separates an entry's description from its owner in {@link #read}'s values (no target holds NUL). */
  static final char OWNER = '\0';

  /** A {@link #read} value without its owner. */
  static String body(String value) {
    return value.substring(0, value.lastIndexOf(OWNER));
  }

  /** The owner part of a {@link #read} value, separator included. */
  static String ownerPart(String value) {
    return value.substring(value.lastIndexOf(OWNER));
  }

  /**
   * A tree keyed by each path's text (so equal keys are equal bytes): {@code d:<mode>}, {@code
   * f:<mode>:<sha256>} with the full mode (setuid, setgid, sticky included), or {@code l:<target
   * text>}, each followed by {@link #OWNER} and the entry's {@code uid:gid}.
   */
  static TreeMap<String, String> read(Path dir) {
    TreeMap<String, String> out = new TreeMap<>();
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
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
        if (a.isSymbolicLink()) {
          out.put(key, "l:" + text(raw(Files.readSymbolicLink(p))) + OWNER + owner(p));
        } else if (a.isDirectory()) {
          out.put(key, "d:" + Integer.toOctalString(mode(p)) + OWNER + owner(p));
        } else {
          out.put(key, "f:" + Integer.toOctalString(mode(p)) + ":" + Sentinel.sha256(Files.readAllBytes(p)) + OWNER
              + owner(p));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** Printable keys and values, so a failed comparison shows stray bytes and control chars. */
  static TreeMap<String, String> printable(TreeMap<String, String> tree) {
    TreeMap<String, String> out = new TreeMap<>();
    tree.forEach((k, v) -> out.put(escape(k), escape(v)));
    return out;
  }

  static String escape(String s) {
    StringBuilder b = new StringBuilder();
    s.chars().forEach(c -> b.append(c < 0x20 || c > 0x7e ? String.format("\\u%04x", c) : String.valueOf((char) c)));
    return b.toString();
  }

  private static String pct(byte[] bytes) {
    StringBuilder b = new StringBuilder();
    for (byte x : bytes) {
      int c = x & 0xFF;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '-'
          || c == '_' || c == '.') {
        b.append((char) c);
      } else {
        b.append('%').append(String.format("%02X", c));
      }
    }
    return b.toString();
  }
}
