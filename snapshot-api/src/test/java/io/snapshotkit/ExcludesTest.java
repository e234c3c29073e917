package io.snapshotkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ExcludesTest {

  /** Cases checked against {@code git check-ignore} 2.x by hand; | separates patterns. */
  @ParameterizedTest(name = "{0} on {1} (dir={2}) -> {3}")
  @CsvSource(delimiter = ';', value = {
      "*.log; a.log; false; true",
      "*.log; src/deep/a.log; false; true",
      "*.log; a.logx; false; false",
      "node_modules/; node_modules; true; true",
      "node_modules/; node_modules; false; false",
      "node_modules/; web/node_modules; true; true",
      "node_modules/; web/node_modules/x/y.js; false; true",
      "/build; build; true; true",
      "/build; src/build; true; false",
      "doc/frotz; doc/frotz; false; true",
      "doc/frotz; a/doc/frotz; false; false",
      "**/cache; cache; true; true",
      "**/cache; a/b/cache; true; true",
      "**/cache/x; a/cache/x; false; true",
      "out/**; out; true; false",
      "out/**; out/a/b; false; true",
      "a/**/b; a/b; false; true",
      "a/**/b; a/x/y/b; false; true",
      "a/**/b; a/xb; false; false",
      "?.txt; a.txt; false; true",
      "?.txt; ab.txt; false; false",
      "[a-c]x; bx; false; true",
      "[a-c]x; dx; false; false",
      "[!a-c]x; dx; false; true",
      "[^a-c]x; ax; false; false",
      "[[:digit:]]*; 9lives; false; true",
      "[]]x; ]x; false; true",
      "\\!important; !important; false; true",
      "\\#tag; #tag; false; true",
      "\\*; *; false; true",
      "\\*; a; false; false",
      "'trailing\\ '; 'trailing '; false; true",
      "'trailing  '; trailing; false; true",
      "*.log|!keep.log; keep.log; false; false",
      "*.log|!keep.log; other.log; false; true",
      "logs/|!logs/keep.log; logs/keep.log; false; true",
      "a*b; a/b; false; false",
      "a?b; a/b; false; false",
      "*; x; false; true",
  })
  void matchesAsGitDoes(String patterns, String path, boolean dir, boolean expected) {
    Excludes e = patterns.equals("*") ? unchecked("*", "!never-present") : Excludes.of(List.of(patterns.split("\\|")));
    assertEquals(expected, e.excludes(path, dir), e + " on " + path);
  }

  private static Excludes unchecked(String... patterns) {
    return Excludes.of(List.of(patterns));
  }

  @ParameterizedTest
  @ValueSource(strings = {"*", "**", "/*", "/**", "?*", "**/*", "*  "})
  void aPatternExcludingEverythingIsRefused(String pattern) {
    SnapshotException e = assertThrows(SnapshotException.class, () -> Excludes.of(List.of("cache/", pattern)));
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    assertTrue(e.getMessage().contains("excludes everything"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   ", "!", "/", "!/", "a\0b", "a\nb", "[abc", "[[:nope:]]", "[z-a]", "trailing\\",
      "a//b", "#comment"})
  void aMalformedPatternIsRefusedSayingWhy(String pattern) {
    SnapshotException e = assertThrows(SnapshotException.class, () -> Excludes.of(List.of(pattern)));
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    assertTrue(e.getMessage().startsWith("exclude pattern '"), e.getMessage());
  }

  @Property(tries = 300)
  @Label("everything excluded but re-included is not a set that excludes everything, and keeps what it re-includes")
  void everythingButARe_includedNameIsAccepted(@ForAll("names") String keep) {
    Excludes e = Excludes.of(List.of("*", "!" + escape(keep)));
    assertFalse(e.excludes(keep, false));
    assertTrue(e.excludes(keep + "x", false));
  }

  @ParameterizedTest
  @ValueSource(strings = {"**/", "*/", "node_modules/"})
  void directoryOnlyPatternsKeepFiles(String pattern) {
    assertFalse(Excludes.of(List.of(pattern)).excludes("node_modules", false));
  }

  @Property(tries = 500)
  @Label("!p after p re-includes exactly what p excluded, wherever the directories above are not excluded")
  void negationUndoesThePattern(@ForAll("patterns") String p, @ForAll("paths") String path, @ForAll boolean dir) {
    Excludes alone = Excludes.of(List.of(p, "!unused-name"));
    Excludes undone = Excludes.of(List.of(p, "!" + p));
    assertFalse(undone.excludesEntry(path, dir));
    // a later pattern decides: !p then p is p alone
    Excludes redone = Excludes.of(List.of("!" + p, p, "!unused-name"));
    assertEquals(alone.excludesEntry(path, dir), redone.excludesEntry(path, dir));
  }

  @Property(tries = 500)
  @Label("an unanchored name pattern matches at any depth; anchored with / only at the root")
  void anchoredMatchesOnlyAtTheRoot(@ForAll("names") String name, @ForAll("paths") String parent) {
    String n = escape(name);
    Excludes anywhere = Excludes.of(List.of(n));
    Excludes rootOnly = Excludes.of(List.of("/" + n));
    assertTrue(anywhere.excludesEntry(name, false));
    assertTrue(anywhere.excludesEntry(parent + "/" + name, false));
    assertTrue(rootOnly.excludesEntry(name, false));
    assertFalse(rootOnly.excludesEntry(parent + "/" + name, false));
    assertEquals(rootOnly.excludesEntry(name, true), Excludes.of(List.of("**/" + n)).excludesEntry(name, true));
  }

  @Property(tries = 300)
  @Label("a walk that prunes excluded directories keeps exactly the paths per-path filtering keeps")
  void pruningEqualsPerPathFiltering(@ForAll("patternLists") List<String> patterns,
      @ForAll("trees") Set<String> files) {
    Excludes e = Excludes.of(patterns);
    Set<String> dirs = new TreeSet<>();
    for (String f : files) {
      for (int s = f.indexOf('/'); s >= 0; s = f.indexOf('/', s + 1)) {
        dirs.add(f.substring(0, s));
      }
    }
    Set<String> all = new TreeSet<>(files);
    all.addAll(dirs);
    Set<String> walked = new TreeSet<>();
    walk(e, "", all, dirs, walked);
    Set<String> filtered = new TreeSet<>();
    for (String p : all) {
      if (!e.excludes(p, dirs.contains(p))) {
        filtered.add(p);
      }
    }
    assertEquals(filtered, walked);
  }

  private static void walk(Excludes e, String prefix, Set<String> all, Set<String> dirs, Set<String> out) {
    for (String p : all) {
      boolean child = prefix.isEmpty() ? !p.contains("/") : p.startsWith(prefix + "/")
          && p.indexOf('/', prefix.length() + 1) < 0;
      if (child && !e.excludesEntry(p, dirs.contains(p))) {
        out.add(p);
        if (dirs.contains(p)) {
          walk(e, p, all, dirs, out);
        }
      }
    }
  }

  @Property(tries = 200)
  @Label("a .gitignore text parses to the patterns of its lines, skipping blanks and comments")
  void parseSkipsBlanksAndComments(@ForAll("patternLists") List<String> patterns) {
    String text = "# generated\n\n" + String.join("\n", patterns) + "\n  \n";
    assertEquals(Excludes.of(patterns), Excludes.parse(text));
  }

  @Property(tries = 100)
  @Label("a pattern with many stars answers quickly on a long name that does not match")
  void manyStarsDoNotBacktrackForever(@ForAll("names") String name) {
    Excludes e = Excludes.of(List.of("*a*a*a*a*a*a*a*a*a*a*b", "!x"));
    long start = System.nanoTime();
    assertFalse(e.excludesEntry("a".repeat(200) + name.replace("b", ""), false));
    assertTrue(System.nanoTime() - start < 1_000_000_000L);
  }

  @Provide
  Arbitrary<String> names() {
    return Arbitraries.strings().withChars("abcxyz.-_ *?[]!#\\é").ofMinLength(1).ofMaxLength(8)
        .filter(s -> !s.isBlank() && !s.equals(".") && !s.equals(".."));
  }

  @Provide
  Arbitrary<String> paths() {
    return Arbitraries.strings().withChars("abc.").ofMinLength(1).ofMaxLength(3).list().ofMinSize(1).ofMaxSize(4)
        .map(l -> String.join("/", l));
  }

  @Provide
  Arbitrary<String> patterns() {
    Arbitrary<String> segment = Arbitraries.oneOf(Arbitraries.of("a", "b", "c", "a*", "*b", "?", "[ab]", "[!a]",
        "**", "a?c", "ab", "[[:lower:]]c"));
    return Combinators.combine(Arbitraries.of("", "/"), segment.list().ofMinSize(1).ofMaxSize(3),
        Arbitraries.of("", "/")).as((lead, segs, trail) -> lead + String.join("/", segs) + trail)
        .filter(p -> {
          try {
            Excludes.of(List.of(p, "!unused-name"));
            return true;
          } catch (SnapshotException e) {
            return false;
          }
        });
  }

  @Provide
  Arbitrary<List<String>> patternLists() {
    return Combinators.combine(patterns(), Arbitraries.of("", "!")).as((p, neg) -> neg + p).list().ofMinSize(1)
        .ofMaxSize(4).map(l -> {
          List<String> out = new ArrayList<>(l);
          out.add("!unused-name");
          return out;
        });
  }

  @Provide
  Arbitrary<Set<String>> trees() {
    return paths().set().ofMinSize(1).ofMaxSize(12)
        .filter(s -> s.stream().noneMatch(f -> s.stream().anyMatch(g -> g.startsWith(f + "/"))));
  }

  /** {@code name} as a pattern that matches exactly that name. */
  private static String escape(String name) {
    StringBuilder b = new StringBuilder();
    for (char c : name.toCharArray()) {
      if ("*?[]!#\\ ".indexOf(c) >= 0) {
        b.append('\\');
      }
      b.append(c);
    }
    return b.toString();
  }
}
