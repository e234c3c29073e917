package io.snapshotkit.fs;

import io.snapshotkit.fs.internal.repo.Digest;
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
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Test-side view of a tree by the raw bytes of its names, independent of the code under test:
 * paths are made and read through {@code file:} URIs, which carry a name's bytes exactly
 * whatever {@code sun.jnu.encoding} is.
 */
final class RawTree {
  private RawTree() {}

  /** {@code dir}/{@code name}, where {@code name} is raw bytes (no {@code /}, no NUL). */
  static Path child(Path dir, byte[] name) {
    String base = dir.toAbsolutePath().toUri().getRawPath();
    return Path.of(URI.create("file://" + (base.endsWith("/") ? base : base + "/") + pct(name)));
  }

  /** A relative path (a symlink target) with exactly these bytes. */
  static Path relative(byte[] bytes) {
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

  /** An absolute path with exactly these bytes (which start with '/'). */
  static Path absolute(byte[] bytes) {
    return Path.of(URI.create("file://" + pct(bytes)));
  }

  static byte[] bytes(String latin1) {
    return latin1.getBytes(StandardCharsets.ISO_8859_1);
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
    int start = relative ? 1 : 0;
    return java.util.Arrays.copyOfRange(b, start, end);
  }

  /**
   * The public text of raw name bytes, as the snapshot API promises it: UTF-8, with each byte that
   * is not part of valid UTF-8 as the lone surrogate U+DC00 + byte (Python's "surrogateescape").
   */
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

  /**
   * Every path under {@code root} keyed by the hex of its raw bytes: type, full mode (special bits
   * included) and content digest, or the link target's raw bytes.
   */
  static Map<String, String> state(Path root) {
    Map<String, String> out = new TreeMap<>();
    byte[] rootBytes = raw(root);
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        if (p.equals(root)) {
          continue;
        }
        byte[] all = raw(p);
        String key = HexFormat.of().formatHex(java.util.Arrays.copyOfRange(all, rootBytes.length + 1, all.length));
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        String value;
        if (a.isSymbolicLink()) {
          value = "link -> " + HexFormat.of().formatHex(raw(Files.readSymbolicLink(p)));
        } else {
          String mode = Integer.toOctalString((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777);
          value = a.isDirectory() ? "dir " + mode
              : "file " + mode + " " + HexFormat.of().formatHex(Digest.sha256().digest(Files.readAllBytes(p)));
        }
        out.put(key, value);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
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
