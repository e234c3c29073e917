package io.snapshotkit.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RawTreeTest {
  @TempDir Path dir;

  @Test
  @DisplayName("text is UTF-8 with each byte outside a well-formed sequence as U+DC00 + byte, and bytes gives back exactly the bytes")
  void textAndBytesAreInverse() {
    assertEquals("caf\u00e9", RawTree.text("caf\u00e9".getBytes(StandardCharsets.UTF_8)));
    assertEquals("caf\udce9", RawTree.text(RawTree.latin1("caf\u00e9")));
    assertEquals("\ud83d\ude00", RawTree.text("\ud83d\ude00".getBytes(StandardCharsets.UTF_8)));
    assertEquals("\udcc0\udcaf", RawTree.text(RawTree.latin1("\u00c0\u00af")), "overlong '/'");
    assertEquals("\udced\udca0\udc80", RawTree.text(RawTree.latin1("\u00ed\u00a0\u0080")), "an encoded surrogate");
    assertEquals("\udce2\udc82A", RawTree.text(RawTree.latin1("\u00e2\u0082A")), "a cut sequence");
    assertEquals("x\udcf4\udc90\udc80\udc80", RawTree.text(RawTree.latin1("x\u00f4\u0090\u0080\u0080")), "above U+10FFFF");
    for (String latin1 : List.of("caf\u00e9", "\u00ff\u00fe", "\u00ed\u00a0\u0080", "a\\b\nc", "\u00f0\u009f\u0098\u0080")) {
      byte[] raw = RawTree.latin1(latin1);
      assertArrayEquals(raw, RawTree.bytes(RawTree.text(raw)), latin1);
    }
    assertArrayEquals(new byte[] {'a', 'b', 'c'}, RawTree.concat(RawTree.latin1("a"), new byte[0], RawTree.latin1("bc")));
  }

  @Test
  @DisplayName("a file made with resolve is listed with exactly the name's bytes, in a subdirectory too")
  void resolveMakesTheExactBytes() throws IOException {
    byte[] name = RawTree.latin1("\u00ff\u00fe new\nline %41");
    Files.createDirectory(RawTree.resolve(dir, RawTree.latin1("d\u00e9")));
    Files.write(RawTree.resolve(dir, RawTree.concat(RawTree.latin1("d\u00e9/"), name)), new byte[] {1});
    List<Path> listed = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.filter(Files::isRegularFile).forEach(listed::add);
    }
    assertEquals(1, listed.size());
    assertArrayEquals(RawTree.concat(RawTree.raw(dir), RawTree.latin1("/d\u00e9/"), name), RawTree.raw(listed.get(0)));
  }

  @Test
  @DisplayName("path keeps '.', '..' and stray bytes of a relative or absolute target")
  void pathKeepsEveryByte() throws IOException {
    for (String latin1 : List.of("../\u00e9/./x/..", "a\\b\nc\u00e9", "/abs/\u00ff", "plain")) {
      byte[] target = RawTree.latin1(latin1);
      assertArrayEquals(target, RawTree.raw(RawTree.path(target)), latin1);
      Path link = Files.createSymbolicLink(dir.resolve("link"), RawTree.path(target));
      assertArrayEquals(target, RawTree.raw(Files.readSymbolicLink(link)), latin1);
      Files.delete(link);
    }
  }

  @Test
  @DisplayName("read describes each entry by its raw name: full mode with setuid, setgid and sticky, content digest, link target, owner")
  void readDescribesEveryEntry() throws IOException {
    Path tree = Files.createDirectory(dir.resolve("tree"));
    Path shared = Files.createDirectory(RawTree.resolve(tree, RawTree.latin1("s\u00e9")));
    RawTree.chmod(shared, 02775);
    Path tool = Files.write(shared.resolve("tool"), "abc".getBytes(StandardCharsets.US_ASCII));
    RawTree.chmod(tool, 04755);
    Path tmp = Files.createDirectory(tree.resolve("tmp"));
    RawTree.chmod(tmp, 01777);
    Path link = Files.createSymbolicLink(tree.resolve("l"), RawTree.path(RawTree.latin1("../\u00ff")));
    String o = String.valueOf(RawTree.OWNER);
    Map<String, String> expected = new TreeMap<>(Map.of(
        "s\udce9", "d:2775" + o + RawTree.owner(shared),
        "s\udce9/tool", "f:4755:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" + o
            + RawTree.owner(tool),
        "tmp", "d:1777" + o + RawTree.owner(tmp),
        "l", "l:../\udcff" + o + RawTree.owner(link)));
    TreeMap<String, String> read = RawTree.read(tree);
    assertEquals(RawTree.printable(expected), RawTree.printable(read));
    assertEquals(expected, read);
    assertEquals("d:2775", RawTree.body(read.get("s\udce9")));
    assertEquals(o + RawTree.owner(tmp), RawTree.ownerPart(read.get("tmp")));
    assertEquals(04755, RawTree.mode(tool));
    assertEquals(Map.of(), RawTree.read(dir.resolve("missing")), "a missing tree is empty");
  }

  @Test
  @DisplayName("as root, chown sets the numeric owner of a link itself, not of its target")
  void chownDoesNotFollowLinks() throws IOException {
    Path file = Files.write(dir.resolve("f"), new byte[] {1});
    Path link = Files.createSymbolicLink(dir.resolve("l"), Path.of("f"));
    assumeTrue(RawTree.owner(file).startsWith("0:"), "chown to another user needs root; CI runs as root");
    String before = RawTree.owner(file);
    RawTree.chown(link, 1234, 5678);
    assertEquals("1234:5678", RawTree.owner(link));
    assertEquals(before, RawTree.owner(file));
    assertThrows(UncheckedIOException.class, () -> RawTree.owner(dir.resolve("missing")));
  }

  @Test
  @DisplayName("escape writes control chars, non-ASCII and lone surrogates as \\uXXXX")
  void escapeShowsStrayChars() {
    assertEquals("a\\u000ab\\u00e9\\udcff~", RawTree.escape("a\nb\u00e9\udcff~"));
    assertFalse(RawTree.printable(Map.of("\u0001", "\u0000")).containsKey("\u0001"));
  }
}
