package io.snapshotkit.fs;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.fs.internal.files.PathRules;
import java.nio.file.Path;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class SafeTreePropertyTest {
  private static final Path ROOT = Path.of("/staging/root");

  /** Strings built from the characters that matter for path tricks, plus some ordinary ones. */
  @Provide
  Arbitrary<String> trickyPaths() {
    return Arbitraries.strings().withChars('/', '.', '\\', ':', 'a', 'b', 'C', '\u0000', '\n', ' ')
        .ofMinLength(0).ofMaxLength(24);
  }

  @Property(tries = 3000)
  @Label("an accepted entry path always resolves strictly inside the root, unchanged by normalization")
  void acceptedPathsStayInside(@ForAll("trickyPaths") String path) {
    if (PathRules.pathProblem(path, 4096).isEmpty()) {
      String p = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
      Path resolved = ROOT.resolve(p);
      assertTrue(resolved.normalize().startsWith(ROOT), path);
      assertFalse(resolved.normalize().equals(ROOT), path);
      assertTrue(resolved.normalize().equals(resolved), path);
    }
  }

  @Property(tries = 3000)
  @Label("a symlink target is refused only when it is empty or holds NUL: anything else is data, kept verbatim")
  void targetsAreRefusedOnlyWhenUnstorable(@ForAll("trickyPaths") String target,
      @ForAll("linkPaths") String link) {
    boolean unstorable = target.isEmpty() || target.indexOf('\u0000') >= 0;
    assertTrue(PathRules.symlinkTargetProblem(link, target, 4096).isPresent() == unstorable, link + " -> " + target);
  }

  @Provide
  Arbitrary<String> linkPaths() {
    return Arbitraries.of("l", "a/l", "a/b/l", "a/b/c/l");
  }
}
