package io.snapshotkit.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Manifest;
import io.snapshotkit.RestoreMode;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.RestoreSpec;
import io.snapshotkit.spi.RestoreRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.AfterTry;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Throws generated names, workload ids, snapshot ids, restore paths, restore targets and
 * manifests at a real engine (SQLite store) and a real {@code FsHostAgent}. Every rejection must
 * be a {@link SnapshotException} with the documented code, never another exception type; and
 * after every try the sentinel tree planted beside the repository and the volumes keeps its
 * checksum, the volume keeps its content, and nothing new appears in the deployment directory.
 *
 * <p>Tries per property: jqwik's default, set from {@code reliability.sequences} (CI 200, {@code -Psoak} 2000).
 */
class InputFuzzTest {
  private static final WorkloadRef WS = WorkloadRef.of("fuzz", "ws");
  private static FsWorld world;
  private static Path data;
  private static Snapshot snapshot;
  private static String sentinelSum;
  private static TreeMap<String, String> volumeTree;
  private static Set<String> baseEntries;

  @BeforeContainer
  static void setUp() throws IOException {
    world = FsWorld.create(Files.createTempDirectory("sk-fuzz"));
    data = world.track(WS);
    Files.createDirectories(data.resolve("dir/sub"));
    Files.writeString(data.resolve("a.txt"), "alpha", StandardCharsets.UTF_8);
    Files.writeString(data.resolve("dir/b.txt"), "bravo", StandardCharsets.UTF_8);
    Files.writeString(data.resolve("dir/sub/c.bin"), "charlie", StandardCharsets.UTF_8);
    // A link that points at the sentinel: captured and restored as a link, never followed.
    Files.createSymbolicLink(data.resolve("escape"), world.sentinel);
    Files.createSymbolicLink(data.resolve("escape-rel"), Path.of("../../../sentinel/nested"));
    snapshot = world.engine().capture(CaptureSpec.of(WS).name("base"));
    sentinelSum = Sentinel.checksum(world.sentinel);
    volumeTree = Sentinel.read(data);
    baseEntries = topLevel(world.base);
  }

  @AfterContainer
  static void tearDown() {
    if (world != null) {
      world.close();
    }
  }

  @AfterTry
  void nothingOutsideWasTouched() {
    assertEquals(sentinelSum, Sentinel.checksum(world.sentinel), "the sentinel tree beside the repository changed");
    TreeMap<String, String> now = Sentinel.read(data);
    if (!now.equals(volumeTree)) {
      // remove what appeared, so that one finding does not fail every later property too
      for (String extra : now.keySet()) {
        if (!volumeTree.containsKey(extra)) {
          try {
            deleteTree(data.resolve(extra));
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      }
      assertEquals(volumeTree, now, "the live volume changed");
    }
    assertEquals(baseEntries, topLevel(world.base), "something new appeared beside the repository and volumes");
  }

  // ---------------------------------------------------------------- generators

  private static final List<String> NASTY = List.of("", " ", ".", "..", "../", "../..", "/", "//", "\\", "a/b",
      "a\\b", "..\\..", "\u0000", "a\u0000b", "\n", "\r\n", "\t", "\u007f", "\u202e", "-rf", "-", ".hidden",
      " padded ", "x".repeat(64), "x".repeat(65), "x".repeat(129), "日本語", "😀", "con", "nul:", "a:b", "~",
      "$HOME", "${jndi:x}", "%2e%2e%2f", "data", "data:", "data:..", "data:../..", "data:/etc", "data:a/../../x",
      "data:escape", "data:escape/secret.txt", "data:escape-rel/x", "sentinel", "../sentinel", "data:dir/../../..");

  @Provide
  Arbitrary<String> names() {
    return Arbitraries.oneOf(
        Arbitraries.of(NASTY),
        Arbitraries.strings().all().ofMaxLength(80),
        Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(70),
        segments());
  }

  /** Path-like text built from dangerous segments. */
  @Provide
  Arbitrary<String> segments() {
    Arbitrary<String> segment = Arbitraries.of("..", ".", "data", "dir", "sub", "a.txt", "escape", "escape-rel",
        "secret.txt", "sentinel", "", "\u0000", "x y", "😀", "%2e%2e", "nested");
    return Arbitraries.oneOf(
        segment.list().ofMinSize(1).ofMaxSize(6).map(l -> String.join("/", l)),
        segment.list().ofMinSize(1).ofMaxSize(6).map(l -> "data:" + String.join("/", l)),
        segment.list().ofMinSize(1).ofMaxSize(6).map(l -> "/" + String.join("/", l)));
  }

  @Provide
  Arbitrary<List<String>> restorePaths() {
    return Arbitraries.oneOf(Arbitraries.of(NASTY), segments(), Arbitraries.strings().all().ofMaxLength(30))
        .list().ofMinSize(1).ofMaxSize(4);
  }

  /** Targets that are never a legitimate new directory: relative, empty, root, inside the repository. */
  @Provide
  Arbitrary<String> badTargets() {
    return Arbitraries.oneOf(
        Arbitraries.of("", ".", "..", "/", "//", "relative/dir", "../escape", "\u0000", "/\u0000x"),
        Arbitraries.strings().all().ofMaxLength(40).filter(s -> !s.startsWith("/")),
        segments().filter(s -> !s.startsWith("/")),
        Arbitraries.of("repo", "repo/snapshots", "repo/../repo/x", "").map(s -> world.base.resolve("repo") + "/" + s));
  }

  @Provide
  Arbitrary<byte[]> manifests() {
    byte[] valid = Manifest.of(world.clock.instant(), WS, false, java.util.Map.of()).toJson();
    String json = new String(valid, StandardCharsets.UTF_8);
    Arbitrary<byte[]> mutated = Arbitraries.integers().between(0, json.length() - 1)
        .flatMap(at -> Arbitraries.strings().all().ofMaxLength(6)
            .map(s -> (json.substring(0, at) + s + json.substring(at)).getBytes(StandardCharsets.UTF_8)));
    Arbitrary<byte[]> truncated = Arbitraries.integers().between(0, json.length() - 1)
        .map(n -> json.substring(0, n).getBytes(StandardCharsets.UTF_8));
    Arbitrary<byte[]> fields = Arbitraries.of(
        "{}", "[]", "null", "1", "\"x\"", "{\"families\":{\"f\":[{\"id\":1}]}}",
        "{\"schemaVersion\":1,\"capturedAt\":\"2026-01-01T00:00:00Z\",\"tenant\":\"../t\",\"workload\":\"w\"}",
        "{\"schemaVersion\":1,\"capturedAt\":\"yesterday\",\"tenant\":\"t\",\"workload\":\"w\"}",
        "{\"schemaVersion\":-1,\"capturedAt\":\"2026-01-01T00:00:00Z\",\"tenant\":\"t\",\"workload\":\"w\"}",
        "{\"schemaVersion\":1,\"capturedAt\":\"2026-01-01T00:00:00Z\",\"tenant\":\"t\",\"workload\":\"w\","
            + "\"families\":{\"f\":[{\"id\":\"a\",\"key\":\"k\"},{\"id\":\"b\",\"key\":\"k\"}]}}",
        "{\"schemaVersion\":1,\"capturedAt\":\"2026-01-01T00:00:00Z\",\"tenant\":\"t\",\"workload\":\"w\","
            + "\"families\":{\"f\":[{\"id\":\"a\",\"key\":\"\"}]}}")
        .map(s -> s.getBytes(StandardCharsets.UTF_8));
    return Arbitraries.oneOf(mutated, truncated, fields, Arbitraries.bytes().array(byte[].class).ofMaxSize(64));
  }

  // ---------------------------------------------------------------- properties

  /** Capped at 80 tries: every accepted name costs a real, fsynced capture (about 0.25 s on 2 shared cores). */
  @Property(tries = 80)
  @Label("a capture name is accepted or rejected as INVALID_ARGUMENT, and an accepted one is stored trimmed")
  void captureNames(@ForAll("names") String name) {
    Optional<Snapshot> s = attempt(EnumSet.of(ErrorCode.INVALID_ARGUMENT),
        () -> world.engine().capture(CaptureSpec.of(WS).name(name)));
    if (s.isPresent()) {
      assertEquals(escape(name.trim()), escape(s.get().name()), "the name as returned");
      assertEquals(escape(name.trim()), escape(world.engine().get(WS.tenant(), s.get().id()).name()), "the name as stored");
      assertTrue(name.trim().length() <= CaptureSpec.MAX_NAME_LENGTH && !name.trim().contains("/")
          && !name.trim().contains("\\") && !name.trim().startsWith(".") && !name.trim().startsWith("-"),
          "an unsafe name was accepted: " + escape(name));
    }
  }

  @Property
  @Label("a workload id or tenant is valid or INVALID_ARGUMENT; an unknown valid workload is NOT_FOUND everywhere")
  void workloadIds(@ForAll("names") String tenant, @ForAll("names") String id) {
    Optional<WorkloadRef> w = attempt(EnumSet.of(ErrorCode.INVALID_ARGUMENT), () -> WorkloadRef.of(tenant, id));
    if (w.isEmpty() || w.get().equals(WS)) {
      return;
    }
    WorkloadRef unknown = w.get();
    attemptRejected(EnumSet.of(ErrorCode.NOT_FOUND), () -> world.engine().capture(CaptureSpec.of(unknown)));
    attemptRejected(EnumSet.of(ErrorCode.NOT_FOUND), () -> world.engine().rollback(unknown, 1));
    attemptRejected(EnumSet.of(ErrorCode.NOT_FOUND), () -> world.agent().describe(unknown));
    attemptRejected(EnumSet.of(ErrorCode.NOT_FOUND), () -> world.agent().diff(unknown, snapshot.id(), Optional.empty()));
    assertTrue(world.engine().versions(unknown).isEmpty());
    attempt(EnumSet.noneOf(ErrorCode.class), () -> world.agent().delete(unknown, snapshot.id()));
    assertTrue(world.agent().snapshots(WS).contains(snapshot.id()),
        "deleting the snapshot under another workload removed it");
  }

  @Property
  @Label("snapshot ids that are not ids are INVALID_ARGUMENT; unknown ones are NOT_FOUND")
  void snapshotIds(@ForAll("names") String text) {
    Optional<SnapshotId> id = attempt(EnumSet.of(ErrorCode.INVALID_ARGUMENT), () -> SnapshotId.parse(text));
    if (id.isPresent() && !id.get().equals(snapshot.id())) {
      attemptRejected(EnumSet.of(ErrorCode.NOT_FOUND), () -> world.engine().get(WS.tenant(), id.get()));
      attemptRejected(EnumSet.of(ErrorCode.NOT_FOUND),
          () -> world.engine().restore(WS.tenant(), id.get(), RestoreSpec.additive()));
      attemptRejected(EnumSet.of(ErrorCode.NOT_FOUND), () -> {
        world.engine().delete(WS.tenant(), id.get());
        return Boolean.TRUE;
      });
    }
  }

  @Property
  @Label("restore path selections never write outside the volume: accepted, or INVALID_ARGUMENT")
  void restorePaths(@ForAll("restorePaths") List<String> paths) {
    for (RestoreSpec spec : List.of(RestoreSpec.additive().paths(paths),
        RestoreSpec.replace().paths(paths).preRestoreSnapshot(false))) {
      attempt(EnumSet.of(ErrorCode.INVALID_ARGUMENT, ErrorCode.NOT_FOUND),
          () -> world.engine().restore(WS.tenant(), snapshot.id(), spec));
    }
  }

  /**
   * Found by {@link #restorePaths}: a replace restore of a selected path the snapshot does not have
   * created that path's parent directories in the live volume ({@code x}, {@code x/y}).
   */
  @Example
  @Label("a replace restore of a path the snapshot lacks creates nothing in the live volume")
  void replaceOfAMissingPathCreatesNothing() {
    attempt(EnumSet.of(ErrorCode.INVALID_ARGUMENT, ErrorCode.NOT_FOUND), () -> world.engine().restore(WS.tenant(),
        snapshot.id(), RestoreSpec.replace().paths(List.of("data:x/y/z")).preRestoreSnapshot(false)));
    // nothingOutsideWasTouched (after every try) compares the volume with its tree before
  }

  @Property
  @Label("restore targets that are relative, empty, the root or inside the repository are INVALID_ARGUMENT")
  void restoreTargets(@ForAll("badTargets") String target) {
    attemptRejected(EnumSet.of(ErrorCode.INVALID_ARGUMENT),
        () -> world.engine().restore(WS.tenant(), snapshot.id(), RestoreSpec.additive().target(target)));
  }

  @Property
  @Label("manifest bytes parse or are CORRUPT; an agent given any manifest for an unknown snapshot says NOT_FOUND")
  void manifests(@ForAll("manifests") byte[] json, @ForAll("restorePaths") List<String> paths) {
    Optional<Manifest> m = attempt(EnumSet.of(ErrorCode.CORRUPT), () -> Manifest.fromJson(json));
    Manifest manifest = m.orElse(Manifest.of(world.clock.instant(), WS, false, java.util.Map.of()));
    SnapshotId unknown = SnapshotId.generate(world.clock.instant(), new java.util.Random(json.length));
    for (RestoreMode mode : RestoreMode.values()) {
      attemptRejected(EnumSet.of(ErrorCode.NOT_FOUND),
          () -> world.agent().restore(new RestoreRequest(WS, unknown, manifest, mode, Optional.empty(), paths)));
      // the real snapshot with a foreign manifest: the agent trusts its repository, not the request
      attempt(EnumSet.of(ErrorCode.INVALID_ARGUMENT, ErrorCode.NOT_FOUND),
          () -> world.agent().restore(new RestoreRequest(WS, snapshot.id(), manifest, mode, Optional.empty(), paths)));
    }
  }

  @Property(tries = 30)
  @Label("a directory replaced by a symlink to the sentinel is never written through by a restore")
  void symlinkSwapDoesNotEscape(@ForAll("linkTargets") String target, @ForAll boolean additive) throws IOException {
    Path dir = data.resolve("dir");
    Path moved = world.base.resolve("moved-dir");
    Files.move(dir, moved);
    try {
      Files.createSymbolicLink(dir, Path.of(target));
      RestoreSpec spec = additive ? RestoreSpec.additive() : RestoreSpec.replace().preRestoreSnapshot(false);
      attempt(EnumSet.of(ErrorCode.INVALID_ARGUMENT, ErrorCode.CONFLICT, ErrorCode.CORRUPT),
          () -> world.engine().restore(WS.tenant(), snapshot.id(), spec));
      assertEquals(sentinelSum, Sentinel.checksum(world.sentinel), "a restore wrote through a symlink into the sentinel");
    } finally {
      if (Files.isSymbolicLink(dir)) {
        Files.delete(dir);
      }
      if (Files.exists(dir)) {
        deleteTree(dir);
      }
      Files.move(moved, dir);
    }
  }

  @Provide
  Arbitrary<String> linkTargets() {
    return Arbitraries.of(world.sentinel.toString(), world.sentinel.resolve("nested").toString(),
        "../../../sentinel", "../../../sentinel/nested", "../../../sentinel/secret.txt", "/", "..");
  }

  // ---------------------------------------------------------------- helpers

  private interface Call<T> {
    T run();
  }

  /** Runs {@code call}; a failure must be a SnapshotException with one of {@code allowed}. */
  private static <T> Optional<T> attempt(Set<ErrorCode> allowed, Call<T> call) {
    try {
      return Optional.ofNullable(call.run());
    } catch (SnapshotException e) {
      if (!allowed.contains(e.code())) {
        throw new AssertionError("expected success or " + allowed + " but got " + e.code() + ": " + e.getMessage(), e);
      }
      assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), "a rejection without a message");
      return Optional.empty();
    } catch (RuntimeException e) {
      throw new AssertionError("a caller's input produced " + e.getClass().getName()
          + " instead of a SnapshotException: " + e.getMessage(), e);
    }
  }

  /** As {@link #attempt}, but success is a failure too. */
  private static void attemptRejected(Set<ErrorCode> allowed, Call<?> call) {
    if (attempt(allowed, call).isPresent()) {
      fail("expected a rejection with " + allowed + " but the call succeeded");
    }
  }

  private static String escape(String s) {
    StringBuilder out = new StringBuilder();
    s.codePoints().forEach(c -> out.append(c < 0x20 || c > 0x7e ? String.format("\\u%04x", c) : String.valueOf((char) c)));
    return out.toString();
  }

  private static Set<String> topLevel(Path dir) {
    try (Stream<Path> list = Files.list(dir)) {
      // SQLite's -wal and -shm files come and go with the store's connections
      return list.map(p -> p.getFileName().toString()).map(n -> n.startsWith("store.db") ? "store.db" : n).collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
