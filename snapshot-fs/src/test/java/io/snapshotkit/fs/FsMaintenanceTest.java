package io.snapshotkit.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Manifest;
import io.snapshotkit.RestoreMode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.DeleteOutcome;
import io.snapshotkit.spi.RestoreOutcome;
import io.snapshotkit.spi.RestoreRequest;
import io.snapshotkit.spi.VerifyOutcome;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Delete, gc, integrity check, volume mapping and builder rules of the agent, on real directories. */
class FsMaintenanceTest {
  private static final WorkloadRef APP = WorkloadRef.of("acme", "app");
  private static final WorkloadRef OTHER = WorkloadRef.of("acme", "other");
  @TempDir Path dir;
  private FsHostAgent agent;
  private Path data;
  private int ids;

  @BeforeEach
  void start() {
    agent = open();
    data = dir.resolve("live/data");
    Trees.write(data.resolve("small.txt"), "small");
    Trees.write(data.resolve("big.bin"), random(2 << 20, 1));
    agent.track(APP, Map.of("data", data));
    Path other = dir.resolve("live/other");
    Trees.write(other.resolve("note.txt"), "another workload");
    agent.track(OTHER, Map.of("other", other));
  }

  /** An agent whose 2 MiB test file is chunked (over the 1 MiB threshold), so chunk damage and reclaim show cheaply. */
  private FsHostAgent open() {
    return FsHostAgent.builder().repository(dir.resolve("repo")).packLimit(1 << 20).build();
  }

  @AfterEach
  void close() {
    agent.close();
  }

  private static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new SplittableRandom(seed).nextBytes(b);
    return b;
  }

  private SnapshotId capture(WorkloadRef w) {
    ids++;
    SnapshotId id = SnapshotId.generate(Instant.parse("2026-01-01T00:00:00Z").plusSeconds(ids), new SplittableRandom(ids));
    agent.capture(new CaptureRequest(w, id, Optional.empty(), Optional.empty(), false));
    return id;
  }

  private RestoreOutcome restoreInto(SnapshotId id, Path target) {
    Manifest m = agent.repository().manifest(APP, id).orElseThrow();
    return agent.restore(new RestoreRequest(APP, id, m, RestoreMode.ADDITIVE, Optional.of(target.toString()), List.of()));
  }

  private List<Path> files(String sub) throws IOException {
    try (Stream<Path> walk = Files.walk(dir.resolve("repo").resolve(sub))) {
      return walk.filter(Files::isRegularFile).sorted().toList();
    }
  }

  /** The largest pack: the one holding the 2 MiB file's chunks. */
  private Path biggestPack() throws IOException {
    return files("packs").stream().max(java.util.Comparator.comparingLong(p -> p.toFile().length())).orElseThrow();
  }

  private long repositoryBytes() throws IOException {
    try (Stream<Path> walk = Files.walk(dir.resolve("repo"))) {
      return walk.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  /** How many chunks FastCDC cuts {@code data} into. */
  private static int chunkCount(byte[] data) throws IOException {
    io.snapshotkit.fs.internal.chunk.FastCdc cdc =
        new io.snapshotkit.fs.internal.chunk.FastCdc(new java.io.ByteArrayInputStream(data));
    int n = 0;
    while (cdc.next() != null) {
      n++;
    }
    return n;
  }

  private static void flipByte(Path file, long at) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0x5A);
    }
  }

  @Test
  @DisplayName("an additive restore from a damaged pack reports each unwritten file with its path, reason and CORRUPT")
  void additiveRestoreFromDamagedPackReportsEachFailedFile() throws IOException {
    Trees.write(data.resolve("sub/second.txt"), "second small file");
    SnapshotId a = capture(APP);
    // the snapshot's trees are packed apart from file content: the biggest pack holds the files,
    // and its middle is inside one of the large file's (incompressible) chunks
    List<Path> packs = List.of(biggestPack());
    flipByte(packs.get(0), Files.size(packs.get(0)) / 2);

    RestoreOutcome outcome = restoreInto(a, dir.resolve("restored"));

    io.snapshotkit.FamilyRestore files = outcome.families().get(FsHostAgent.FAMILY);
    assertEquals(1, files.failures().size(), "a damaged chunk fails the one file made of it: " + files.failures());
    for (io.snapshotkit.RestoreFailure f : files.failures()) {
      assertEquals("data:big.bin", f.resource(), f.toString());
      assertEquals(ErrorCode.CORRUPT, f.code(), f.toString());
      assertFalse(f.reason().contains("nothing was restored"), "other files were restored: " + f.reason());
      assertFalse(Files.exists(dir.resolve("restored").resolve(f.resource().replace(':', '/'))), "no torn file is left");
    }
    assertEquals(files.failures().stream().map(io.snapshotkit.RestoreFailure::line).toList(), files.errors());
    assertTrue(Files.exists(dir.resolve("restored/data/small.txt")), "the undamaged files are still restored");
    assertTrue(Files.exists(dir.resolve("restored/data/sub/second.txt")), "the undamaged files are still restored");
    assertTrue(files.created() > 0);
  }

  @Test
  @DisplayName("delete removes the manifest at once: restore and diff are NOT_FOUND, the other snapshots stay")
  void deleteIsImmediate() {
    SnapshotId a = capture(APP);
    SnapshotId b = capture(APP);
    assertEquals(DeleteOutcome.DELETED, agent.delete(APP, a));
    assertEquals(List.of(b), agent.snapshots(APP));
    assertEquals(ErrorCode.NOT_FOUND, assertThrows(SnapshotException.class,
        () -> agent.diff(APP, a, Optional.empty(), c -> { })).code());
    Manifest m = agent.repository().manifest(APP, b).orElseThrow();
    assertEquals(ErrorCode.NOT_FOUND, assertThrows(SnapshotException.class, () -> agent.restore(
        new RestoreRequest(APP, a, m, RestoreMode.ADDITIVE, Optional.empty(), List.of()))).code());
    assertEquals(DeleteOutcome.NOT_FOUND, agent.delete(APP, a));
    assertEquals(DeleteOutcome.NOT_FOUND, agent.delete(OTHER, b), "snapshots are per workload");
    assertTrue(agent.check(false).ok());
  }

  @Test
  @DisplayName("gc reclaims content only deleted snapshots referenced, and every kept snapshot still restores")
  void gcReclaims() throws IOException {
    SnapshotId a = capture(APP);
    Trees.write(data.resolve("big.bin"), random(2 << 20, 2));
    SnapshotId b = capture(APP);
    GcReport nothing = agent.gc();
    assertEquals(0, nothing.contentsRemoved(), "both snapshots still reference their content");

    long before = repositoryBytes();
    agent.delete(APP, a);
    GcReport report = agent.gc();
    assertEquals(chunkCount(random(2 << 20, 1)) + 2, report.contentsRemoved(),
        "the first big version's chunks, its chunk list, and the volume's root tree that listed it");
    assertTrue(report.bytesReclaimed() > 2_000_000, "reclaimed " + report.bytesReclaimed());
    assertTrue(before - repositoryBytes() > 2_000_000, "the repository shrank by the first big version");
    assertTrue(agent.check(false).ok());
    Path target = dir.resolve("restored");
    restoreInto(b, target);
    assertEquals(Trees.state(data, false), Trees.state(target.resolve("data"), false));
  }

  @Test
  @DisplayName("gc merges the small packs that frequent captures leave into one, and every snapshot still restores")
  void gcMergesSmallPacks() throws IOException {
    List<SnapshotId> ids = new java.util.ArrayList<>();
    List<Map<String, String>> states = new java.util.ArrayList<>();
    for (int i = 0; i < 12; i++) {
      Trees.write(data.resolve("step-" + i + ".txt"), "step " + i);
      ids.add(capture(APP));
      states.add(Trees.state(data, false));
    }
    long packsBefore = files("packs").stream().filter(p -> p.toString().endsWith(".pack")).count();
    assertTrue(packsBefore >= 12, "each capture sealed its own pack: " + packsBefore);
    agent.gc();
    assertEquals(1, files("packs").stream().filter(p -> p.toString().endsWith(".pack")).count());
    assertTrue(agent.check(false).ok());
    for (int i : new int[] {0, 5, 11}) {
      Path target = dir.resolve("restored-" + i);
      restoreInto(ids.get(i), target);
      assertEquals(states.get(i), Trees.state(target.resolve("data"), false));
    }
    agent.close();
    agent = open();
    assertTrue(agent.check(false).ok(), "the merged pack's index is durable");
  }

  @Test
  @DisplayName("verify reads one snapshot's contents back: INTACT, then DAMAGED naming the file whose chunk is corrupt; another workload stays INTACT; an unknown snapshot is MISSING")
  void verifyReadsOneSnapshotBack() throws IOException {
    SnapshotId a = capture(APP);
    SnapshotId c = capture(OTHER);
    VerifyOutcome intact = agent.verify(APP, a, 1);
    assertEquals(VerifyOutcome.Status.INTACT, intact.status(), intact.toString());
    assertEquals(2, intact.contentsChecked(), "small.txt and big.bin");

    Path pack = biggestPack();
    flipByte(pack, Files.size(pack) / 2); // inside one of big.bin's chunks
    VerifyOutcome damaged = agent.verify(APP, a, 1);
    assertEquals(VerifyOutcome.Status.DAMAGED, damaged.status(), damaged.toString());
    assertEquals(1, damaged.problems().size(), damaged.toString());
    assertTrue(damaged.problems().get(0).startsWith("data:big.bin: "), damaged.problems().get(0));
    assertEquals(VerifyOutcome.Status.INTACT, agent.verify(OTHER, c, 1).status(), "only APP's content is damaged");

    SnapshotId unknown = SnapshotId.generate(Instant.parse("2026-02-01T00:00:00Z"), new SplittableRandom(99));
    assertEquals(VerifyOutcome.Status.MISSING, agent.verify(APP, unknown, 1).status());
    long sampled = agent.verify(APP, a, 0.5).contentsChecked();
    assertTrue(sampled <= 2, "a sample reads at most everything: " + sampled);
    assertEquals(sampled, agent.verify(APP, a, 0.5).contentsChecked(), "the same fraction reads the same contents");
    SnapshotException bad = assertThrows(SnapshotException.class, () -> agent.verify(APP, a, 0));
    assertEquals(ErrorCode.INVALID_ARGUMENT, bad.code());
  }

  @Test
  @DisplayName("check names the snapshots that reference a corrupted chunk as damaged, and their restore is CORRUPT")
  void checkFindsCorruptChunk() throws IOException {
    SnapshotId a = capture(APP);
    Trees.write(data.resolve("small.txt"), "small, changed");
    SnapshotId b = capture(APP);
    SnapshotId c = capture(OTHER);
    assertTrue(agent.check(false).ok());
    Path pack = biggestPack();
    flipByte(pack, Files.size(pack) / 2); // inside one of the large file's chunks

    CheckReport report = agent.check(false);
    assertFalse(report.ok());
    assertEquals(1, report.corrupt().size());
    assertEquals(List.of(), report.missing());
    assertEquals(List.of("acme/app/" + a.value(), "acme/app/" + b.value()), report.damagedSnapshots());
    assertFalse(report.damagedSnapshots().contains("acme/other/" + c.value()));
    assertEquals(ErrorCode.CORRUPT, assertThrows(SnapshotException.class, report::throwIfDamaged).code());
    Manifest m = agent.repository().manifest(APP, a).orElseThrow();
    assertEquals(ErrorCode.CORRUPT, assertThrows(SnapshotException.class, () -> agent.restore(new RestoreRequest(
        APP, a, m, RestoreMode.REPLACE, Optional.of(dir.resolve("replaced").toString()), List.of()))).code());
    assertFalse(Files.exists(dir.resolve("replaced/data")), "a failed replace leaves nothing behind");
    RestoreOutcome additive = restoreInto(a, dir.resolve("restored"));
    List<String> errors = additive.families().get(FsHostAgent.FAMILY).errors();
    assertEquals(1, errors.size(), errors.toString());
    assertTrue(errors.get(0).startsWith("data:big.bin"), errors.toString());
    assertFalse(Files.exists(dir.resolve("restored/data/big.bin")), "no torn file is left");
    assertTrue(Files.exists(dir.resolve("restored/data/small.txt")), "the other files are still restored");
  }

  @Test
  @DisplayName("check reports content missing from the repository, naming the snapshots that need it")
  void checkFindsMissingContent() throws IOException {
    SnapshotId a = capture(APP);
    SnapshotId c = capture(OTHER);
    agent.close();
    // the pack of the first capture goes, with its index: the small file and the large file's list
    Path pack = biggestPack();
    Files.delete(pack);
    String name = pack.getFileName().toString();
    Files.delete(dir.resolve("repo/index/i-" + name.substring(0, name.length() - ".pack".length()) + ".idx"));
    agent = open();
    CheckReport report = agent.check(false);
    assertEquals(2, report.missing().size(), report.missing().toString());
    assertEquals(List.of("acme/app/" + a.value()), report.damagedSnapshots());
    assertEquals(ErrorCode.CORRUPT, assertThrows(SnapshotException.class,
        () -> restoreInto(a, dir.resolve("restored"))).code(), "pre-flight refuses before writing anything");
    assertFalse(Files.exists(dir.resolve("restored/data/small.txt")));
    assertTrue(agent.repository().manifest(OTHER, c).isPresent());
  }

  @Test
  @DisplayName("check finds a damaged packed content too; sixteen sampled checks together verify everything once")
  void checkFindsCorruptPack() throws IOException {
    SnapshotId a = capture(APP);
    Path pack = files("packs").get(0);
    flipByte(pack, 7); // the first byte after the 6-byte pack header: the first content's frame
    CheckReport report = agent.check(false);
    assertEquals(1, report.corrupt().size());
    assertEquals(List.of("acme/app/" + a.value()), report.damagedSnapshots());
    long sampled = 0;
    boolean found = false;
    for (int i = 0; i < 16; i++) {
      CheckReport slice = agent.check(true);
      sampled += slice.contentsChecked();
      found |= slice.corrupt().equals(report.corrupt());
    }
    assertEquals(report.contentsChecked(), sampled, "sixteen sampled checks verify every content once");
    assertTrue(found, "one of them finds the damaged content");
  }

  @Test
  @DisplayName("tracked volumes persist across agents; a VolumeResolver answer takes precedence")
  void trackingPersists() {
    agent.close();
    agent = open();
    assertEquals(Optional.of(Map.of("data", data.normalize())), agent.volumes(APP));
    agent.close();
    Path elsewhere = dir.resolve("live/elsewhere");
    agent = FsHostAgent.builder().repository(dir.resolve("repo"))
        .volumes(w -> w.equals(APP) ? Optional.of(Map.of("data", elsewhere)) : Optional.empty()).build();
    assertEquals(Optional.of(Map.of("data", elsewhere)), agent.volumes(APP));
    assertEquals("other", agent.volumes(OTHER).orElseThrow().keySet().iterator().next(), "falls back to tracked");
    assertTrue(agent.untrack(OTHER));
    assertEquals(Optional.empty(), agent.volumes(OTHER));
    assertFalse(agent.untrack(OTHER));
  }

  @Test
  @DisplayName("track refuses bad names, relative paths and overlapping volumes, naming every problem")
  void trackValidates() {
    SnapshotException e = assertThrows(SnapshotException.class, () -> agent.track(APP, Map.of(
        "../x", dir.resolve("a"), "rel", Path.of("relative"), "outer", dir.resolve("o"),
        "inner", dir.resolve("o/i"))));
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    assertTrue(e.getMessage().contains("'../x'"), e.getMessage());
    assertTrue(e.getMessage().contains("'rel'"), e.getMessage());
    assertTrue(e.getMessage().contains("overlap"), e.getMessage());
    assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(SnapshotException.class,
        () -> agent.track(APP, Map.of("repo", dir))).code(), "a volume may not contain the repository");
    assertEquals(Optional.of(Map.of("data", data.normalize())), agent.volumes(APP), "nothing was changed");
  }

  @Test
  @DisplayName("track refuses a directory that is, contains or is inside another workload's volume (real paths, any tenant), naming both")
  void trackRefusesOverlapWithAnotherWorkload() throws IOException {
    WorkloadRef newcomer = WorkloadRef.of("acme", "newcomer");
    WorkloadRef stranger = WorkloadRef.of("globex", "app");
    Path link = Files.createSymbolicLink(dir.resolve("link-to-data"), data);
    Files.createDirectories(data.resolve("sub"));
    Map<String, Path> data0 = Map.of("data", data.normalize());
    for (Map.Entry<WorkloadRef, Path> attempt : List.of(
        Map.entry(newcomer, data), Map.entry(newcomer, dir.resolve("live")), Map.entry(newcomer, data.resolve("sub")),
        Map.entry(newcomer, link.resolve("sub")), Map.entry(stranger, data))) {
      SnapshotException e = assertThrows(SnapshotException.class,
          () -> agent.track(attempt.getKey(), Map.of("v", attempt.getValue())), attempt.toString());
      assertEquals(ErrorCode.CONFLICT, e.code(), e.getMessage());
      assertTrue(e.getMessage().contains(attempt.getKey().key()) && e.getMessage().contains(APP.key()), e.getMessage());
      assertTrue(e.getMessage().contains(attempt.getValue().toString()), e.getMessage());
      assertTrue(e.getMessage().contains(data.toString()), e.getMessage());
      assertTrue(e.getMessage().contains("untrack"), "says what to do: " + e.getMessage());
      assertEquals(Optional.empty(), agent.volumes(attempt.getKey()), "nothing was tracked");
      assertEquals(ErrorCode.CONFLICT, assertThrows(SnapshotException.class,
          () -> agent.checkTrackable(attempt.getKey(), Map.of("v", attempt.getValue()))).code(), "the dry run agrees");
    }
    agent.checkTrackable(newcomer, Map.of("v", dir.resolve("live/free")));
    assertEquals(Optional.empty(), agent.volumes(newcomer), "the dry run tracks nothing");
    assertEquals(Optional.of(data0), agent.volumes(APP), "the other workload is unchanged");
    agent.track(APP, Map.of("data", data, "more", dir.resolve("live/more")));
    assertEquals(Optional.of(Map.of("sub", data.resolve("sub"))),
        reTrack(APP, Map.of("sub", data.resolve("sub"))), "a workload may re-track inside its own volumes");
    assertTrue(agent.untrack(APP));
    agent.track(newcomer, Map.of("v", data));
    assertEquals(Optional.of(Map.of("v", data)), agent.volumes(newcomer), "free once the owner is untracked");
  }

  @Test
  @DisplayName("a restore target whose volume directory is or is inside another workload's volume is refused CONFLICT naming both, before anything is written")
  void restoreTargetRefusesAnotherWorkloadsVolume() throws IOException {
    SnapshotId a = capture(APP);
    Manifest m = agent.repository().manifest(APP, a).orElseThrow();
    Path other = dir.resolve("live/other");
    Path link = Files.createSymbolicLink(dir.resolve("link-to-other"), other);
    // the target DIR receives DIR/data: inside OTHER's volume, directly or through a link
    for (Path target : List.of(other, link, other.resolve("deeper"))) {
      for (RestoreMode mode : RestoreMode.values()) {
        SnapshotException e = assertThrows(SnapshotException.class, () -> agent.restore(new RestoreRequest(APP, a, m, mode,
            Optional.of(target.toString()), List.of())), target + " " + mode);
        assertEquals(ErrorCode.CONFLICT, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains(OTHER.key()) && e.getMessage().contains(APP.key()), e.getMessage());
        assertEquals(ErrorCode.CONFLICT, assertThrows(SnapshotException.class, () -> agent.preflight(new RestoreRequest(
            APP, a, m, mode, Optional.of(target.toString()), List.of()))).code(), "the preflight agrees");
      }
    }
    assertEquals(Map.of("note.txt", Trees.state(other, false).get("note.txt")), Trees.state(other, false),
        "nothing was written into the other workload's volume");
    Trees.write(data.resolve("small.txt"), "changed");
    restoreInto(a, dir.resolve("live"));
    assertEquals("changed", Files.readString(data.resolve("small.txt")), "its own volume stays a valid target");
  }

  private Optional<Map<String, Path>> reTrack(WorkloadRef w, Map<String, Path> volumes) {
    agent.track(w, volumes);
    return agent.volumes(w);
  }

  @Test
  @DisplayName("the builder refuses bad values and double settings at once, names what is missing, and one repository has one agent")
  void builderRules() {
    SnapshotException e = assertThrows(SnapshotException.class, () -> FsHostAgent.builder().build());
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    assertTrue(e.getMessage().contains("repository is required"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> FsHostAgent.builder().compressionLevel(0));
    assertThrows(IllegalArgumentException.class, () -> FsHostAgent.builder().compressionLevel(20));
    assertThrows(IllegalArgumentException.class, () -> FsHostAgent.builder().restoreHeadroom(-1));
    assertThrows(IllegalArgumentException.class, () -> FsHostAgent.builder().hostId(" "));
    assertThrows(IllegalStateException.class, () -> FsHostAgent.builder().hostId("a").hostId("b"));
    FsHostAgent.Builder used = FsHostAgent.builder().repository(dir.resolve("repo2"));
    used.build().close();
    assertThrows(IllegalStateException.class, used::build);
    assertEquals(ErrorCode.CONFLICT, assertThrows(SnapshotException.class,
        () -> FsHostAgent.rootedAt(dir.resolve("repo"))).code());
  }

  @Test
  @DisplayName("restore paths select volume:path prefixes; bad selections are INVALID_ARGUMENT before anything is written")
  void restoreSelection() {
    SnapshotId a = capture(APP);
    Manifest m = agent.repository().manifest(APP, a).orElseThrow();
    Path target = dir.resolve("sel");
    RestoreOutcome out = agent.restore(new RestoreRequest(APP, a, m, RestoreMode.ADDITIVE,
        Optional.of(target.toString()), List.of("data:small.txt")));
    assertEquals(1, out.families().get(FsHostAgent.FAMILY).created());
    assertEquals(Map.of("small.txt", Trees.state(data, false).get("small.txt")), Trees.state(target.resolve("data"), false));
    for (List<String> bad : List.of(List.of("data:../escape"), List.of("nope:x"), List.of("data:/abs"))) {
      SnapshotException e = assertThrows(SnapshotException.class, () -> agent.restore(new RestoreRequest(APP, a, m,
          RestoreMode.REPLACE, Optional.empty(), bad)));
      assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), bad.toString());
    }
    assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(SnapshotException.class, () -> agent.restore(
        new RestoreRequest(APP, a, m, RestoreMode.ADDITIVE, Optional.of("relative/dir"), List.of()))).code());
  }

  @Test
  @DisplayName("a REPLACE of one selected path in place restores that path and leaves the rest of the volume alone")
  void replaceSelectedPathInPlace() {
    SnapshotId a = capture(APP);
    Trees.write(data.resolve("small.txt"), "changed");
    Trees.write(data.resolve("later.txt"), "written after the snapshot");
    Manifest m = agent.repository().manifest(APP, a).orElseThrow();
    agent.restore(new RestoreRequest(APP, a, m, RestoreMode.REPLACE, Optional.empty(), List.of("data:small.txt")));
    Map<String, String> now = Trees.state(data, false);
    assertEquals(3, now.size(), now.toString());
    assertTrue(now.containsKey("later.txt"));
    List<FileChange> changes = new java.util.ArrayList<>();
    agent.diff(APP, a, Optional.empty(), changes::add);
    assertEquals(List.of("data:later.txt"), changes.stream().map(FileChange::key).toList());
  }
}
