package io.snapshotkit.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.fs.internal.files.RawNames;
import io.snapshotkit.testkit.RawTree;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/** Raw names: one exact text per byte string, and paths made from it hold exactly those bytes. */
class RawNamesTest {
  private static Path dir;

  @BeforeContainer
  static void makeDir() throws IOException {
    dir = Files.createTempDirectory("raw-names");
  }

  @AfterContainer
  static void removeDir() throws IOException {
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      for (Path p : s) {
        Files.delete(p);
      }
    }
    Files.delete(dir);
  }

  /** File names from the whole byte alphabet but '/' and NUL. */
  @Provide
  Arbitrary<byte[]> names() {
    return Arbitraries.integers().between(1, 255).filter(b -> b != '/').map(Integer::byteValue).list()
        .ofMinSize(1).ofMaxSize(12).map(l -> {
          byte[] b = new byte[l.size()];
          for (int i = 0; i < b.length; i++) {
            b[i] = l.get(i);
          }
          return b;
        }).filter(b -> !(b.length == 1 && b[0] == '.') && !(b.length == 2 && b[0] == '.' && b[1] == '.'));
  }

  @Property(tries = 1000)
  @Label("the text of any byte string is canonical and gives back exactly its bytes")
  void textRoundTrips(@ForAll("names") byte[] name) {
    String text = RawNames.text(name);
    assertArrayEquals(name, RawNames.bytes(text));
    assertEquals(Optional.empty(), RawNames.problem(text));
    assertEquals(name.length, RawNames.length(text));
    assertEquals(text, RawTree.text(name), "the promised surrogateescape text");
  }

  @Property(tries = 300)
  @Label("a file made from a name's text has exactly its bytes, and reads back as the same text")
  void pathsHoldTheBytes(@ForAll("names") byte[] name) throws IOException {
    String text = RawNames.text(name);
    Path file = RawNames.resolve(dir, text);
    Files.write(file, name);
    try {
      List<Path> listed = new ArrayList<>();
      try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
        s.forEach(listed::add);
      }
      assertEquals(1, listed.size());
      assertArrayEquals(RawTree.raw(RawTree.resolve(dir, name)), RawTree.raw(listed.get(0)));
      assertEquals(text, RawNames.name(listed.get(0)));
      assertEquals(text, RawNames.text(dir.relativize(listed.get(0))));
      String target = "../" + text + "/./" + text + "/..";
      Path link = Files.createSymbolicLink(dir.resolve("link"), RawNames.path(target));
      assertEquals(target, RawNames.text(Files.readSymbolicLink(link)));
      Files.delete(link);
      assertTrue(Files.exists(file, LinkOption.NOFOLLOW_LINKS));
    } finally {
      Files.delete(file);
    }
  }
}
