package io.snapshotkit.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.fs.SnapshotArchive.Limits;
import io.snapshotkit.fs.internal.files.Modes;
import io.snapshotkit.fs.internal.files.PathRules;
import io.snapshotkit.fs.internal.files.SafeTree.Origin;
import io.snapshotkit.fs.internal.files.SafeTree;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SafeTreeTest {
  private static final FileTime T1 = FileTime.from(Instant.parse("2024-03-01T10:15:30.123456789Z"));
  private static final FileTime T2 = FileTime.from(Instant.parse("2021-01-02T03:04:05Z"));

  @TempDir Path temp;
  Path root;
  Path outside;

  @BeforeEach
  void setUp() throws IOException {
    root = Files.createDirectory(temp.resolve("root"));
    outside = Files.createDirectory(temp.resolve("outside"));
    Files.writeString(outside.resolve("sentinel"), "keep me");
  }

  private SafeTree tree() {
    return SafeTree.rootedAt(root, Limits.defaults(), Origin.IMPORT);
  }

  private static InputStream text(String s) {
    return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
  }

  private static SnapshotException refused(Runnable r) {
    SnapshotException e = assertThrows(SnapshotException.class, r::run);
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), e.getMessage());
    assertTrue(e.getMessage().startsWith("this archive is unsafe: "), e.getMessage());
    assertTrue(e.getMessage().endsWith("; it was not imported"), e.getMessage());
    return e;
  }

  private void assertOutsideUntouched() throws IOException {
    try (Stream<Path> s = Files.list(outside)) {
      assertEquals(List.of(outside.resolve("sentinel")), s.toList());
    }
    assertEquals("keep me", Files.readString(outside.resolve("sentinel")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "/", "..", "../evil", "a/../../evil", "a/..", "/tmp/evil", "//x", "a\u0000b", "a//b",
      "./a", "a/./b", "a\udc41b", "\udcc3\udca9", "a\ud800"})
  @DisplayName("unsafe entry paths are refused before anything is written")
  void unsafePathsAreRefused(String path) throws IOException {
    assertTrue(PathRules.pathProblem(path, 4096).isPresent(), path);
    refused(() -> tree().file(path, text("x"), 1, 0644, T1));
    try (Stream<Path> s = Files.list(root)) {
      assertEquals(0, s.count());
    }
    assertOutsideUntouched();
  }

  @ParameterizedTest
  @ValueSource(strings = {"a", "a/b/c.txt", "dir/", "..a", "a..", ".hidden", "spaces in name", "ünïcødé/名前",
      "C:/evil", "c:evil", "a\\..\\evil", "a\nb", "a\tb", "a\u007fb", "\u0001", "latin1-\udce9", "\udcff\udcfe/x"})
  @DisplayName("relative paths are accepted with any byte but NUL in their names: backslash, control bytes, "
      + "a drive-letter prefix and bytes that are not UTF-8 are all legal Linux names")
  void safePathsAreAccepted(String path) {
    assertEquals(Optional.empty(), PathRules.pathProblem(path, 4096));
  }

  @Test
  @DisplayName("paths and names over the limits are refused")
  void overlongPathsAndNamesAreRefused() {
    assertTrue(PathRules.pathProblem("a/".repeat(30) + "b", 40).orElseThrow().contains("longer than 40 bytes"));
    assertTrue(PathRules.pathProblem("x".repeat(256), 4096).orElseThrow().contains("longer than 255 bytes"));
    assertEquals(Optional.empty(), PathRules.pathProblem("x".repeat(255), 4096));
    SafeTree small = SafeTree.rootedAt(root, new Limits(1000, 1000, 10), Origin.IMPORT);
    refused(() -> small.directory("abcdefghijk", 0755, T1));
  }

  @Test
  @DisplayName("files, directories and symlinks are written with their modes and mtimes")
  void writesEntriesWithMetadata() throws IOException {
    SafeTree tree = tree();
    tree.directory("d", 0750, T2);
    long n = tree.file("d/f.txt", text("hello"), 5, 0640, T1);
    tree.file("d/sub/exec.sh", text("#!/bin/sh\n"), -1, 0755, T1);
    tree.symlink("d/link", "f.txt", T2);
    tree.directory("empty", 0700, T1);
    tree.finish();

    assertEquals(5, n);
    assertEquals(15, tree.bytes());
    assertEquals(5, tree.entries());
    assertEquals("hello", Files.readString(root.resolve("d/f.txt")));
    assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("d/f.txt"))));
    assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("d/sub/exec.sh"))));
    assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("d"))));
    assertEquals(T1, Files.getLastModifiedTime(root.resolve("d/f.txt")));
    assertEquals(T2, Files.getLastModifiedTime(root.resolve("d")), "directory mtime survives its children");
    assertEquals(Path.of("f.txt"), Files.readSymbolicLink(root.resolve("d/link")));
    assertEquals(T2, Files.getLastModifiedTime(root.resolve("d/link"), LinkOption.NOFOLLOW_LINKS));
    assertTrue(Files.isDirectory(root.resolve("empty")));
    assertEquals(T1, Files.getLastModifiedTime(root.resolve("empty")));
    try (Stream<Path> s = Files.list(root.resolve("empty"))) {
      assertEquals(0, s.count(), "empty directory is preserved empty");
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0644, 0666, 0600, 0444, 0000, 0755, 0777, 0711, 0620, 0246})
  @DisplayName("a file ends with exactly its mode whether or not the umask takes bits of it away at creation "
      + "(created with its mode, chmodded only when the umask took some), and it is written even when the "
      + "mode forbids its owner to write")
  void fileModesSurviveTheUmask(int mode) throws IOException {
    SafeTree tree = tree();
    tree.file("f", text("content"), 7, mode, T1);
    tree.finish();
    assertEquals("content", Files.readString(root.resolve("f")));
    assertEquals(mode, (int) Files.getAttribute(root.resolve("f"), "unix:mode") & 07777, Integer.toOctalString(mode));
    assertEquals(T1, Files.getLastModifiedTime(root.resolve("f")));
  }

  @Test
  @DisplayName("the umask is read from the process's status (Linux)")
  void theUmaskIsKnownOnLinux() {
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "Linux only");
    int umask = Modes.umask();
    assertTrue(umask >= 0 && umask <= 0777, Integer.toOctalString(umask));
  }

  @Test
  @DisplayName("setuid, setgid and sticky bits are dropped; permission bits kept")
  void specialModeBitsAreMasked() throws IOException {
    SafeTree tree = tree();
    tree.file("suid", text("x"), 1, 04755, T1);
    tree.directory("sticky", 01777, T1);
    tree.finish();
    assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("suid"))));
    assertEquals(0777, Modes.mode(Files.getPosixFilePermissions(root.resolve("sticky"))));
    assertEquals(0, (int) Files.getAttribute(root.resolve("suid"), "unix:mode") & 07000);
  }

  @Test
  @DisplayName("a read-only directory still receives its children; its mode is applied last")
  void readOnlyDirectoryModeIsDeferred() throws IOException {
    SafeTree tree = tree();
    tree.directory("ro", 0555, T1);
    tree.file("ro/inner", text("data"), 4, 0444, T1);
    tree.finish();
    assertEquals("data", Files.readString(root.resolve("ro/inner")));
    assertEquals(0555, Modes.mode(Files.getPosixFilePermissions(root.resolve("ro"))));
    Files.setPosixFilePermissions(root.resolve("ro"), Modes.permissions(0755));
  }

  @Test
  @DisplayName("a file is never written through a symlink planted in the tree")
  void refusesToWriteThroughPlantedSymlink() throws IOException {
    Files.createSymbolicLink(root.resolve("link"), outside);
    SnapshotException e = refused(() -> tree().file("link/evil", text("x"), 1, 0644, T1));
    assertTrue(e.getMessage().contains("through the symlink 'link'"), e.getMessage());
    refused(() -> tree().directory("link/sub", 0755, T1));
    assertOutsideUntouched();
  }

  @Test
  @DisplayName("a symlink the archive itself created is never written through")
  void refusesToWriteThroughOwnSymlink() throws IOException {
    SafeTree tree = tree();
    tree.directory("d", 0755, T1);
    tree.symlink("d/up", "..", T1);
    refused(() -> tree.file("d/up/x", text("x"), 1, 0644, T1));
    assertFalse(Files.exists(root.resolve("x"), LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  @DisplayName("an existing symlink at the entry's own path is refused, not followed or replaced")
  void refusesToOverwriteSymlink() throws IOException {
    Files.createSymbolicLink(root.resolve("f"), outside.resolve("sentinel"));
    refused(() -> tree().file("f", text("overwritten"), 11, 0644, T1));
    refused(() -> tree().directory("f", 0755, T1));
    assertTrue(Files.isSymbolicLink(root.resolve("f")));
    assertOutsideUntouched();
  }

  @Test
  @DisplayName("a duplicate entry is refused rather than overwriting the first")
  void refusesDuplicates() throws IOException {
    SafeTree tree = tree();
    tree.file("a", text("first"), 5, 0644, T1);
    refused(() -> tree.file("a", text("second"), 6, 0644, T1));
    refused(() -> tree.symlink("a", "b", T1));
    refused(() -> tree.file("a/b", text("x"), 1, 0644, T1));
    assertEquals("first", Files.readString(root.resolve("a")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "a\u0000", "a\udc41"})
  @DisplayName("symlink targets that are no byte string (empty, NUL, a stray surrogate) are refused")
  void refusesUnstorableSymlinkTargets(String target) throws IOException {
    refused(() -> tree().symlink("link", target, T1));
    assertFalse(Files.exists(root.resolve("link"), LinkOption.NOFOLLOW_LINKS));
  }

  @ParameterizedTest
  @ValueSource(strings = {"/tmp", "/", "..", "../..", "d/../../x", "x/../y", "C:/x", "a\\b", "../outside/sentinel",
      "a\nb\u00e9", "raw-\udce9"})
  @DisplayName("a symlink target is data: created verbatim wherever it points, and nothing is written through it")
  void createsAnySymlinkTargetVerbatim(String target) throws IOException {
    SafeTree tree = tree();
    tree.symlink("link", target, T1);
    assertEquals(target, io.snapshotkit.fs.internal.files.RawNames.text(Files.readSymbolicLink(root.resolve("link"))));
    refused(() -> tree.file("link/x", text("pwned"), 5, 0644, T1));
    refused(() -> tree.directory("link/d", 0755, T1));
    assertOutsideUntouched();
  }

  @Test
  @DisplayName("relative symlinks that stay inside the tree are accepted, dangling or not")
  void acceptsInnerSymlinks() throws IOException {
    SafeTree tree = tree();
    tree.symlink("a/b/up2", "../..", T1);
    tree.symlink("a/b/sibling", "../c/file", T1);
    tree.symlink("here", ".", T1);
    tree.symlink("deep", "x/y/z", T1);
    assertEquals(Path.of("../.."), Files.readSymbolicLink(root.resolve("a/b/up2")));
    assertEquals(root.toRealPath(), root.resolve("a/b/up2").toRealPath());
  }

  @Test
  @DisplayName("hard links must point to a regular file already in the tree")
  void hardLinkRules() throws IOException {
    SafeTree tree = tree();
    tree.file("data", text("shared"), 6, 0644, T1);
    tree.symlink("sym", "data", T1);
    Path link = tree.hardLink("d/copy", "data");
    assertEquals(Files.getAttribute(root.resolve("data"), "unix:ino"), Files.getAttribute(link, "unix:ino"));

    refused(() -> tree.hardLink("out", "../outside/sentinel"));
    refused(() -> tree.hardLink("abs", outside.resolve("sentinel").toString()));
    refused(() -> tree.hardLink("missing", "nope"));
    refused(() -> tree.hardLink("tosym", "sym"));
    Files.createSymbolicLink(root.resolve("planted"), outside);
    refused(() -> tree.hardLink("via", "planted/sentinel"));
    assertEquals(1, (int) Files.getAttribute(outside.resolve("sentinel"), "unix:nlink"));
    assertOutsideUntouched();
  }

  @Test
  @DisplayName("device nodes and fifos are refused with a clear reason")
  void specialFilesAreRefused() {
    SnapshotException e = tree().refuseSpecial("dev/sda", "block device");
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    assertEquals("this archive is unsafe: entry 'dev/sda' is a block device, which is never restored; "
        + "it was not imported", e.getMessage());
  }

  @Test
  @DisplayName("the byte cap stops an endless stream at the cap, not after")
  void byteCapStopsStreaming() throws IOException {
    SafeTree tree = SafeTree.rootedAt(root, new Limits(1 << 20, 100, 4096), Origin.IMPORT);
    InputStream endless = new InputStream() {
      @Override
      public int read() {
        return 0;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        return len;
      }
    };
    SnapshotException e = refused(() -> tree.file("bomb", endless, -1, 0644, T1));
    assertTrue(e.getMessage().contains("expands past the limit of 1048576 uncompressed bytes"), e.getMessage());
    assertTrue(Files.size(root.resolve("bomb")) <= 1 << 20);
    assertTrue(tree.bytes() <= 1 << 20);
  }

  @Test
  @DisplayName("a declared size over the remaining cap is refused before any byte is written")
  void declaredSizeIsCheckedFirst() {
    SafeTree tree = SafeTree.rootedAt(root, new Limits(100, 100, 4096), Origin.IMPORT);
    tree.file("a", text("x".repeat(60)), 60, 0644, T1);
    refused(() -> tree.file("b", text("y".repeat(50)), 50, 0644, T1));
    assertFalse(Files.exists(root.resolve("b")));
  }

  @Test
  @DisplayName("the entry cap counts every kind of entry")
  void entryCap() {
    SafeTree tree = SafeTree.rootedAt(root, new Limits(100, 3, 4096), Origin.IMPORT);
    tree.directory("d", 0755, T1);
    tree.file("d/f", text("x"), 1, 0644, T1);
    tree.symlink("s", "d", T1);
    SnapshotException e = refused(() -> tree.directory("e", 0755, T1));
    assertTrue(e.getMessage().contains("more than 3 entries"), e.getMessage());
  }

  @Test
  @DisplayName("an unsafe stored tree is CORRUPT, not a caller error")
  void storedOriginIsCorrupt() {
    SafeTree tree = SafeTree.rootedAt(root, Limits.defaults(), Origin.STORED);
    SnapshotException e = assertThrows(SnapshotException.class, () -> tree.directory("../x", 0755, T1));
    assertEquals(ErrorCode.CORRUPT, e.code());
    assertTrue(e.getMessage().startsWith("the stored snapshot is unsafe: "), e.getMessage());
  }

  @Test
  @DisplayName("the root must be an existing real directory")
  void rootMustBeRealDirectory() throws IOException {
    Path link = Files.createSymbolicLink(temp.resolve("rootlink"), root);
    assertEquals(ErrorCode.INVALID_ARGUMENT,
        assertThrows(SnapshotException.class, () -> SafeTree.rootedAt(link, Limits.defaults(), Origin.IMPORT)).code());
    assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(SnapshotException.class,
        () -> SafeTree.rootedAt(temp.resolve("missing"), Limits.defaults(), Origin.IMPORT)).code());
  }

  @Test
  @DisplayName("limits reject nonsensical caps")
  void limitsValidate() {
    assertThrows(IllegalArgumentException.class, () -> new Limits(-1, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new Limits(0, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> new Limits(0, 1, 0));
  }

  @Test
  @DisplayName("mode and permission conversions are inverse on the nine permission bits")
  void modeConversions() {
    for (int mode = 0; mode < 01000; mode++) {
      assertEquals(mode, Modes.mode(Modes.permissions(mode)));
    }
    assertEquals(0755, Modes.mode(Modes.permissions(04755)));
  }
}
