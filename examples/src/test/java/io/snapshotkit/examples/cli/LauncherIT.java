package io.snapshotkit.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sqlite.SQLiteJDBCLoader;

/**
 * Runs the real {@code bin/snapshotkit} launcher as a process: which JDK it picks, the start-up
 * cache it builds and when it must ignore it (stale, corrupt, unwritable), never failing the
 * command because of it; the same for the copies of SQLite's and zstd's native libraries kept
 * beside the cache.
 *
 * <p>One training run (the launcher's own, {@code SNAPSHOTKIT_CACHE=sync}, on JDK 17: a dynamic
 * CDS archive) builds the cache the tests share, on a copy of the shaded jar; the test that
 * changes the jar runs last and pays for the one rebuild.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LauncherIT {
  private static final Path LAUNCHER = Path.of("bin", "snapshotkit").toAbsolutePath();
  private static final Path BUILT_JAR = Path.of("target", "snapshotkit.jar").toAbsolutePath();

  private static Path shared;
  private static Path jar;
  private static Path jdk17;
  private static Path cacheHome;

  @TempDir Path tmp;

  record Result(int status, String out, String err) {
    List<String> errLines() {
      return err.lines().toList();
    }
  }

  @BeforeAll
  static void buildTheSharedCacheOnJdk17() throws IOException, InterruptedException {
    assertTrue(Files.isRegularFile(BUILT_JAR), "the shaded jar is built in `package`, before this test: " + BUILT_JAR);
    jdk17 = jdk17().orElse(null);
    Assumptions.assumeTrue(jdk17 != null, "no JDK 17 found (java.home of this JVM or /usr/lib/jvm/*)");
    shared = Files.createTempDirectory("snapshotkit-launcher-it-");
    jar = shared.resolve("snapshotkit.jar");
    Files.copy(BUILT_JAR, jar);
    cacheHome = shared.resolve("cache");
    Result r = run(onlyJdk17(shared.resolve("home"), cacheHome, "sync"), "list", "--version");
    assertEquals(0, r.status(), r::err);
    assertTrue(r.out().contains("Start-up cache: " + cacheHome.resolve("snapshotkit")), r.out());
  }

  @AfterAll
  static void removeTheSharedDirectory() throws IOException {
    if (shared != null) {
      deleteTree(shared);
    }
  }

  @Test
  @Order(1)
  void onlyJdk17AvailableRunsWithItsCdsArchive() throws IOException, InterruptedException {
    Path classLog = tmp.resolve("classes.log");
    Map<String, String> env = onlyJdk17(tmp.resolve("home"), cacheHome, "auto");
    env.put("JAVA_OPTS", "-Xlog:class+load=info:file=" + classLog);
    Result r = run(env, "list", "--version");

    assertEquals(0, r.status(), r::err);
    assertTrue(r.out().contains("Java 17."), r.out());
    assertTrue(r.out().contains("Start-up cache: " + cachedFile("jsa")), r.out());
    String loaded = Files.readString(classLog);
    for (String name : List.of("io.snapshotkit.examples.cli.Main ", "picocli.CommandLine ")) {
      assertTrue(loaded.lines().anyMatch(l -> l.contains(name) && l.contains("shared objects file (top)")),
          name + "did not come from the dynamic archive:\n" + loaded);
    }
  }

  /** The native libraries the launcher keeps a copy of beside the cache, each loaded by its own library. */
  enum NativeLibrary {
    SQLITE("sqlite", "libsqlitejdbc.so", "sqlitejdbc"),
    ZSTD("zstd", "libzstd-jni.so", "zstd-jni");

    /** The part of its directory's name that says which library it holds. */
    final String kind;
    /** The copy's file name. */
    final String file;
    /** What every file name of this library, copy or extraction, contains. */
    final String marker;

    NativeLibrary(String kind, String file, String marker) {
      this.kind = kind;
      this.file = file;
      this.marker = marker;
    }
  }

  @Test
  @Order(1)
  void theNativeLibrariesAreLoadedFromBesideTheCacheNotExtractedAgain() throws IOException, InterruptedException {
    Path libraryLog = tmp.resolve("library.log");
    Result r = initAndListOnJdk17("-Xlog:library=info:file=" + libraryLog);

    assertEquals("", r.err());
    for (NativeLibrary library : NativeLibrary.values()) {
      assertEquals(List.of(libraryDirectory(cacheHome, library).resolve(library.file).toString()),
          librariesLoaded(libraryLog, library), library + ": the copy beside the cache, and no other");
    }
  }

  @Test
  @Order(1)
  void withTheSqliteCopyTheDriverDoesNotScanTheTemporaryDirectory() throws IOException, InterruptedException {
    // at start the driver deletes, in its temporary directory, every file named like one of its own
    // extractions that has no lock file beside it: it reads every entry of the directory to find them
    Path temporary = Files.createDirectories(tmp.resolve("java-tmp"));
    Path stale = Files.writeString(temporary.resolve("sqlite-" + SQLiteJDBCLoader.getVersion() + "-stale-libsqlitejdbc.so"),
        "an extraction of another process, as the driver names them");
    initAndListOnJdk17("-Djava.io.tmpdir=" + temporary);

    assertTrue(Files.exists(stale), "the driver listed java.io.tmpdir rather than the cache directory");
  }

  /** Runs {@code init}, then {@code list}, on JDK 17 with the shared cache and {@code javaOpts}; both must succeed. */
  private Result initAndListOnJdk17(String javaOpts) throws IOException, InterruptedException {
    Map<String, String> env = onlyJdk17(tmp.resolve("home"), cacheHome, "auto");
    env.put("JAVA_OPTS", javaOpts);
    Result init = run(env, "init");
    assertEquals(0, init.status(), init::err);
    Result list = run(env, "list");
    assertEquals(0, list.status(), list::err);
    return list;
  }

  /** How the copy of a library beside the cache can be wrong; its loader must then extract its own. */
  enum BadLibrary { MISSING, CORRUPT, TRUNCATED, OF_ANOTHER_JAR }

  @ParameterizedTest
  @CsvSource({"SQLITE, MISSING", "SQLITE, CORRUPT", "SQLITE, TRUNCATED", "SQLITE, OF_ANOTHER_JAR",
      "ZSTD, MISSING", "ZSTD, CORRUPT", "ZSTD, TRUNCATED", "ZSTD, OF_ANOTHER_JAR"})
  @Order(3)
  void aBadCopyOfALibraryIsNotLoadedAndItsOwnExtractionRuns(NativeLibrary library, BadLibrary bad)
      throws IOException, InterruptedException {
    // this test's own cache directory: the shared cache and good copies, and the library as `bad` says
    Path ownCache = tmp.resolve("cache");
    Path dir = Files.createDirectories(ownCache.resolve("snapshotkit"));
    Path cache = Files.copy(cachedFile("jsa"), dir.resolve(cachedFile("jsa").getFileName()));
    Files.setLastModifiedTime(cache, FileTime.from(Instant.now()));
    for (NativeLibrary other : NativeLibrary.values()) {
      if (other != library) {
        Path good = libraryDirectory(cacheHome, other);
        Path copy = Files.createDirectories(dir.resolve(good.getFileName()));
        Files.copy(good.resolve(other.file), copy.resolve(other.file));
      }
    }
    Path good = libraryDirectory(cacheHome, library);
    Path copy = dir.resolve(good.getFileName());
    if (bad != BadLibrary.MISSING) {
      Files.createDirectories(copy);
      byte[] bytes = Files.readAllBytes(good.resolve(library.file));
      switch (bad) {
        case CORRUPT -> bytes[bytes.length / 2] ^= 0x5a;
        case TRUNCATED -> bytes = Arrays.copyOf(bytes, bytes.length / 2);
        default -> { }
      }
      Files.write(copy.resolve(library.file), bytes);
      if (bad == BadLibrary.OF_ANOTHER_JAR) {
        // a good library, kept for another jar: its name has that jar's checksum
        Files.move(copy, dir.resolve(copy.getFileName().toString()
            .replaceFirst("-\\d+-\\d+-" + library.kind + "-", "-1-2-" + library.kind + "-")));
      }
    }
    Path libraryLog = tmp.resolve("library.log");
    Map<String, String> env = onlyJdk17(tmp.resolve("home"), ownCache, "auto");
    env.put("JAVA_OPTS", "-Xlog:library=info:file=" + libraryLog);
    Result init = run(env, "init");
    Path data = Files.createDirectories(tmp.resolve("data"));
    Files.writeString(data.resolve("a.txt"), "compressed by zstd\n".repeat(100));
    Result track = run(env, "track", "w", "data=" + data);
    Result capture = run(env, "capture", "w");

    for (Result r : List.of(init, track, capture)) {
      assertEquals(0, r.status(), r::err);
      assertEquals("", r.err(), "the command must not complain about the library");
    }
    List<String> loaded = librariesLoaded(libraryLog, library);
    assertEquals(1, loaded.size(), loaded::toString);
    assertFalse(loaded.get(0).startsWith(ownCache.toString()), "loaded the bad copy: " + loaded);
  }

  @Test
  @Order(3)
  void commandsLoadNoFlightRecorderClassesUnlessJavaOptsAskForARecording() throws IOException, InterruptedException {
    Map<String, String> env = onlyJdk17(tmp.resolve("home"), cacheHome, "auto");
    assertEquals(0, run(env, "init").status());
    Path plain = tmp.resolve("plain-classes.log");
    env.put("JAVA_OPTS", "-Xlog:class+load=info:file=" + plain);
    Result list = run(env, "list");
    Path recording = tmp.resolve("recording.jfr");
    Path recorded = tmp.resolve("recorded-classes.log");
    env.put("JAVA_OPTS", "-XX:StartFlightRecording=filename=" + recording + " -Xlog:class+load=info:file=" + recorded);
    Result withJfr = run(env, "list");

    assertEquals(0, list.status(), list::err);
    assertEquals("", list.err());
    // starting JFR (a library registering an event type is enough) costs a cold command 0.1 s
    assertFalse(Files.readString(plain).contains(" jdk.jfr."), "a library started the Flight Recorder");
    assertEquals(0, withJfr.status(), withJfr::err);
    assertTrue(Files.readString(recorded).contains(" jdk.jfr."), "JAVA_OPTS asked for a recording");
    assertTrue(Files.size(recording) > 0, "the recording the user asked for was written");
  }

  @Test
  @Order(3)
  void commandsGetASmallYoungGenerationAndHugePagesWhereTheKernelOffersThemTheServersTheDefaults()
      throws IOException, InterruptedException {
    Map<String, String> env = onlyJdk17(tmp.resolve("home"), cacheHome, "off");
    assertEquals(0, run(env, "init").status());
    env.put("JAVA_OPTS", "-XX:+PrintCommandLineFlags");
    Result list = run(env, "list");
    Result serve = run(env, "serve", "--help");
    Path thp = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
    boolean onRequest = Files.isReadable(thp) && Files.readString(thp).contains("[madvise]");

    assertEquals(0, list.status(), list::err);
    assertEquals("", list.err(), "no warning about the heap flags");
    String flags = list.out().lines().findFirst().orElse("");
    assertTrue(flags.contains("-XX:MaxNewSize=50331648") && flags.contains("-XX:NewSize=50331648"), flags); // -Xmn48m
    assertEquals(onRequest, flags.contains("-XX:+UseTransparentHugePages"), flags);
    assertEquals(0, serve.status(), serve::err);
    String serverFlags = serve.out().lines().findFirst().orElse("");
    assertFalse(serverFlags.contains("NewSize") || serverFlags.contains("TransparentHugePages"), serverFlags);
  }

  @Test
  @Order(3)
  void onJdk25TheByteHandlingCommandsSkipTier2OtherwiseTheFlagIsNotPassed() throws IOException, InterruptedException {
    Optional<Path> jdk25 = jdk(25);
    Assumptions.assumeTrue(jdk25.isPresent(), "no JDK 25 in /usr/lib/jvm");
    Map<String, String> env = onlyJdk17(tmp.resolve("home"), null, "off");
    // (the launcher turns the JVM's own stdout off for these commands: on again, after its flags)
    env.put("JAVA_OPTS", "-XX:+UnlockDiagnosticVMOptions -XX:+DisplayVMOutput -XX:+PrintCommandLineFlags");
    Result on17 = run(env, "capture", "--help");
    env.put("JAVA_HOME", jdk25.get().toString());
    Result capture = run(env, "capture", "--help");
    Result list = run(env, "list", "--help");

    assertEquals(0, on17.status(), on17::err);
    assertFalse(on17.out().contains("SkipTier2IfPossible"), "JDK 17 has no such option: " + on17.out());
    assertEquals(0, capture.status(), capture::err);
    String flags = capture.out().lines().filter(l -> l.contains("-XX:")).findFirst().orElse(capture.out());
    assertTrue(flags.contains("-XX:+SkipTier2IfPossible") && flags.contains("CompilerDirectivesFile"), flags);
    assertEquals(0, list.status(), list::err);
    assertFalse(list.out().contains("SkipTier2IfPossible"), "C1 only: nothing to skip: " + list.out());
  }

  @Test
  @Order(3)
  void theJarsChecksumIsKeptBesideItsSizeTimeAndInodeAndTrustedOnlyWhileTheyMatch()
      throws IOException, InterruptedException {
    Path ownJar = tmp.resolve("jar/snapshotkit.jar");
    Files.createDirectories(ownJar.getParent());
    Files.copy(jar, ownJar);
    Path ownCache = tmp.resolve("cache");
    Map<String, String> env = onlyJdk17(tmp.resolve("home"), ownCache, "sync");
    env.put("SNAPSHOTKIT_JAR", ownJar.toString());
    Result first = run(env, "list", "--version");
    assertEquals(0, first.status(), first::err);
    String realSum = cksum(ownJar);
    Path memo;
    try (Stream<Path> files = Files.list(ownCache.resolve("snapshotkit"))) {
      memo = files.filter(f -> f.getFileName().toString().endsWith(".sum")).findFirst().orElseThrow();
    }
    String line = Files.readString(memo).strip();
    assertEquals(realSum, line.substring(line.indexOf('|') + 1), "the memo holds the jar's cksum: " + line);
    String cacheLine = first.out().lines().filter(l -> l.startsWith("Start-up cache: ")).findFirst().orElseThrow();
    assertTrue(cacheLine.contains("-" + realSum.replace(' ', '-') + "-"), cacheLine);

    // trusted while the key matches: a made-up checksum (with a failed mark, so no training) is used
    String key = line.substring(0, line.indexOf('|'));
    Files.writeString(memo, key + "|1 2\n");
    Path cacheFile = Path.of(cacheLine.substring("Start-up cache: ".length()));
    Files.createFile(cacheFile.resolveSibling(cacheFile.getFileName().toString()
        .replace("-" + realSum.replace(' ', '-') + "-", "-1-2-") + ".failed"));
    Result trusted = run(env, "list", "--version");
    assertEquals(0, trusted.status(), trusted::err);
    assertTrue(trusted.out().contains("Start-up cache: none"), "the memo's checksum was used: " + trusted.out());

    // another size, time or inode, or a damaged line: the jar is read again and the memo rewritten
    for (String stale : List.of("1 2 3|1 2", "garbage", "")) {
      Files.writeString(memo, stale + "\n");
      Result again = run(env, "list", "--version");
      assertEquals(0, again.status(), again::err);
      assertTrue(again.out().contains(cacheLine), stale + ": " + again.out());
      assertEquals(key + "|" + realSum, Files.readString(memo).strip(), stale);
    }
  }

  /** What {@code cksum <file>} prints: the jar's checksum as the launcher computes it. */
  private static String cksum(Path file) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("sh", "-c", "cksum < \"$0\"", file.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertEquals(0, p.waitFor(), out);
    return out;
  }

  @Test
  @Order(2)
  void jvmFlagsOfTheUserReplaceTheCache() throws IOException, InterruptedException {
    Map<String, String> env = onlyJdk17(tmp.resolve("home"), cacheHome, "auto");
    env.put("SNAPSHOTKIT_JVM_FLAGS", "");
    Result r = run(env, "list", "--version");

    assertEquals(0, r.status(), r::err);
    assertTrue(r.out().contains("Start-up cache: none"), r.out());
  }

  @Test
  @Order(3)
  void aCorruptCacheIsIgnoredAndTheCommandRuns() throws IOException, InterruptedException {
    Path ownCache = tmp.resolve("cache");
    Path copy = ownCache.resolve("snapshotkit").resolve(cachedFile("jsa").getFileName());
    Files.createDirectories(copy.getParent());
    byte[] garbage = new byte[1 << 20];
    new Random(3).nextBytes(garbage);
    Files.write(copy, garbage);
    Files.setLastModifiedTime(copy, FileTime.from(Instant.now()));

    Map<String, String> env = onlyJdk17(tmp.resolve("home"), ownCache, "auto");
    Result init = run(env, "init");
    Result list = run(env, "list");

    assertEquals(0, init.status(), init::err);
    assertEquals(0, list.status(), list::err);
    assertTrue(list.out().startsWith("No snapshots yet."), list.out());
    assertEquals("", list.err(), "the JVM's complaints about the archive must not reach the user");
  }

  @Test
  @Order(4)
  void anUnwritableCacheDirectoryMeansNoCacheNotAFailure() throws IOException, InterruptedException {
    // a regular file where the cache directory should be: no process, root included, can create it
    Path notADirectory = Files.writeString(tmp.resolve("cache-is-a-file"), "x");
    for (String mode : List.of("sync", "auto")) {
      Map<String, String> env = onlyJdk17(tmp.resolve("home"), notADirectory, mode);
      Result r = run(env, "list", "--version");

      assertEquals(0, r.status(), r::err);
      assertTrue(r.out().contains("Start-up cache: none"), r.out());
      assertEquals("", r.err());
    }
  }

  @Test
  @Order(5)
  void aReadOnlyHomeMeansNoCacheNotAFailure() throws IOException, InterruptedException {
    Path home = Files.createDirectories(tmp.resolve("readonly-home"));
    Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("r-xr-xr-x"));
    Path blocked = Files.writeString(tmp.resolve("home-is-a-file"), "x");
    try {
      // the read-only directory blocks the cache unless this runs as root; a file as HOME always does
      List<Path> homes = Files.isWritable(home) ? List.of(blocked) : List.of(home, blocked);
      int n = 0;
      for (Path userHome : homes) {
        Map<String, String> env = onlyJdk17(tmp.resolve("snapshotkit-home" + n++), null, "sync");
        env.put("HOME", userHome.toString());
        Result init = run(env, "init");
        Result r = run(env, "list");

        assertEquals(0, init.status(), init::err);
        assertEquals(0, r.status(), r::err);
        assertTrue(r.out().startsWith("No snapshots yet."), r.out());
        assertEquals("", r.err());
      }
    } finally {
      Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
  }

  @Test
  @Order(3)
  void versionAloneRunsWithoutTheCacheWhichWouldCostItMore() throws IOException, InterruptedException {
    Result r = run(onlyJdk17(tmp.resolve("home"), cacheHome, "auto"), "--version");

    assertEquals(0, r.status(), r::err);
    assertTrue(r.out().contains("Start-up cache: none"), r.out());
  }

  @Test
  @Order(6)
  void javaHomeOlderThan17WithNothingNewerIsOneClearError() throws IOException, InterruptedException {
    Path old = fakeJdk(tmp.resolve("jdk-11"), "11.0.22");
    Path fakeBin = Files.createDirectories(tmp.resolve("bin"));
    Files.createSymbolicLink(fakeBin.resolve("java"), old.resolve("bin/java"));
    Map<String, String> env = baseEnv(tmp.resolve("home"), tmp.resolve("cache"), "auto");
    env.put("JAVA_HOME", old.toString());
    env.put("PATH", fakeBin + ":/usr/bin:/bin");

    Result r = run(env, "list");

    assertEquals(127, r.status(), r::out);
    assertEquals(1, r.errLines().size(), r.err());
    assertEquals("snapshotkit: JAVA_HOME (" + old + ") is Java 11 and no Java 17 or later was found on PATH or in "
        + "the usual places; install one, or set JAVA_HOME to it", r.errLines().get(0));
    assertEquals("", r.out());
  }

  @Test
  @Order(7)
  void javaHomeOlderThan17IsSkippedForANewerJdk() throws IOException, InterruptedException {
    Path old = fakeJdk(tmp.resolve("jdk-11"), "11.0.22");
    Map<String, String> env = onlyJdk17(tmp.resolve("home"), tmp.resolve("cache"), "off");
    env.put("JAVA_HOME", old.toString());

    Result r = run(env, "--version");

    assertEquals(0, r.status(), r::err);
    assertTrue(r.out().contains("Java 17.") && r.out().contains(" at " + jdk17), r.out());
  }

  @Test
  @Order(8)
  void theNewestJdkFoundWinsOverAnOlderJavaHome() throws IOException, InterruptedException {
    // a "JDK 99" in a searched directory whose java notes that it ran, then runs the real JDK 17
    Path newest = tmp.resolve("jdks/jdk-99");
    Path marker = tmp.resolve("jdk-99-ran");
    Files.createDirectories(newest.resolve("bin"));
    Files.writeString(newest.resolve("release"), "JAVA_VERSION=\"99.0.1\"\n");
    executable(newest.resolve("bin/java"), "#!/bin/sh\ntouch '" + marker + "'\nexec '" + jdk17.resolve("bin/java")
        + "' \"$@\"\n");
    Map<String, String> env = onlyJdk17(tmp.resolve("home"), tmp.resolve("cache"), "off");
    env.put("SNAPSHOTKIT_JAVA_SEARCH", tmp.resolve("jdks") + "/*");

    Result r = run(env, "--version");

    assertEquals(0, r.status(), r::err);
    assertTrue(Files.exists(marker), "the launcher ran JAVA_HOME's JDK 17, not the JDK 99 it found");
  }

  /**
   * A capture may hash every byte of a tree (a first capture) or only a few files (an incremental
   * one): C1 alone has no SHA-256 intrinsic, the full tiered JIT compiles the whole per-file path
   * with C2. So a capture and a restore run tiered with C2 allowed only for SHA-256 and FastCDC's
   * cut loop, and the JVM's note about the directive file stays off the JSON on stdout.
   */
  @Test
  @Order(10)
  void captureAndRestoreCompileOnlyHashingAndChunkingWithC2() throws IOException, InterruptedException {
    Path data = Files.createDirectories(tmp.resolve("data"));
    byte[] big = new byte[32 << 20];
    new Random(10).nextBytes(big);
    Files.write(data.resolve("big.bin"), big);
    Map<String, String> env = onlyJdk17(tmp.resolve("home"), cacheHome, "auto");
    assertEquals(0, run(env, "init").status());
    assertEquals(0, run(env, "track", "w", "data=" + data).status());

    for (String command : List.of("capture", "restore")) {
      Path jitLog = tmp.resolve(command + "-jit.log");
      env.put("JAVA_OPTS", "-Xlog:jit+compilation=debug:file=" + jitLog);
      Result r = command.equals("capture") ? run(env, "--json", "capture", "w")
          : run(env, "restore", "w@1", "--to", tmp.resolve("restored").toString());
      assertEquals(0, r.status(), r::err);
      if (command.equals("capture")) {
        assertTrue(r.out().startsWith("{"), "stdout is not the capture's JSON:\n" + r.out());
      }
      List<String> byC2 = compiledAtLevel4(Files.readAllLines(jitLog));
      assertTrue(byC2.stream().anyMatch(m -> m.startsWith("sun.security.provider.SHA2::implCompress")),
          command + ": SHA-256 was not compiled by C2: " + byC2);
      assertEquals(List.of(), byC2.stream().filter(m -> !m.startsWith("sun.security.provider.")
          && !m.startsWith("io.snapshotkit.fs.internal.chunk.FastCdc::")).toList(), command + ": compiled by C2");
    }
    assertEquals(-1, Files.mismatch(data.resolve("big.bin"), tmp.resolve("restored/data/big.bin")));
  }

  /** The methods a {@code -Xlog:jit+compilation=debug} log shows compiled at tier 4 (C2). */
  private static List<String> compiledAtLevel4(List<String> log) {
    List<String> methods = new ArrayList<>();
    for (String line : log) {
      // [0.2s][info][jit,compilation]   2355   %  !  4       pkg.Class::method (448 bytes)
      String[] t = line.substring(line.indexOf("compilation]") + "compilation]".length()).trim().split("\\s+");
      int i = 1;
      while (i < t.length && t[i].matches("[%sbn!]+")) {
        i++;
      }
      if (i + 1 < t.length && t[i].equals("4")) {
        methods.add(t[i + 1]);
      }
    }
    return methods;
  }

  @Test
  @Order(100)
  void aChangedJarGetsOneNewCacheEvenFromConcurrentFirstRunsAndTheStaleOneIsRemoved() throws Exception {
    Path before = cachedFile("jsa");
    try (FileSystem zip = FileSystems.newFileSystem(URI.create("jar:" + jar.toUri()), Map.of())) {
      Files.writeString(zip.getPath("META-INF", "snapshotkit-launcher-it.txt"), "a changed jar");
    }
    Map<String, String> env = onlyJdk17(tmp.resolve("home"), cacheHome, "sync");

    // two first runs at once: one trains, the other finds its lock and runs without a cache
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<Result>> runs = List.of(pool.submit(() -> run(env, "list", "--version")),
          pool.submit(() -> run(env, "list", "--version")));
      for (Future<Result> f : runs) {
        Result r = f.get();
        assertEquals(0, r.status(), r::err);
        assertEquals("", r.err());
      }
    } finally {
      pool.shutdownNow();
    }
    Result r = run(env, "list", "--version");

    Path after = cachedFile("jsa");
    assertNotEquals(before, after);
    assertFalse(Files.exists(before), "the cache of the replaced jar is still there");
    assertTrue(r.out().contains("Start-up cache: " + after), r.out());
    Set<Path> expected = new java.util.HashSet<>(Set.of(after));
    for (NativeLibrary kind : NativeLibrary.values()) {
      Path library = libraryDirectory(cacheHome, kind);
      String jarKey = after.getFileName().toString().replaceFirst("-jdk.*", "-" + kind.kind + "-");
      assertTrue(library.getFileName().toString().startsWith(jarKey), library + " is not the changed jar's");
      expected.add(library);
    }
    // and the memo of the jar's checksum: one per jar path, rewritten for the changed jar
    String stem = after.getFileName().toString().replaceFirst("^(snapshotkit-[0-9]+)-.*", "$1");
    Path memo = after.resolveSibling(stem + ".sum");
    assertTrue(Files.readString(memo).strip().endsWith("|" + cksum(jar)), Files.readString(memo));
    expected.add(memo);
    try (Stream<Path> left = Files.list(cacheHome.resolve("snapshotkit"))) {
      assertEquals(expected, left.collect(Collectors.toSet()),
          "a training directory, lock, failure mark or a library of the replaced jar was left behind");
    }
  }

  // ---- helpers

  /** The one cache file of {@code kind} in the shared cache directory. */
  private static Path cachedFile(String kind) throws IOException {
    try (Stream<Path> files = Files.list(cacheHome.resolve("snapshotkit"))) {
      List<Path> found = files.filter(p -> p.toString().endsWith("." + kind)).toList();
      assertEquals(1, found.size(), () -> "cache files: " + found);
      return found.get(0);
    }
  }

  /** The one directory that holds the copy of {@code library} in the cache directory {@code xdg}. */
  private static Path libraryDirectory(Path xdg, NativeLibrary library) throws IOException {
    try (Stream<Path> files = Files.list(xdg.resolve("snapshotkit"))) {
      List<Path> found = files.filter(p -> p.getFileName().toString().contains("-" + library.kind + "-")).toList();
      assertEquals(1, found.size(), () -> library + " library directories: " + found);
      return found.get(0);
    }
  }

  /** The files of {@code library} that a JVM loaded, from its {@code -Xlog:library} log. */
  private static List<String> librariesLoaded(Path libraryLog, NativeLibrary library) throws IOException {
    // [1.813s][info][library] Loaded library /path/libsqlitejdbc.so, handle 0x00007f845c177b80
    String marker = "Loaded library ";
    return Files.readAllLines(libraryLog).stream().filter(l -> l.contains(marker) && l.contains(library.marker))
        .map(l -> l.substring(l.indexOf(marker) + marker.length(), l.lastIndexOf(", handle"))).toList();
  }

  /** An environment where JDK 17 is JAVA_HOME, the java on PATH and the only JDK searched. */
  private static Map<String, String> onlyJdk17(Path home, Path cache, String mode) throws IOException {
    Map<String, String> env = baseEnv(home, cache, mode);
    Path bin = Files.createDirectories(home.resolveSibling(home.getFileName() + "-bin"));
    Path java = bin.resolve("java");
    if (!Files.exists(java)) {
      executable(java, "#!/bin/sh\nexec '" + jdk17.resolve("bin/java") + "' \"$@\"\n");
    }
    env.put("JAVA_HOME", jdk17.toString());
    env.put("PATH", bin + ":/usr/bin:/bin");
    return env;
  }

  private static Map<String, String> baseEnv(Path home, Path cache, String mode) {
    Map<String, String> env = new HashMap<>();
    env.put("SNAPSHOTKIT_HOME", home.toString());
    env.put("SNAPSHOTKIT_JAR", jar.toString());
    env.put("SNAPSHOTKIT_JAVA_SEARCH", "");
    env.put("SNAPSHOTKIT_CACHE", mode);
    if (cache != null) {
      env.put("XDG_CACHE_HOME", cache.toString());
    }
    return env;
  }

  private static Result run(Map<String, String> env, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(LAUNCHER.toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    Map<String, String> penv = pb.environment();
    for (String name : List.of("JAVA_HOME", "JAVA_OPTS", "SNAPSHOTKIT_JVM_FLAGS", "SNAPSHOTKIT_JAVA_SEARCH",
        "SNAPSHOTKIT_CACHE", "XDG_CACHE_HOME", "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS")) {
      penv.remove(name);
    }
    penv.putAll(env);
    Path out = Files.createTempFile(shared, "out", ".txt");
    Path err = Files.createTempFile(shared, "err", ".txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("snapshotkit " + String.join(" ", args) + " did not finish in 300 s");
    }
    return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  /** A directory that looks like a JDK of {@code version}: a release file and a java that prints it. */
  private static Path fakeJdk(Path dir, String version) throws IOException {
    Files.createDirectories(dir.resolve("bin"));
    Files.writeString(dir.resolve("release"), "JAVA_VERSION=\"" + version + "\"\n");
    executable(dir.resolve("bin/java"), "#!/bin/sh\necho 'openjdk version \"" + version
        + "\" 2024-01-16' >&2\nexit 0\n");
    return dir;
  }

  private static void executable(Path file, String script) throws IOException {
    Files.writeString(file, script);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  /** This JVM's home if it is a JDK 17, else the first JDK 17 in /usr/lib/jvm. */
  private static Optional<Path> jdk17() throws IOException {
    return jdk(17);
  }

  /** A JDK of this feature version: the one running the tests, or one in /usr/lib/jvm. */
  private static Optional<Path> jdk(int feature) throws IOException {
    Path self = Path.of(System.getProperty("java.home"));
    if (Runtime.version().feature() == feature && Files.isExecutable(self.resolve("bin/java"))) {
      return Optional.of(self);
    }
    Path jvms = Path.of("/usr/lib/jvm");
    if (!Files.isDirectory(jvms)) {
      return Optional.empty();
    }
    try (Stream<Path> homes = Files.list(jvms)) {
      return homes.sorted().filter(h -> Files.isExecutable(h.resolve("bin/java"))).filter(h -> {
        try {
          return Files.readString(h.resolve("release")).contains("JAVA_VERSION=\"" + feature + ".");
        } catch (IOException e) {
          return false;
        }
      }).findFirst();
    }
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> walk = Files.walk(root)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    }
  }
}
