package io.snapshotkit;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Gitignore-style exclude patterns for a workload's volumes: what a capture leaves out, and what a
 * replace restore leaves alone. Each pattern is one line of a {@code .gitignore} (see gitignore(5)),
 * matched against paths relative to each volume's root ({@code /}-separated):
 *
 * <ul>
 *   <li>{@code *} matches anything but {@code /}, {@code ?} one character but {@code /}, {@code [a-z]},
 *       {@code [!a-z]} (or {@code [^a-z]}) and {@code [[:digit:]]} one character of (or not of) a class;
 *   <li>{@code **} between slashes (or at either end) matches any number of directories:
 *       {@code **}{@code /cache}, {@code build/**}, {@code a/**}{@code /b};
 *   <li>a pattern with a {@code /} at its start or in its middle is anchored to the volume root;
 *       without one it matches a name at any depth;
 *   <li>a trailing {@code /} matches directories only;
 *   <li>a leading {@code !} re-includes what an earlier pattern excluded; the last matching pattern
 *       decides. As in git, nothing inside an excluded directory can be re-included: the directory
 *       is not descended into at all;
 *   <li>{@code \} escapes the next character ({@code \!}, {@code \#}, {@code \*}, a trailing
 *       {@code \ }); unescaped trailing spaces are dropped.
 * </ul>
 *
 * <p>Refused with {@link ErrorCode#INVALID_ARGUMENT}: an empty pattern, one with a NUL, CR or LF, a
 * malformed character class, a trailing lone backslash, an empty path segment ({@code a//b}), a
 * pattern that is only {@code /}, and a set that excludes everything in a volume (a pattern such as
 * {@code *}, {@code **} or {@code /*} that matches every name at the root, with no later
 * {@code !} pattern re-including anything).
 *
 * <p><b>Thread-safety:</b> immutable; matching allocates nothing per call beyond what the caller passes.
 */
public final class Excludes {
  /** The most patterns one set holds. */
  public static final int MAX_PATTERNS = 1_000;
  /** The longest pattern accepted, in characters. */
  public static final int MAX_PATTERN_LENGTH = 4_096;

  private static final Excludes NONE = new Excludes(List.of(), List.of());

  private final List<String> patterns;
  private final List<IgnoreRule> rules;

  private Excludes(List<String> patterns, List<IgnoreRule> rules) {
    this.patterns = patterns;
    this.rules = rules;
  }

  /** The empty set: nothing is excluded. */
  public static Excludes none() {
    return NONE;
  }

  /**
   * The set of {@code patterns}, in order (a later one wins). Each is one gitignore pattern; blank
   * lines and {@code #} comments are not patterns here (escape a leading {@code #} as {@code \#}).
   *
   * @throws SnapshotException INVALID_ARGUMENT naming every bad pattern and why
   */
  public static Excludes of(List<String> patterns) {
    Objects.requireNonNull(patterns, "patterns");
    List<String> problems = new ArrayList<>();
    List<IgnoreRule> rules = new ArrayList<>();
    List<String> kept = new ArrayList<>();
    if (patterns.size() > MAX_PATTERNS) {
      throw SnapshotException.invalid("at most " + MAX_PATTERNS + " exclude patterns are accepted, not "
          + patterns.size() + "; exclude whole directories instead of single files");
    }
    for (String p : patterns) {
      Objects.requireNonNull(p, "pattern");
      try {
        if (p.startsWith("#")) {
          throw new IllegalArgumentException("it starts with '#', which gitignore reads as a comment; "
              + "write \\# for a name starting with #");
        }
        rules.add(IgnoreRule.compile(p));
        kept.add(p);
      } catch (IllegalArgumentException e) {
        problems.add("exclude pattern '" + printable(p) + "': " + e.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      throw SnapshotException.invalid(String.join("; ", problems));
    }
    for (int i = 0; i < rules.size(); i++) {
      if (rules.get(i).matchesEveryRootName() && noLaterNegation(rules, i)) {
        throw SnapshotException.invalid("exclude pattern '" + printable(kept.get(i)) + "' excludes everything in "
            + "a volume, so a capture would hold nothing; exclude the directories you mean (e.g. node_modules/, "
            + "*.log), or re-include what to keep with a later !pattern");
      }
    }
    return rules.isEmpty() ? NONE : new Excludes(Collections.unmodifiableList(kept), List.copyOf(rules));
  }

  /**
   * The patterns of a {@code .gitignore}-style file's text: one per line, blank lines and lines
   * starting with {@code #} skipped.
   *
   * @throws SnapshotException INVALID_ARGUMENT as {@link #of(List)}, naming the line of each bad pattern
   */
  public static Excludes parse(String fileText) {
    Objects.requireNonNull(fileText, "fileText");
    List<String> lines = new ArrayList<>();
    for (String line : fileText.split("\r?\n", -1)) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      lines.add(line);
    }
    return of(lines);
  }

  /**
   * This set followed by {@code more} (whose patterns win where both match).
   *
   * @throws SnapshotException INVALID_ARGUMENT if together they exceed {@link #MAX_PATTERNS}
   */
  public Excludes and(Excludes more) {
    Objects.requireNonNull(more, "more");
    if (more.isEmpty()) {
      return this;
    }
    if (isEmpty()) {
      return more;
    }
    List<String> all = new ArrayList<>(patterns);
    all.addAll(more.patterns);
    return of(all);
  }

  /** The patterns, in order, as given. */
  public List<String> patterns() {
    return patterns;
  }

  /** Whether there are no patterns. */
  public boolean isEmpty() {
    return patterns.isEmpty();
  }

  /**
   * Whether the last pattern matching this one entry excludes it, ignoring its ancestors: what a
   * walk that does not descend into excluded directories asks of each entry it meets.
   *
   * @param path relative to the volume root, {@code /}-separated, without a leading or trailing slash
   * @param directory whether the entry is a directory
   */
  public boolean excludesEntry(String path, boolean directory) {
    int nameStart = path.lastIndexOf('/') + 1;
    for (int i = rules.size() - 1; i >= 0; i--) {
      IgnoreRule r = rules.get(i);
      if (r.matches(path, nameStart, directory)) {
        return !r.negated();
      }
    }
    return false;
  }

  /**
   * Whether {@code path} is excluded, by a pattern matching it or any directory above it (nothing
   * inside an excluded directory is captured, whatever a later {@code !} pattern says).
   *
   * @param path relative to the volume root, {@code /}-separated, without a leading or trailing slash
   * @param directory whether the entry is a directory
   */
  public boolean excludes(String path, boolean directory) {
    Objects.requireNonNull(path, "path");
    if (rules.isEmpty()) {
      return false;
    }
    for (int slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
      if (excludesEntry(path.substring(0, slash), true)) {
        return true;
      }
    }
    return excludesEntry(path, directory);
  }

  private static boolean noLaterNegation(List<IgnoreRule> rules, int from) {
    for (int j = from + 1; j < rules.size(); j++) {
      if (rules.get(j).negated()) {
        return false;
      }
    }
    return true;
  }

  private static String printable(String p) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < p.length() && i < 200; i++) {
      char c = p.charAt(i);
      b.append(Character.isISOControl(c) ? String.format("\\u%04x", (int) c) : String.valueOf(c));
    }
    return p.length() > 200 ? b + "…" : b.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Excludes e && e.patterns.equals(patterns);
  }

  @Override
  public int hashCode() {
    return patterns.hashCode();
  }

  @Override
  public String toString() {
    return "Excludes" + patterns;
  }
}
