package io.snapshotkit.fs.internal.restore;

import static io.snapshotkit.fs.internal.restore.RestoreFixture.list;
import static io.snapshotkit.fs.internal.restore.RestoreFixture.tree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.fs.internal.files.AtomicFiles;
import io.snapshotkit.fs.internal.repo.FsRepository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Start-up recovery from on-disk states a crash can leave that no listener step stops at: between
 * the two renames of one swap, after a swap but before its checkpoint, in the middle of an
 * earlier rollback, around created parent directories; plus journal hygiene.
 */
class RestoreRecoveryTest {
  @TempDir Path tmp;
  private FsRepository repo;
  private Path volumes;
  private Path live;
  private Path work;
  private Map<String, String> original;
  private Map<String, String> restored;

  @BeforeEach
  void setUp() throws IOException {
    repo = FsRepository.open(tmp.resolve("repo"), 3);
    volumes = Files.createDirectories(tmp.resolve("volumes"));
    live = volumes.resolve("data");
    RestoreFixture.populate(live, "original");
    original = tree(live, true);
    work = volumes.resolve(".data" + ReplaceRestore.WORK_MARK + "0000abcd");
    for (String d : List.of("new", "old", "drop")) {
      Files.createDirectories(work.resolve(d));
    }
    RestoreFixture.populate(work.resolve("new/0"), "restored");
    restored = tree(work.resolve("new/0"), true);
  }

  @AfterEach
  void tearDown() {
    repo.close();
  }

  private Journal.Unit unit(String path, boolean hadLive) {
    Journal.Unit u = new Journal.Unit("data", path, path.isEmpty() ? live : live.resolve(path), work, 0);
    u.hadLive = hadLive;
    u.inSnapshot = true;
    return u;
  }

  private Journal journal(Journal.State state, Journal.Unit u) throws IOException {
    Journal j = new Journal(repo.journalDir().resolve("restore-0000abcd" + Journal.SUFFIX), "acme/app-1",
        "01JD0000000000000000000001", state, List.of(u));
    j.write();
    return j;
  }

  private int recoverAll() {
    return Restorer.on(repo).recoverAll().size();
  }

  private void assertClean() {
    assertEquals(List.of("data"), list(volumes), "no work directory remains");
    assertEquals(List.of(), list(repo.journalDir()), "no journal remains");
  }

  @Test
  void crashBetweenTheTwoRenamesOfASwapPutsTheOriginalBack() throws IOException {
    journal(Journal.State.PREPARED, unit("", true));
    AtomicFiles.move(live, work.resolve("old/0"));
    assertFalse(Files.exists(live), "the live volume is missing at this instant");

    assertEquals(1, recoverAll());
    assertEquals(original, tree(live, true));
    assertClean();
  }

  @Test
  void crashAfterASwapButBeforeItsCheckpointRollsItBack() throws IOException {
    journal(Journal.State.PREPARED, unit("", true));
    AtomicFiles.move(live, work.resolve("old/0"));
    AtomicFiles.move(work.resolve("new/0"), live);

    assertEquals(1, recoverAll());
    assertEquals(original, tree(live, true));
    assertClean();
  }

  @Test
  void crashInTheMiddleOfARollbackFinishesIt() throws IOException {
    journal(Journal.State.PREPARED, unit("", true));
    AtomicFiles.move(live, work.resolve("old/0"));
    AtomicFiles.move(work.resolve("new/0"), live);
    AtomicFiles.move(live, work.resolve("drop/0"));

    assertEquals(1, recoverAll());
    assertEquals(original, tree(live, true));
    assertClean();
  }

  @Test
  void aCommittedJournalKeepsTheRestoredDataAndRemovesTheOriginal() throws IOException {
    Journal.Unit u = unit("", true);
    u.swapped = true;
    journal(Journal.State.COMMITTED, u);
    AtomicFiles.move(live, work.resolve("old/0"));
    AtomicFiles.move(work.resolve("new/0"), live);

    assertEquals(1, recoverAll());
    assertEquals(restored, tree(live, true));
    assertClean();
  }

  @Test
  void aRestoreIntoANewDirectoryIsUndoneToNoDirectory() throws IOException {
    AtomicFiles.deleteTree(live);
    journal(Journal.State.PREPARED, unit("", false));
    AtomicFiles.move(work.resolve("new/0"), live);

    assertEquals(1, recoverAll());
    assertFalse(Files.exists(live));
    assertEquals(List.of(), list(volumes));
    assertEquals(List.of(), list(repo.journalDir()));
  }

  @Test
  void parentDirectoriesCreatedForASelectedPathAreRemovedOnRollback() throws IOException {
    Journal.Unit u = unit("made/for/it", false);
    u.created = live.resolve("made");
    journal(Journal.State.PREPARED, u);
    Files.createDirectories(live.resolve("made/for"));
    AtomicFiles.move(work.resolve("new/0"), live.resolve("made/for/it"));

    assertEquals(1, recoverAll());
    assertEquals(withoutDirTimes(original), tree(live, false), "the volume is as it was, without the created parents");
    assertClean();
  }

  @Test
  void aStagingJournalOnlyRemovesTheWorkDirectory() throws IOException {
    journal(Journal.State.STAGING, unit("", true));
    assertEquals(1, recoverAll());
    assertEquals(original, tree(live, true));
    assertClean();
  }

  @Test
  void recoveryIsIdempotentAndAHalfWrittenJournalTempFileIsRemoved() throws IOException {
    journal(Journal.State.PREPARED, unit("", true));
    AtomicFiles.move(live, work.resolve("old/0"));
    Files.writeString(repo.journalDir().resolve(".tmp-restore-0000abce.journal-1234"), "workload=acme/app-1\nsta");

    assertEquals(1, recoverAll());
    assertEquals(0, recoverAll());
    assertEquals(original, tree(live, true));
    assertClean();
  }

  @Test
  void anUnreadableJournalIsReportedAsCorruptAndKeptForAPerson() throws IOException {
    Path bad = repo.journalDir().resolve("restore-ffffffff" + Journal.SUFFIX);
    Files.writeString(bad, "state=PREPARED\n");
    SnapshotException e = assertThrows(SnapshotException.class, this::recoverAll);
    assertEquals(ErrorCode.CORRUPT, e.code());
    assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
    assertTrue(Files.exists(bad));
  }

  @Test
  void aVolumeWhoseOriginalVanishedIsNotGuessedAtAndTheJournalStays() throws IOException {
    journal(Journal.State.PREPARED, unit("", true));
    AtomicFiles.move(live, tmp.resolve("lost"));
    SnapshotException e = assertThrows(SnapshotException.class, this::recoverAll);
    assertEquals(ErrorCode.INTERNAL, e.code());
    assertTrue(Files.exists(work.resolve("new/0")), "nothing was deleted");
    assertEquals(1, list(repo.journalDir()).size());
  }

  @Test
  void theJournalRoundTripsPathsWithSpacesSeparatorsAndNonAsciiNames() throws IOException {
    Journal.Unit u = new Journal.Unit("vol=1:x", "dir with space/ü#!\\n", tmp.resolve("a b=c:d/ü"),
        tmp.resolve(".w x"), 7);
    u.hadLive = true;
    u.swapped = true;
    u.created = tmp.resolve("a b=c:d/é");
    Journal j = new Journal(repo.journalDir().resolve("restore-1" + Journal.SUFFIX), "acme/app 1",
        "01JD0000000000000000000001", Journal.State.COMMITTED, List.of(u));
    j.write();

    Journal r = Journal.read(j.file);
    Journal.Unit v = r.units.get(0);
    assertEquals(List.of("acme/app 1", "01JD0000000000000000000001", "COMMITTED"),
        List.of(r.workload, r.snapshot, r.state.name()));
    assertEquals(List.of(u.volume, u.path, u.live, u.work, u.created), List.of(v.volume, v.path, v.live, v.work,
        v.created));
    assertEquals(List.of(7, true, false, true), List.of(v.index, v.hadLive, v.inSnapshot, v.swapped));
  }

  private static Map<String, String> withoutDirTimes(Map<String, String> state) {
    Map<String, String> out = new java.util.TreeMap<>(state);
    out.replaceAll((k, v) -> v.startsWith("dir ") && v.contains(" @") ? v.substring(0, v.indexOf(" @")) : v);
    return out;
  }
}
