package io.snapshotkit.fs.internal.restore;

import static io.snapshotkit.fs.internal.restore.RestoreFixture.WORKLOAD;
import static io.snapshotkit.fs.internal.restore.RestoreFixture.list;
import static io.snapshotkit.fs.internal.restore.RestoreFixture.tree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.fs.RestoreStep;
import io.snapshotkit.fs.SnapshotArchive;
import io.snapshotkit.fs.internal.files.AtomicFiles;
import io.snapshotkit.fs.internal.repo.FsRepository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Replace restore on real directories: the swap, rollback on failure, pre-flight, targets, selected paths. */
class RestoreReplaceTest {
  @TempDir Path tmp;
  FsRepository repo;
  private Path volumes;
  Map<String, Path> live;
  SnapshotId snap;
  Map<String, Map<String, String>> snapshotState;
  private Map<String, Map<String, String>> originalState;

  @BeforeEach
  void setUp() throws IOException {
    repo = FsRepository.open(tmp.resolve("repo"), 3);
    volumes = Files.createDirectories(tmp.resolve("volumes"));
    live = new TreeMap<>(Map.of("app", volumes.resolve("app"), "db", volumes.resolve("db")));
    RestoreFixture.populate(live.get("app"), "app");
    RestoreFixture.populate(live.get("db"), "db");
    snap = RestoreFixture.capture(repo, "01JD0000000000000000000001", live);
    snapshotState = states(true);
    RestoreFixture.mutate(live.get("app"));
    RestoreFixture.mutate(live.get("db"));
    originalState = states(true);
    assertNotEquals(snapshotState, originalState);
  }

  @AfterEach
  void tearDown() {
    repo.close();
  }

  Map<String, Map<String, String>> states(boolean dirTimes) {
    Map<String, Map<String, String>> out = new TreeMap<>();
    live.forEach((name, path) -> out.put(name, tree(path, dirTimes)));
    return out;
  }

  /** The restorer under test; {@link RestoreParallelTest} runs every test here with a pool. */
  Restorer restorer() {
    return Restorer.on(repo);
  }

  void assertNoDebris() {
    assertEquals(List.of("app", "db"), list(volumes), "only the volumes remain beside the volumes");
    assertEquals(List.of(), list(repo.journalDir()), "no journal remains");
  }

  @Test
  void replaceMakesEveryVolumeExactlyTheSnapshotAndReportsEachDurableStep() throws IOException {
    Files.setPosixFilePermissions(live.get("app"), PosixFilePermissions.fromString("rwxr-x---"));
    List<String> steps = new ArrayList<>();
    int entries = restorer().replace(WORKLOAD, snap, live, Selection.all(live.keySet()),
        (step, swapped) -> steps.add(step + ":" + swapped)).entries();

    assertEquals(snapshotState, states(true));
    assertEquals(List.of("STAGED:0", "JOURNALED:0", "VOLUME_SWAPPED:1", "VOLUME_SWAPPED:2", "COMMITTED:2"), steps);
    assertEquals(2 * 13, entries);
    assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(live.get("app"))),
        "the volume root keeps its mode");
    assertNoDebris();
  }

  @Test
  void replaceRunTwiceLeavesTheSameState() {
    Restorer r = restorer();
    r.replace(WORKLOAD, snap, live, Selection.all(live.keySet()), (s, n) -> { });
    r.replace(WORKLOAD, snap, live, Selection.all(live.keySet()), (s, n) -> { });
    assertEquals(snapshotState, states(true));
    assertNoDebris();
  }

  @Test
  void aFailureBetweenTwoVolumeSwapsRollsTheSwappedVolumeBack() {
    SnapshotException e = assertThrows(SnapshotException.class, () -> restorer().replace(WORKLOAD, snap, live,
        Selection.all(live.keySet()), (step, swapped) -> {
          if (step == RestoreStep.VOLUME_SWAPPED && swapped == 1) {
            throw new IllegalStateException("injected failure after the first swap");
          }
        }));

    assertEquals(ErrorCode.INTERNAL, e.code());
    assertTrue(e.getMessage().contains("every volume was left on its original data"), e.getMessage());
    assertEquals(originalState, states(true), "both volumes hold their original data, directory times included");
    assertNoDebris();
  }

  @Test
  void anInterruptDuringTheSwapsRollsBackAndKeepsTheInterruptFlag() {
    SnapshotException e = assertThrows(SnapshotException.class, () -> restorer().replace(WORKLOAD, snap, live,
        Selection.all(live.keySet()), (step, swapped) -> {
          if (step == RestoreStep.VOLUME_SWAPPED && swapped == 1) {
            Thread.currentThread().interrupt();
          }
        }));
    boolean interrupted = Thread.interrupted();

    assertTrue(interrupted, "the caller still sees its interrupt");
    assertTrue(e.getMessage().contains("every volume was left on its original data"), e.getMessage());
    assertEquals(originalState, states(true));
    assertNoDebris();
  }

  @Test
  void anIoFailureInsideASwapRollsEveryVolumeBack() {
    SnapshotException e = assertThrows(SnapshotException.class, () -> restorer().replace(WORKLOAD, snap, live,
        Selection.all(live.keySet()), (step, swapped) -> {
          if (step == RestoreStep.JOURNALED) {
            // the second volume's staged tree vanishes: its rename fails after its live dir was set aside
            Path work = only(volumes, ".db" + ReplaceRestore.WORK_MARK);
            try {
              AtomicFiles.deleteTree(work.resolve("new/1"));
            } catch (IOException ex) {
              throw new IllegalStateException(ex);
            }
          }
        }));

    assertEquals(ErrorCode.INTERNAL, e.code());
    assertTrue(e.getMessage().contains("swapping"), e.getMessage());
    assertEquals(originalState, states(true));
    assertNoDebris();
  }

  @Test
  void corruptStoredContentFailsWithCorruptAndTouchesNoVolume() throws IOException {
    // Damage the stored file content (every pack holding a file; the trees are packed apart).
    List<Path> stored = RestoreFixture.contentPacks(repo, snap);
    assertFalse(stored.isEmpty(), "small files are packed");
    for (Path p : stored) {
      byte[] b = Files.readAllBytes(p);
      b[b.length / 2] ^= 0x5A;
      Files.write(p, b);
    }

    SnapshotException e = assertThrows(SnapshotException.class, () -> restorer().replace(WORKLOAD, snap, live,
        Selection.all(live.keySet()), (s, n) -> { }));
    assertEquals(ErrorCode.CORRUPT, e.code());
    assertTrue(e.getMessage().contains("every volume is on its original data"), "the message says what became of "
        + "the volumes: " + e.getMessage());
    assertEquals(originalState, states(true));
    assertNoDebris();
  }

  @Test
  void preflightRefusesTooLittleDiskSpaceWithInsufficientStorageAndTouchesNothing() {
    Restorer greedy = Restorer.on(repo).headroom(Long.MAX_VALUE / 4);
    SnapshotException e = assertThrows(SnapshotException.class,
        () -> greedy.replace(WORKLOAD, snap, live, Selection.all(live.keySet()), (s, n) -> { }));
    assertEquals(ErrorCode.INSUFFICIENT_STORAGE, e.code());
    assertTrue(e.getMessage().contains("not enough disk space") && e.getMessage().contains("free some space"),
        e.getMessage());
    assertEquals(originalState, states(true));
    assertNoDebris();
  }

  @Test
  void preflightRefusesASnapshotOverTheRestoreLimits() {
    Restorer small = Restorer.on(repo).limits(new SnapshotArchive.Limits(1000, 1_000_000, 4096));
    SnapshotException e = assertThrows(SnapshotException.class,
        () -> small.preflight(WORKLOAD, snap, live, Selection.all(live.keySet())));
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    assertTrue(e.getMessage().contains("over the restore limits"), e.getMessage());
  }

  @Test
  void preflightResolvesEveryVolumeOrNone() throws IOException {
    Map<String, Path> bad = new TreeMap<>(live);
    Path link = Files.createSymbolicLink(tmp.resolve("db-link"), live.get("db"));
    bad.put("db", link);
    SnapshotException e = assertThrows(SnapshotException.class,
        () -> restorer().replace(WORKLOAD, snap, bad, Selection.all(bad.keySet()), (s, n) -> { }));
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    assertTrue(e.getMessage().contains("symlink"), e.getMessage());
    assertEquals(originalState, states(true), "the volume that did resolve was not touched either");

    Map<String, Path> same = Map.of("app", live.get("app"), "db", live.get("app"));
    e = assertThrows(SnapshotException.class,
        () -> restorer().preflight(WORKLOAD, snap, same, Selection.all(live.keySet())));
    assertTrue(e.getMessage().contains("are the same or nest"), e.getMessage());

    Map<String, Path> missing = Map.of("app", live.get("app"));
    e = assertThrows(SnapshotException.class,
        () -> restorer().preflight(WORKLOAD, snap, missing, Selection.all(live.keySet())));
    assertTrue(e.getMessage().contains("volume 'db' has no directory"), e.getMessage());

    e = assertThrows(SnapshotException.class,
        () -> Selection.parse(List.of("logs:x"), List.of("app", "db")));
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    e = assertThrows(SnapshotException.class,
        () -> Selection.parse(List.of("app:../etc"), List.of("app", "db")));
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());

    e = assertThrows(SnapshotException.class, () -> restorer().preflight(WORKLOAD,
        SnapshotId.parse("01JD0000000000000000000009"), live, Selection.all(live.keySet())));
    assertEquals(ErrorCode.NOT_FOUND, e.code());
    assertNoDebris();
  }

  @Test
  void aVolumeThatIsAMountPointIsRefusedBeforeAnythingIsTouched() throws IOException {
    Path mount = Path.of("/dev/shm");
    Assumptions.assumeTrue(Files.isDirectory(mount)
        && !Files.getFileStore(mount).equals(Files.getFileStore(mount.getParent())), "/dev/shm is a mount point");
    Map<String, Path> targets = new TreeMap<>(live);
    targets.put("db", mount);

    SnapshotException e = assertThrows(SnapshotException.class, () -> restorer().replace(WORKLOAD, snap, targets,
        Selection.all(targets.keySet()), (s, n) -> { }));
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    assertTrue(e.getMessage().contains("mount point"), e.getMessage());
    assertTrue(list(mount.getParent()).stream().noneMatch(n -> n.contains(ReplaceRestore.WORK_MARK)),
        "nothing was staged beside the mount point");
    assertEquals(originalState.get("app"), tree(live.get("app"), true));
    assertNoDebris();
  }

  @Test
  void replaceIntoAnotherDirectoryLeavesTheLiveVolumesAlone() {
    Path elsewhere = tmp.resolve("elsewhere/restored");
    Map<String, Path> targets = Map.of("app", elsewhere.resolve("app"), "db", elsewhere.resolve("db"));

    restorer().replace(WORKLOAD, snap, targets, Selection.all(targets.keySet()), (s, n) -> { });

    assertEquals(snapshotState.get("app"), tree(elsewhere.resolve("app"), true));
    assertEquals(snapshotState.get("db"), tree(elsewhere.resolve("db"), true));
    assertEquals(List.of("app", "db"), list(elsewhere));
    assertEquals(originalState, states(true));
  }

  @Test
  void replaceOfSelectedPathsReplacesOnlyThoseAndRemovesWhatTheSnapshotLacks() throws IOException {
    Selection sel = Selection.parse(List.of("app:conf", "app:later", "app:readme.txt"),
        List.of("app", "db"));

    restorer().replace(WORKLOAD, snap, live, sel, (s, n) -> { });

    Map<String, String> app = tree(live.get("app"), false);
    Map<String, String> expected = new TreeMap<>(originalState.get("app"));
    expected.keySet().removeIf(k -> k.equals("conf") || k.startsWith("conf/") || k.startsWith("later")
        || k.equals("readme.txt"));
    snapshotState.get("app").forEach((k, v) -> {
      if (k.equals("conf") || k.startsWith("conf/") || k.equals("readme.txt")) {
        expected.put(k, v);
      }
    });
    expected.replaceAll((k, v) -> v.startsWith("dir ") ? v.substring(0, v.indexOf(" @") < 0 ? v.length()
        : v.indexOf(" @")) : v);
    assertEquals(expected, app);
    assertEquals(originalState.get("db"), tree(live.get("db"), true), "an unselected volume is untouched");
    assertNoDebris();
  }

  @Test
  void aFailedRestoreOfAPathWhoseParentsWereMissingRemovesTheParentsItCreated() throws IOException {
    AtomicFiles.deleteTree(live.get("app").resolve("conf"));
    Map<String, String> before = tree(live.get("app"), false);
    Selection sel = Selection.parse(List.of("app:conf/deep/er"), List.of("app", "db"));

    assertThrows(SnapshotException.class, () -> restorer().replace(WORKLOAD, snap, live, sel, (s, n) -> {
      if (s == RestoreStep.VOLUME_SWAPPED) {
        assertTrue(Files.isRegularFile(live.get("app").resolve("conf/deep/er/leaf.cfg")));
        throw new IllegalStateException("injected");
      }
    }));
    assertEquals(before, tree(live.get("app"), false));
    assertNoDebris();

    restorer().replace(WORKLOAD, snap, live, sel, (s, n) -> { });
    assertEquals(snapshotState.get("app").get("conf/deep/er/leaf.cfg"),
        tree(live.get("app"), true).get("conf/deep/er/leaf.cfg"));
    assertNoDebris();
  }

  @Test
  void aSelectedPathBeneathASymlinkInTheLiveVolumeIsRefused() throws IOException {
    AtomicFiles.deleteTree(live.get("app").resolve("conf"));
    Files.createSymbolicLink(live.get("app").resolve("conf"), tmp);
    Selection sel = Selection.parse(List.of("app:conf/deep"), List.of("app", "db"));
    SnapshotException e = assertThrows(SnapshotException.class,
        () -> restorer().replace(WORKLOAD, snap, live, sel, (s, n) -> { }));
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    assertFalse(Files.exists(tmp.resolve("deep")), "nothing was written through the symlink");
    assertNoDebris();
  }

  @Test
  void additiveRestoreCreatesOnlyWhatIsMissingAndIsIdempotent() {
    AdditiveRestore.Result first = restorer().additive(WORKLOAD, snap, live, Selection.all(live.keySet()));
    assertEquals(List.of(), first.failures());
    Map<String, String> app = tree(live.get("app"), false);
    assertEquals(snapshotState.get("app").get("conf/secret.key"), app.get("conf/secret.key"), "missing file created");
    assertEquals(originalState.get("app").get("readme.txt"), app.get("readme.txt"), "an existing file is kept");
    assertTrue(app.containsKey("conf/new.cfg"), "files the snapshot lacks stay");
    assertEquals(4, first.created(), "secret.key and empty/inner in each volume");
    AdditiveRestore.Result second = restorer().additive(WORKLOAD, snap, live, Selection.all(live.keySet()));
    assertEquals(0, second.created());
    assertEquals(first.created() + first.skipped(), second.skipped());
  }

  private static Path only(Path dir, String prefix) {
    List<String> names = list(dir).stream().filter(n -> n.startsWith(prefix)).toList();
    assertEquals(1, names.size(), names.toString());
    return dir.resolve(names.get(0));
  }
}
