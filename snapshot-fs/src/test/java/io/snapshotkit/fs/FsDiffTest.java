package io.snapshotkit.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.Change;
import io.snapshotkit.DiffResult;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.FamilyDiff;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.CaptureRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** File-level diffs: kinds, order, symmetry, against the live volume, and streaming. */
class FsDiffTest {
  private static final WorkloadRef W = WorkloadRef.of("acme", "app");
  @TempDir Path dir;
  private final AtomicInteger reads = new AtomicInteger();
  private FsHostAgent agent;
  private Path data;
  private Path conf;
  private int ids;

  @BeforeEach
  void open() throws IOException {
    agent = FsHostAgent.builder().repository(dir.resolve("repo")).readHook(f -> reads.incrementAndGet())
        .racyCutoff(() -> Long.MAX_VALUE).build();
    data = dir.resolve("live/data");
    conf = dir.resolve("live/conf");
    Trees.write(data.resolve("keep.txt"), "unchanged");
    Trees.write(data.resolve("edit.txt"), "before");
    Trees.write(data.resolve("gone.txt"), "to be removed");
    Trees.write(data.resolve("becomes-dir"), "a file first");
    Trees.write(data.resolve("chmod.sh"), "echo");
    Files.createSymbolicLink(data.resolve("link"), Path.of("keep.txt"));
    Trees.write(conf.resolve("app.conf"), "x=1");
    agent.track(W, Map.of("data", data, "conf", conf));
  }

  @AfterEach
  void close() {
    agent.close();
  }

  private SnapshotId capture() {
    ids++;
    SnapshotId id = SnapshotId.generate(Instant.parse("2026-01-01T00:00:00Z").plusSeconds(ids), new SplittableRandom(ids));
    agent.capture(new CaptureRequest(W, id, Optional.empty(), Optional.empty(), false));
    return id;
  }

  private void change() throws IOException {
    Trees.write(data.resolve("edit.txt"), "after, longer");
    Files.delete(data.resolve("gone.txt"));
    Trees.write(data.resolve("new/added.txt"), "new");
    Files.delete(data.resolve("becomes-dir"));
    Files.createDirectories(data.resolve("becomes-dir"));
    Files.setPosixFilePermissions(data.resolve("chmod.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.delete(data.resolve("link"));
    Files.createSymbolicLink(data.resolve("link"), Path.of("edit.txt"));
  }

  private List<FileChange> diff(SnapshotId from, Optional<SnapshotId> to) {
    List<FileChange> out = new ArrayList<>();
    agent.diff(W, from, to, out::add);
    return out;
  }

  private static List<String> describe(List<FileChange> changes) {
    return changes.stream().map(c -> c.kind() + " " + c.key()).toList();
  }

  private static final List<String> EXPECTED = List.of(
      "TYPE_CHANGED data:becomes-dir",
      "MODE_CHANGED data:chmod.sh",
      "MODIFIED data:edit.txt",
      "REMOVED data:gone.txt",
      "MODIFIED data:link",
      "ADDED data:new",
      "ADDED data:new/added.txt");

  @Test
  @DisplayName("snapshot vs snapshot reports added, removed, modified, type and mode changes, in tree order")
  void kindsAndOrder() throws IOException {
    SnapshotId a = capture();
    change();
    SnapshotId b = capture();
    List<FileChange> changes = diff(a, Optional.of(b));
    assertEquals(EXPECTED, describe(changes));
    FileChange mode = changes.get(1);
    assertEquals(0644 & mode.before().orElseThrow().mode(), mode.before().orElseThrow().mode());
    assertEquals(0755, mode.after().orElseThrow().mode());
    assertEquals(mode.before().orElseThrow().digest(), mode.after().orElseThrow().digest());
    assertEquals(List.of(), diff(b, Optional.of(b)), "a snapshot does not differ from itself");
  }

  @Test
  @DisplayName("diff(b, a) is diff(a, b) mirrored: added and removed swap, before and after swap")
  void symmetry() throws IOException {
    SnapshotId a = capture();
    change();
    SnapshotId b = capture();
    List<FileChange> forward = diff(a, Optional.of(b));
    List<FileChange> backward = diff(b, Optional.of(a));
    List<FileChange> mirrored = forward.stream().map(c -> new FileChange(
        c.kind() == FileChange.Kind.ADDED ? FileChange.Kind.REMOVED
            : c.kind() == FileChange.Kind.REMOVED ? FileChange.Kind.ADDED : c.kind(),
        c.after(), c.before())).toList();
    assertEquals(mirrored, backward);
  }

  @Test
  @DisplayName("snapshot vs live equals snapshot vs a capture of the live state")
  void againstLive() throws IOException {
    SnapshotId a = capture();
    change();
    List<FileChange> live = diff(a, Optional.empty());
    assertEquals(EXPECTED, describe(live));
    SnapshotId b = capture();
    assertEquals(diff(a, Optional.of(b)), live);
    assertEquals(List.of(), diff(b, Optional.empty()), "nothing changed since b");
  }

  @Test
  @DisplayName("HostDiff.diff reports family 'files' keyed volume:path, matching the streamed diff")
  void hostDiff() throws IOException {
    SnapshotId a = capture();
    change();
    SnapshotId b = capture();
    DiffResult r = agent.diff(W, a, Optional.of(b));
    assertFalse(r.degraded());
    FamilyDiff files = r.families().get(FsHostAgent.FILES_FAMILY);
    assertEquals(2, files.added());
    assertEquals(1, files.removed());
    assertEquals(4, files.changed());
    assertEquals(EXPECTED.stream().map(s -> s.substring(s.indexOf(' ') + 1)).sorted().toList(),
        files.changes().stream().map(Change::key).toList());
    Change.Changed edit = (Change.Changed) files.changes().stream()
        .filter(c -> c.key().equals("data:edit.txt")).findFirst().orElseThrow();
    assertEquals("file", edit.after().document().get("type").asText());
    assertEquals(13, edit.after().document().get("size").asLong());
    assertTrue(agent.diff(W, b, Optional.empty()).isEmpty());
  }

  @Test
  @DisplayName("HostDiff.streamDiff hands over, one at a time, exactly the changes HostDiff.diff collects, while the live scan is still reading")
  void streamDiffMatchesDiffAndStreams() throws IOException {
    SnapshotId a = capture();
    change();
    SnapshotId b = capture();
    List<Change> streamed = new ArrayList<>();
    DiffResult rest = agent.streamDiff(W, a, Optional.of(b), (family, c) -> {
      assertEquals(FsHostAgent.FILES_FAMILY, family);
      streamed.add(c);
    });
    DiffResult collected = agent.diff(W, a, Optional.of(b));
    assertEquals(collected.families().get(FsHostAgent.FILES_FAMILY), new FamilyDiff(streamed));
    assertEquals(Map.of(), rest.families(), "the changes went to the sink");
    assertEquals(collected.degraded(), rest.degraded());
    assertEquals(collected.problems(), rest.problems());

    int files = 2000;
    for (int i = 0; i < files; i++) {
      Trees.write(data.resolve("bulk").resolve(String.format("f%05d", i)), "new file " + i);
    }
    reads.set(0);
    AtomicLong readsAtFirstChange = new AtomicLong(-1);
    agent.streamDiff(W, b, Optional.empty(), (family, c) -> readsAtFirstChange.compareAndSet(-1, reads.get()));
    assertTrue(readsAtFirstChange.get() < files / 4,
        "first change delivered after " + readsAtFirstChange.get() + " of " + files + " reads");
  }

  @Test
  @DisplayName("a diff naming a snapshot this host does not hold is NOT_FOUND")
  void unknownSnapshot() {
    SnapshotId a = capture();
    SnapshotId missing = SnapshotId.generate(Instant.parse("2027-01-01T00:00:00Z"), new SplittableRandom(1));
    assertEquals(ErrorCode.NOT_FOUND, assertThrows(SnapshotException.class,
        () -> diff(missing, Optional.of(a))).code());
    assertEquals(ErrorCode.NOT_FOUND, assertThrows(SnapshotException.class,
        () -> diff(a, Optional.of(missing))).code());
  }

  @Test
  @DisplayName("the diff streams: the first change reaches the consumer long before the live scan has read every file")
  void streams() {
    SnapshotId a = capture();
    int files = 2000;
    for (int i = 0; i < files; i++) {
      Trees.write(data.resolve("bulk").resolve(String.format("f%05d", i)), "new file " + i);
    }
    reads.set(0);
    AtomicLong readsAtFirstChange = new AtomicLong(-1);
    AtomicLong seen = new AtomicLong();
    DiffSummary summary = agent.diff(W, a, Optional.empty(), c -> {
      readsAtFirstChange.compareAndSet(-1, reads.get());
      seen.incrementAndGet();
    });
    assertEquals(files + 1, summary.added(), "the files and their directory");
    assertEquals(files + 1, seen.get());
    assertEquals(files, reads.get(), "every new file was read");
    assertTrue(readsAtFirstChange.get() < files / 4,
        "first change delivered after " + readsAtFirstChange.get() + " of " + files + " reads");
  }
}
