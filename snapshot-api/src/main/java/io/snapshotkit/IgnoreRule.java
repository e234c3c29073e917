package io.snapshotkit;

import java.util.ArrayList;
import java.util.List;

/**
 * One compiled gitignore pattern (see {@link Excludes}): its flags and its glob as tokens, matched
 * with git's wildmatch algorithm (pathname mode), whose abort codes keep a pattern with several
 * stars from backtracking over the whole text again for each star.
 *
 * <p>Immutable; matching allocates nothing.
 */
final class IgnoreRule {
  private static final int MATCH = 0;
  private static final int NO_MATCH = 1;
  private static final int ABORT_ALL = 2;
  private static final int ABORT_TO_STARSTAR = 3;

  private static final int LITERAL = 0;
  private static final int ANY = 1;
  private static final int STAR = 2;
  private static final int STARSTAR = 3;
  private static final int CLASS = 4;

  private final boolean negated;
  private final boolean directoryOnly;
  /** Matched against the whole path (a slash at the start or in the middle), else against the name. */
  private final boolean anchored;
  private final int[] kinds;
  private final char[] chars;
  private final CharClass[] classes;
  /** The glob when it has no wildcard at all (a name compared as text), else null. */
  private final String literal;

  private IgnoreRule(boolean negated, boolean directoryOnly, boolean anchored, List<Integer> kinds,
      StringBuilder chars, List<CharClass> classes) {
    this.negated = negated;
    this.directoryOnly = directoryOnly;
    this.anchored = anchored;
    this.kinds = kinds.stream().mapToInt(Integer::intValue).toArray();
    this.chars = chars.toString().toCharArray();
    this.classes = classes.toArray(new CharClass[0]);
    boolean plain = true;
    for (int k : this.kinds) {
      plain &= k == LITERAL;
    }
    this.literal = plain ? chars.toString() : null;
  }

  boolean negated() {
    return negated;
  }

  /**
   * Compiles one pattern line.
   *
   * @throws IllegalArgumentException saying what is wrong with it
   */
  static IgnoreRule compile(String line) {
    if (line.length() > Excludes.MAX_PATTERN_LENGTH) {
      throw new IllegalArgumentException("it is longer than " + Excludes.MAX_PATTERN_LENGTH + " characters");
    }
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '\0' || c == '\n' || c == '\r') {
        throw new IllegalArgumentException("it contains a " + (c == '\0' ? "NUL" : "line break")
            + " character, which no path holds");
      }
    }
    String p = stripTrailingSpaces(line);
    boolean negated = p.startsWith("!");
    if (negated) {
      p = p.substring(1);
    }
    if (p.isEmpty()) {
      throw new IllegalArgumentException("it is empty; give a name or a glob such as node_modules/ or *.log");
    }
    boolean directoryOnly = p.endsWith("/") && !escapedAt(p, p.length() - 1);
    if (directoryOnly) {
      p = p.substring(0, p.length() - 1);
    }
    boolean leadingSlash = p.startsWith("/");
    if (leadingSlash) {
      p = p.substring(1);
    }
    if (p.isEmpty()) {
      throw new IllegalArgumentException("it names the volume root itself, which would exclude everything");
    }
    if (p.contains("//") || p.startsWith("/") || p.endsWith("/")) {
      throw new IllegalArgumentException("it has an empty path segment (//); write one slash between names");
    }
    List<Integer> kinds = new ArrayList<>();
    StringBuilder chars = new StringBuilder();
    List<CharClass> classes = new ArrayList<>();
    boolean slashInside = false;
    for (int i = 0; i < p.length(); ) {
      char c = p.charAt(i);
      if (c == '\\') {
        if (i + 1 >= p.length()) {
          throw new IllegalArgumentException("it ends with a lone backslash; write \\\\ for a backslash");
        }
        add(kinds, chars, classes, LITERAL, p.charAt(i + 1), null);
        i += 2;
      } else if (c == '?') {
        add(kinds, chars, classes, ANY, c, null);
        i++;
      } else if (c == '[') {
        int[] end = new int[1];
        CharClass cc = CharClass.parse(p, i, end);
        add(kinds, chars, classes, CLASS, c, cc);
        i = end[0];
      } else if (c == '*') {
        int j = i;
        while (j < p.length() && p.charAt(j) == '*') {
          j++;
        }
        boolean bounded = (i == 0 || p.charAt(i - 1) == '/') && (j == p.length() || p.charAt(j) == '/');
        add(kinds, chars, classes, j - i >= 2 && bounded ? STARSTAR : STAR, c, null);
        i = j;
      } else {
        slashInside |= c == '/';
        add(kinds, chars, classes, LITERAL, c, null);
        i++;
      }
    }
    return new IgnoreRule(negated, directoryOnly, leadingSlash || slashInside, kinds, chars, classes);
  }

  private static void add(List<Integer> kinds, StringBuilder chars, List<CharClass> classes, int kind, char c,
      CharClass cc) {
    kinds.add(kind);
    chars.append(c);
    classes.add(cc);
  }

  /** Drops trailing spaces that no backslash escapes, as git does. */
  private static String stripTrailingSpaces(String p) {
    int end = p.length();
    while (end > 0 && p.charAt(end - 1) == ' ' && !escapedAt(p, end - 1)) {
      end--;
    }
    return p.substring(0, end);
  }

  /** Whether the character at {@code i} follows an odd number of backslashes. */
  private static boolean escapedAt(String p, int i) {
    int n = 0;
    for (int j = i - 1; j >= 0 && p.charAt(j) == '\\'; j--) {
      n++;
    }
    return n % 2 == 1;
  }

  /**
   * Whether this pattern matches the entry at {@code path} (its name starting at {@code nameStart}).
   */
  boolean matches(String path, int nameStart, boolean directory) {
    if (directoryOnly && !directory) {
      return false;
    }
    if (anchored) {
      return literal != null ? literal.equals(path) : match(path, 0, 0) == MATCH;
    }
    if (literal != null) {
      return path.length() - nameStart == literal.length() && path.startsWith(literal, nameStart);
    }
    return match(path, nameStart, 0) == MATCH;
  }

  /**
   * Whether this pattern, not negated and not for directories only, matches every name an entry at
   * a volume's root can have: probed with names of every shape, since a glob that matches all of
   * them (a star, two stars, a question mark and stars) matches any name.
   */
  boolean matchesEveryRootName() {
    if (negated || directoryOnly) {
      return false;
    }
    for (String probe : new String[] {"a", "Z", "0", ".x", "-", "_", " ", "é", "[", "\\", "*", "a.b-c_d e",
        "x".repeat(255)}) {
      if (!matches(probe, 0, false) || !matches(probe, 0, true)) {
        return false;
      }
    }
    return true;
  }

  /** git's dowild over the tokens from {@code k} and the text from {@code t}. */
  private int match(String text, int t, int k) {
    int n = kinds.length;
    for (; k < n; k++, t++) {
      int kind = kinds[k];
      if (t >= text.length() && kind != STAR && kind != STARSTAR) {
        return ABORT_ALL;
      }
      switch (kind) {
        case LITERAL -> {
          if (text.charAt(t) != chars[k]) {
            return NO_MATCH;
          }
        }
        case ANY -> {
          if (text.charAt(t) == '/') {
            return NO_MATCH;
          }
        }
        case CLASS -> {
          char c = text.charAt(t);
          if (c == '/' || !classes[k].matches(c)) {
            return NO_MATCH;
          }
        }
        default -> {
          boolean matchSlash = kind == STARSTAR;
          if (matchSlash && k + 1 < n && kinds[k + 1] == LITERAL && chars[k + 1] == '/') {
            // "**/" also matches no directory at all
            if (match(text, t, k + 2) == MATCH) {
              return MATCH;
            }
          }
          if (k + 1 == n) {
            // a trailing star matches the rest of the name; a trailing "**" everything left
            return !matchSlash && text.indexOf('/', t) >= 0 ? NO_MATCH : MATCH;
          }
          if (!matchSlash && kinds[k + 1] == LITERAL && chars[k + 1] == '/') {
            int slash = text.indexOf('/', t);
            if (slash < 0) {
              return ABORT_ALL;
            }
            t = slash - 1; // the loop steps onto the slash, which the next token matches
            continue;
          }
          for (; t <= text.length(); t++) {
            if (t == text.length()) {
              break;
            }
            int r = match(text, t, k + 1);
            if (r != NO_MATCH) {
              if (!matchSlash || r != ABORT_TO_STARSTAR) {
                return r;
              }
            } else if (!matchSlash && text.charAt(t) == '/') {
              return ABORT_TO_STARSTAR;
            }
          }
          return ABORT_ALL;
        }
      }
    }
    return t == text.length() ? MATCH : NO_MATCH;
  }

  /** A bracket expression: ranges, single characters and POSIX classes, possibly negated. */
  private static final class CharClass {
    private final boolean negated;
    private final char[] lows;
    private final char[] highs;
    private final String[] posix;

    private CharClass(boolean negated, List<Character> lows, List<Character> highs, List<String> posix) {
      this.negated = negated;
      this.lows = new char[lows.size()];
      this.highs = new char[highs.size()];
      for (int i = 0; i < lows.size(); i++) {
        this.lows[i] = lows.get(i);
        this.highs[i] = highs.get(i);
      }
      this.posix = posix.toArray(new String[0]);
    }

    /** Parses the class starting at {@code p[start] == '['}; {@code end[0]} is set past its {@code ]}. */
    static CharClass parse(String p, int start, int[] end) {
      int i = start + 1;
      boolean negated = i < p.length() && (p.charAt(i) == '!' || p.charAt(i) == '^');
      if (negated) {
        i++;
      }
      List<Character> lows = new ArrayList<>();
      List<Character> highs = new ArrayList<>();
      List<String> posix = new ArrayList<>();
      boolean first = true;
      while (true) {
        if (i >= p.length()) {
          throw new IllegalArgumentException("the character class at position " + (start + 1)
              + " has no closing ]; write \\[ for a literal bracket");
        }
        char c = p.charAt(i);
        if (c == ']' && !first) {
          i++;
          break;
        }
        first = false;
        if (c == '[' && i + 1 < p.length() && p.charAt(i + 1) == ':') {
          int close = p.indexOf(":]", i + 2);
          if (close < 0) {
            throw new IllegalArgumentException("the class [: at position " + (i + 1) + " has no closing :]");
          }
          String name = p.substring(i + 2, close);
          if (!posixNames().contains(name)) {
            throw new IllegalArgumentException("[:" + name + ":] is not a character class; use one of "
                + posixNames());
          }
          posix.add(name);
          i = close + 2;
          continue;
        }
        if (c == '\\') {
          if (i + 1 >= p.length()) {
            throw new IllegalArgumentException("the character class at position " + (start + 1)
                + " has no closing ]");
          }
          c = p.charAt(++i);
        }
        if (c == '/') {
          throw new IllegalArgumentException("the character class at position " + (start + 1)
              + " holds '/', which never matches inside a name");
        }
        char hi = c;
        if (i + 2 < p.length() && p.charAt(i + 1) == '-' && p.charAt(i + 2) != ']') {
          i += 2;
          hi = p.charAt(i);
          if (hi == '\\') {
            if (i + 1 >= p.length()) {
              throw new IllegalArgumentException("the character class at position " + (start + 1)
                  + " has no closing ]");
            }
            hi = p.charAt(++i);
          }
          if (hi < c) {
            throw new IllegalArgumentException("the range " + c + "-" + hi + " in the character class at position "
                + (start + 1) + " runs backwards; write " + hi + "-" + c);
          }
        }
        lows.add(c);
        highs.add(hi);
        i++;
      }
      end[0] = i;
      return new CharClass(negated, lows, highs, posix);
    }

    private static List<String> posixNames() {
      return List.of("alnum", "alpha", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space",
          "upper", "xdigit");
    }

    boolean matches(char c) {
      boolean in = false;
      for (int i = 0; i < lows.length && !in; i++) {
        in = c >= lows[i] && c <= highs[i];
      }
      for (int i = 0; i < posix.length && !in; i++) {
        in = posix(posix[i], c);
      }
      return in != negated;
    }

    private static boolean posix(String name, char c) {
      return switch (name) {
        case "alnum" -> c < 128 && Character.isLetterOrDigit(c);
        case "alpha" -> c < 128 && Character.isLetter(c);
        case "blank" -> c == ' ' || c == '\t';
        case "cntrl" -> c < 32 || c == 127;
        case "digit" -> c >= '0' && c <= '9';
        case "graph" -> c > 32 && c < 127;
        case "lower" -> c >= 'a' && c <= 'z';
        case "print" -> c >= 32 && c < 127;
        case "punct" -> c > 32 && c < 127 && !Character.isLetterOrDigit(c);
        case "space" -> c == ' ' || (c >= 9 && c <= 13);
        case "upper" -> c >= 'A' && c <= 'Z';
        default -> c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
      };
    }
  }
}
