package io.snapshotkit.fs.internal.files;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * Lossless text for file names and symlink targets, which on Linux are any bytes but NUL (and,
 * for names, {@code /}), whether or not they are valid UTF-8.
 *
 * <p><b>Stability:</b> internal (see the package); used by the restore, capture, repository and
 * archive parts.
 *
 * <p><b>The text.</b> Raw bytes are decoded as UTF-8; each byte that is not part of a valid UTF-8
 * sequence becomes the lone surrogate {@code U+DC00 + byte} (Python's "surrogateescape"; such
 * bytes are always 0x80 or more). So a valid UTF-8 name reads as itself, and every byte string
 * has exactly one text ({@link #text(byte[])}) from which {@link #bytes} gives back the same
 * bytes. A text is <i>canonical</i> when it is the text of its bytes; a text that is not (a lone
 * surrogate outside U+DC80..U+DCFF, or escapes that spell valid UTF-8) is refused wherever a
 * text comes from outside ({@link #problem}).
 *
 * <p><b>Paths.</b> The JDK keeps a path's raw bytes, but {@link Path#toString()} decodes them
 * with {@code sun.jnu.encoding}, replacing what does not decode, and {@link Path#of(String,
 * String...)} encodes with it. Both are exact for valid UTF-8 when that encoding is UTF-8, which
 * this class checks once and then uses as the fast path; every other case goes through {@code
 * file:} URIs, whose percent-escapes carry the raw bytes both ways ({@link Path#toUri()} and
 * {@link Path#of(URI)}), whatever the platform encoding. So no JVM option is needed.
 *
 * <p><b>Limitation.</b> The JDK normalizes a path as it makes one: a symlink target's repeated
 * or trailing slashes ({@code a//b}, {@code dir/}) are read and written as {@code a/b} and
 * {@code dir}, which resolve to the same place.
 *
 * <p><b>Thread-safety:</b> stateless; thread-safe.
 */
public final class RawNames {
  private static final boolean JNU_UTF8 = jnuIsUtf8();
  private static final Path SLASH = Path.of("/");

  private RawNames() {}

  private static boolean jnuIsUtf8() {
    try {
      return Charset.forName(System.getProperty("sun.jnu.encoding", "")).equals(StandardCharsets.UTF_8);
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** The text of raw bytes (see the class description). */
  public static String text(byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes");
    CharsetDecoder d = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length);
    while (true) {
      CoderResult r = d.decode(in, out, true);
      if (r.isUnderflow()) {
        break;
      }
      for (int i = 0; i < r.length(); i++) {
        out.put((char) (0xDC00 | (in.get() & 0xFF)));
      }
    }
    d.flush(out);
    out.flip();
    return out.toString();
  }

  /**
   * The bytes a text stands for.
   *
   * @throws IllegalArgumentException if the text holds a surrogate that is neither half of a pair
   *     nor an escaped byte (U+DC80..U+DCFF)
   */
  public static byte[] bytes(String text) {
    Objects.requireNonNull(text, "text");
    ByteArrayOutputStream out = new ByteArrayOutputStream(text.length() + 8);
    int n = text.length();
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        out.write(c);
      } else if (c < 0x800) {
        out.write(0xC0 | (c >> 6));
        out.write(0x80 | (c & 0x3F));
      } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
        int cp = Character.toCodePoint(c, text.charAt(++i));
        out.write(0xF0 | (cp >> 18));
        out.write(0x80 | ((cp >> 12) & 0x3F));
        out.write(0x80 | ((cp >> 6) & 0x3F));
        out.write(0x80 | (cp & 0x3F));
      } else if (c >= 0xDC80 && c <= 0xDCFF) {
        out.write(c & 0xFF);
      } else if (Character.isSurrogate(c)) {
        throw new IllegalArgumentException("a lone surrogate U+" + Integer.toHexString(c).toUpperCase(java.util.Locale.ROOT)
            + " stands for no byte");
      } else {
        out.write(0xE0 | (c >> 12));
        out.write(0x80 | ((c >> 6) & 0x3F));
        out.write(0x80 | (c & 0x3F));
      }
    }
    return out.toByteArray();
  }

  /** The number of bytes a text stands for, or -1 if it stands for none (see {@link #bytes}). */
  public static int length(String text) {
    try {
      return simple(text) && text.chars().allMatch(c -> c < 0x80) ? text.length() : bytes(text).length;
    } catch (IllegalArgumentException e) {
      return -1;
    }
  }

  /**
   * Why a text from outside (an archive, a manifest, a caller) is not the canonical text of a
   * byte string, or empty if it is.
   */
  public static Optional<String> problem(String text) {
    Objects.requireNonNull(text, "text");
    if (!hasSurrogate(text)) {
      return Optional.empty();
    }
    try {
      if (!text(bytes(text)).equals(text)) {
        return Optional.of("escaped bytes that spell valid UTF-8");
      }
      return Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.of(e.getMessage());
    }
  }

  /** The text of a path, relative or absolute, with every byte of it kept. */
  public static String text(Path path) {
    Objects.requireNonNull(path, "path");
    String s = path.toString();
    if (JNU_UTF8 ? s.indexOf('\uFFFD') < 0 : s.chars().allMatch(c -> c < 0x80)) {
      return s;
    }
    return text(raw(path));
  }

  /** The text of a path's last name (its file name), with every byte kept. */
  public static String name(Path path) {
    Path name = Objects.requireNonNull(path.getFileName(), "a path with a file name");
    String s = name.toString();
    if (JNU_UTF8 ? s.indexOf('\uFFFD') < 0 : s.chars().allMatch(c -> c < 0x80)) {
      return s;
    }
    byte[] all = raw(path.toAbsolutePath());
    int slash = all.length - 1;
    while (slash >= 0 && all[slash] != '/') {
      slash--;
    }
    return text(Arrays.copyOfRange(all, slash + 1, all.length));
  }

  /**
   * {@code dir} resolved against a relative text, byte for byte.
   *
   * @throws IllegalArgumentException if the text stands for no bytes or holds NUL
   */
  public static Path resolve(Path dir, String relative) {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(relative, "relative");
    if (simple(relative)) {
      return dir.resolve(relative);
    }
    byte[] base = raw(dir.toAbsolutePath());
    byte[] rel = bytes(relative);
    byte[] all = Arrays.copyOf(base, base.length + 1 + rel.length);
    all[base.length] = '/';
    System.arraycopy(rel, 0, all, base.length + 1, rel.length);
    return fromUri(all);
  }

  /**
   * The path a text stands for, relative or absolute (a symlink target), byte for byte.
   *
   * @throws IllegalArgumentException if the text is empty, stands for no bytes or holds NUL
   */
  public static Path path(String text) {
    Objects.requireNonNull(text, "text");
    if (text.isEmpty()) {
      throw new IllegalArgumentException("an empty path");
    }
    if (simple(text)) {
      return Path.of(text);
    }
    byte[] b = bytes(text);
    if (b[0] == '/') {
      return fromUri(b);
    }
    // Path.relativize would normalize '.' and '..' away, so the relative path is built from its
    // names, each taken raw from an absolute path of one name; resolve() keeps them as they are
    Path relative = null;
    int start = 0;
    for (int i = 0; i <= b.length; i++) {
      if (i == b.length || b[i] == '/') {
        if (i > start) {
          byte[] one = new byte[i - start + 1];
          one[0] = '/';
          System.arraycopy(b, start, one, 1, i - start);
          Path name = fromUri(one).getFileName();
          relative = relative == null ? name : relative.resolve(name);
        }
        start = i + 1;
      }
    }
    return relative;
  }

  /**
   * A text as a tar header carries it: one char (0..255) per byte, for an archive written and
   * read with the ISO-8859-1 encoding, so that the header holds the name's raw bytes.
   */
  public static String latin1(String text) {
    return new String(bytes(text), StandardCharsets.ISO_8859_1);
  }

  /**
   * The text of a tar header's name read with the ISO-8859-1 encoding; empty if the name holds a
   * char above 255 (a pax header's UTF-8 name, which no SnapshotKit export writes).
   */
  public static Optional<String> fromLatin1(String latin1) {
    Objects.requireNonNull(latin1, "latin1");
    for (int i = 0; i < latin1.length(); i++) {
      if (latin1.charAt(i) > 0xFF) {
        return Optional.empty();
      }
    }
    return Optional.of(text(latin1.getBytes(StandardCharsets.ISO_8859_1)));
  }

  /** Whether the JDK's own string conversion is exact for this text. */
  private static boolean simple(String text) {
    if (JNU_UTF8) {
      return !hasSurrogate(text);
    }
    return text.chars().allMatch(c -> c < 0x80);
  }

  private static boolean hasSurrogate(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (Character.isSurrogate(text.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  /** The raw bytes of a path, read through its {@code file:} URI. */
  private static byte[] raw(Path path) {
    boolean relative = !path.isAbsolute();
    String uri = (relative ? SLASH.resolve(path) : path).toUri().getRawPath();
    ByteArrayOutputStream out = new ByteArrayOutputStream(uri.length());
    for (int i = 0; i < uri.length(); i++) {
      char c = uri.charAt(i);
      if (c == '%' && i + 2 < uri.length()) {
        out.write(Character.digit(uri.charAt(i + 1), 16) << 4 | Character.digit(uri.charAt(i + 2), 16));
        i += 2;
      } else {
        out.write(c);
      }
    }
    byte[] b = out.toByteArray();
    // toUri() adds a slash after an existing directory; a Path never ends with one (but "/")
    int end = b.length > 1 && b[b.length - 1] == '/' ? b.length - 1 : b.length;
    return Arrays.copyOfRange(b, relative ? 1 : 0, end);
  }

  /** The absolute path with exactly these bytes (which start with '/'). */
  private static Path fromUri(byte[] absolute) {
    StringBuilder b = new StringBuilder("file://");
    for (byte x : absolute) {
      int c = x & 0xFF;
      if (c == 0) {
        throw new IllegalArgumentException("a path holds a NUL byte");
      }
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '-'
          || c == '_' || c == '.' || c == '~') {
        b.append((char) c);
      } else {
        b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
      }
    }
    return Path.of(URI.create(b.toString()));
  }
}
