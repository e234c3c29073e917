package io.snapshotkit.fs.internal.files;

import java.util.Objects;
import java.util.Optional;

/**
 * The rules an untrusted relative path and symlink target must pass before anything is written:
 * the check {@link SafeTree} applies to every entry, and that the archive import, the restore
 * selection and the manifest reader apply before they hand a path on.
 */
public final class PathRules {
  /** The longest file or directory name most filesystems accept, in bytes. */
  public static final int MAX_NAME_BYTES = 255;

  private PathRules() {}

  /**
   * Checks an untrusted relative path, touching nothing.
   *
   * @param path the path as the archive or manifest spells it; one trailing {@code /} is allowed
   * @param maxPathLength the longest accepted path, in UTF-8 bytes
   * @return why the path is unsafe, or empty if it is safe
   */
  public static Optional<String> pathProblem(String path, int maxPathLength) {
    Objects.requireNonNull(path, "path");
    String p = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    if (p.isEmpty()) {
      return Optional.of("an entry has an empty path");
    }
    if (path.indexOf('\0') >= 0) {
      return Optional.of("entry '" + printable(path) + "' has a NUL byte in its path");
    }
    Optional<String> raw = RawNames.problem(path);
    if (raw.isPresent()) {
      return Optional.of("entry '" + printable(path) + "' is not the text of a file name (" + raw.get() + ")");
    }
    if (p.startsWith("/")) {
      return Optional.of("entry '" + printable(path) + "' has an absolute path");
    }
    if (RawNames.length(p) > maxPathLength) {
      return Optional.of("an entry's path is longer than " + maxPathLength + " bytes");
    }
    for (String segment : p.split("/", -1)) {
      if (segment.isEmpty()) {
        return Optional.of("entry '" + printable(path) + "' has an empty path segment");
      }
      if (segment.equals("..")) {
        return Optional.of("entry '" + printable(path) + "' climbs out with '..'");
      }
      if (segment.equals(".")) {
        return Optional.of("entry '" + printable(path) + "' has a '.' segment");
      }
      if (RawNames.length(segment) > MAX_NAME_BYTES) {
        return Optional.of("an entry has a name longer than " + MAX_NAME_BYTES + " bytes");
      }
    }
    return Optional.empty();
  }

  /**
   * Checks a symlink target for a link at {@code linkPath}, touching nothing. The target is data,
   * kept verbatim: it may be absolute or lead outside the tree (nothing is ever written or read
   * through a link), but it must be a non-empty byte string without NUL, at most {@code
   * maxPathLength} bytes long.
   *
   * @param linkPath the link's own (already safe) relative path
   * @param target the link's target text (see {@link RawNames})
   * @param maxPathLength the longest accepted target, in bytes
   * @return why the target cannot be stored, or empty if it can
   */
  public static Optional<String> symlinkTargetProblem(String linkPath, String target, int maxPathLength) {
    Objects.requireNonNull(linkPath, "linkPath");
    Objects.requireNonNull(target, "target");
    String where = "symlink '" + printable(linkPath) + "'";
    if (target.isEmpty()) {
      return Optional.of(where + " has an empty target");
    }
    if (target.indexOf('\0') >= 0) {
      return Optional.of(where + " has a NUL byte in its target");
    }
    Optional<String> raw = RawNames.problem(target);
    if (raw.isPresent()) {
      return Optional.of(where + " has a target that is not the text of a path (" + raw.get() + ")");
    }
    if (RawNames.length(target) > maxPathLength) {
      return Optional.of(where + " has a target longer than " + maxPathLength + " bytes");
    }
    return Optional.empty();
  }

  /** The text with control characters replaced and cut at 200 characters, for messages. */
  static String printable(String s) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), 200));
    for (int i = 0; i < s.length() && i < 200; i++) {
      char c = s.charAt(i);
      b.append(c < 0x20 || c == 0x7f ? '?' : c);
    }
    if (s.length() > 200) {
      b.append("...");
    }
    return b.toString();
  }
}
