package io.snapshotkit.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.Change;
import io.snapshotkit.DiffResult;
import io.snapshotkit.FamilyDiff;
import io.snapshotkit.RestoreReport;
import io.snapshotkit.RetentionPolicy;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.RestoreSpec;
import io.snapshotkit.core.RetentionResult;
import io.snapshotkit.fs.CheckReport;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.testkit.RawTree;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.Transformer;

/**
 * The model-based (stateful) test: random sequences of capture, file changes, diff, additive
 * restore, replace restore, rollback, delete, retention, gc, check and engine restart against a
 * real engine (SQLite {@code JdbcManifestStore}, {@code FsHostAgent}, real directories), checked
 * against a reference model: a map version → expected tree, plus the expected live tree.
 *
 * <p>Trees hold fixed ASCII paths plus file and directory names drawn from the whole byte
 * alphabet but '/' and NUL (invalid UTF-8, backslash, newline, tab and other control bytes
 * included), a symlink whose target may be absolute, leave the volume or hold raw bytes, and
 * modes with setuid, setgid and sticky bits. Trees are compared by the raw bytes of every name,
 * the full mode ({@code 07777}), the content and the link target ({@link RawTree#read}).
 *
 * <p>After every step: the store's versions are exactly the model's (strictly increasing, each
 * capture got the next number, none reused: gap-free), the store's READY snapshots are exactly the
 * ones the repository holds, the live volume equals the model, {@code check} is clean (no
 * referenced content corrupt or missing), and one READY snapshot (rotating) restores exactly
 * (names, contents, modes) into a scratch directory; at the end of each sequence every READY
 * snapshot does. Diff steps compare the file-level diff to the model's.
 *
 * <p>Sequences: {@code reliability.sequences} (CI 200, {@code -Psoak} 2000) of up to 50 steps.
 * Trees are small (a few fixed paths plus the raw names a sequence writes) and the deployment lives on {@code /dev/shm} when present,
 * where fsync is free; crash durability is the process-kill tests' business, not this one's.
 */
class ModelBasedTest {

  /** A rotating READY snapshot is restored and compared every this many steps (and all at the end). */
  static final int RESTORE_CHECK_EVERY = 3;

  /** The universe of paths: files only at leaves, so no step ever turns a directory into a file. */
  static final List<String> FILES = List.of("a", "b", "d/c", "d/e/f", "g/h");
  static final List<String> LINKS = List.of("l");

  /** The deployment shared by every sequence of a run; each sequence gets its own workload. */
  private static FsWorld shared;
  private static int sequence;

  static synchronized FsWorld world() {
    if (shared == null) {
      try {
        Path root = Files.isDirectory(Path.of("/dev/shm")) ? Path.of("/dev/shm") : Path.of(System.getProperty("java.io.tmpdir"));
        shared = FsWorld.create(Files.createTempDirectory(root, "sk-model"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return shared;
  }

  @AfterContainer
  static void closeWorld() throws IOException {
    if (shared != null) {
      shared.close();
      InputFuzzTest.deleteTree(shared.base);
      shared = null;
    }
  }

  /** Model plus the real system it describes. */
  static final class Model {
    final FsWorld world;
    final WorkloadRef ws;
    final Path data;
    /** Expected live tree in {@link RawTree#read} form. */
    TreeMap<String, String> live = new TreeMap<>();
    /** READY snapshots by version: id and expected tree. */
    final TreeMap<Integer, SnapshotId> ids = new TreeMap<>();
    final TreeMap<Integer, TreeMap<String, String>> trees = new TreeMap<>();
    final TreeMap<Integer, java.time.Instant> created = new TreeMap<>();
    int lastVersion;
    int steps;
    int scratch;

    Model() {
      world = world();
      synchronized (ModelBasedTest.class) {
        ws = WorkloadRef.of("model", "ws-" + (++sequence));
      }
      data = world.track(ws);
    }

    void recordCapture(Snapshot s, TreeMap<String, String> tree) {
      assertEquals(SnapshotStatus.READY, s.status());
      assertEquals(lastVersion + 1, s.version(), "a capture must get the next version: no gap, no reuse");
      lastVersion = s.version();
      ids.put(s.version(), s.id());
      trees.put(s.version(), new TreeMap<>(tree));
      created.put(s.version(), s.createdAt());
    }

    void forget(int version) {
      ids.remove(version);
      trees.remove(version);
      created.remove(version);
    }

    @Override
    public String toString() {
      return "Model[" + ws + ": versions " + ids.keySet() + ", last " + lastVersion + ", live "
          + live.keySet().stream().map(RawTree::escape).toList() + "]";
    }
  }

  @Property(shrinking = ShrinkingMode.OFF)
  @Label("random sequences of snapshot operations keep versions, restores, diffs and the repository consistent with the model")
  void sequences(@ForAll("chains") ActionChain<Model> chain) throws IOException {
    chain.withInvariant("consistent with the model", ModelBasedTest::invariant).run();
    Model m = chain.finalState().orElseThrow();
    for (int v : m.ids.keySet()) {
      restoresExactly(m, v);
    }
    // Leave the shared repository empty: deleting every snapshot and collecting reclaims all content.
    for (SnapshotId id : m.ids.values()) {
      m.world.engine().delete(m.ws.tenant(), id);
    }
    m.world.agent().gc();
    assertTrue(m.world.agent().snapshots(m.ws).isEmpty(), "the repository still holds snapshots of " + m.ws);
    long left = m.world.agent().check(false).contentsChecked();
    if (left != 0) {
      m.world.agent().gc();
      long afterSecondGc = m.world.agent().check(false).contentsChecked();
      m.world.restart();
      m.world.agent().gc();
      long afterRestartGc = m.world.agent().check(false).contentsChecked();
      throw new AssertionError("every snapshot was deleted, yet gc left " + left + " contents (a second gc: "
          + afterSecondGc + "; after a restart and gc: " + afterRestartGc + ")");
    }
    m.world.agent().untrack(m.ws);
    InputFuzzTest.deleteTree(m.data.getParent());
  }

  @Provide
  Arbitrary<ActionChain<Model>> chains() {
    return ActionChain.<Model>startWith(Model::new)
        .withAction(6, new ChangeFiles())
        .withAction(6, Action.just(Transformer.mutate("capture", ModelBasedTest::capture)))
        .withAction(3, new DiffTwo())
        .withAction(2, new DiffCurrent())
        .withAction(3, new Restore(true))
        .withAction(3, new Restore(false))
        .withAction(2, new Rollback())
        .withAction(3, new Delete())
        .withAction(2, new Retention())
        .withAction(1, Action.just(Transformer.mutate("gc", m -> m.world.agent().gc())))
        .withAction(1, Action.just(Transformer.mutate("check", m -> assertClean(m.world.agent().check(false)))))
        .withAction(2, Action.just(Transformer.mutate("restart", m -> m.world.restart())))
        .withMaxTransformations(50);
  }

  // ---------------------------------------------------------------- actions

  static void capture(Model m) {
    m.world.clock.advance(Duration.ofHours(5));
    Snapshot s = m.world.engine().capture(CaptureSpec.of(m.ws));
    m.recordCapture(s, m.live);
  }

  /**
   * A file name from the whole byte alphabet but '/' and NUL: mostly bytes that are not valid
   * UTF-8, with the ones that used to break restores (backslash, newline, tab, DEL) over-weighted.
   */
  static Arbitrary<byte[]> rawName() {
    Arbitrary<Integer> anyByte = Arbitraries.integers().between(1, 255).filter(b -> b != '/');
    Arbitrary<Integer> tricky = Arbitraries.of((int) '\\', (int) '\n', (int) '\t', 0x7f, 0x80, 0xc3, 0xa9, 0xed, 0xff,
        (int) ':', (int) '%', (int) '.');
    return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(3, anyByte), net.jqwik.api.Tuple.of(1, tricky)).list()
        .ofMinSize(1).ofMaxSize(6).map(l -> {
          byte[] b = new byte[l.size()];
          for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (int) l.get(i);
          }
          return b;
        }).filter(b -> !(b.length == 1 && b[0] == '.') && !(b.length == 2 && b[0] == '.' && b[1] == '.'));
  }

  /**
   * Where a file may be written: the fixed ASCII paths, a raw name under {@code w/} (files only)
   * or a raw directory name under {@code v/} holding a file {@code z}, so no path is ever a file
   * in one state and a directory in another.
   */
  static Arbitrary<byte[]> filePath() {
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(4, Arbitraries.of(FILES).map(RawTree::latin1)),
        net.jqwik.api.Tuple.of(2, rawName().map(n -> RawTree.concat(RawTree.latin1("w/"), n))),
        net.jqwik.api.Tuple.of(1, rawName().map(n -> RawTree.concat(RawTree.latin1("v/"), n, RawTree.latin1("/z")))));
  }

  /** File modes, setuid, setgid and sticky bits included. */
  static final List<Integer> FILE_MODES = List.of(0644, 0600, 0755, 04755, 02755, 06755, 01644, 04711, 02644);
  /** Directory modes, setgid and sticky bits included. */
  static final List<Integer> DIR_MODES = List.of(0755, 0700, 0775, 01777, 02775, 03775);
  /** Owners a chown gives (as root); a setuid file of a user other than root must restore as theirs. */
  static final List<Integer> OWNERS = List.of(0, 1000, 1001, 65534);
  /** Groups a chown gives. */
  static final List<Integer> GROUPS = List.of(0, 100, 1000, 65534);
  /** Whether this test runs as root, so it can chown (CI does). */
  static final boolean RUNS_AS_ROOT = "0".equals(RawTree.owner(Path.of("/proc/self")).split(":")[0]);

  /**
   * Writes, overwrites or deletes a file, (re)points the link, changes a mode (setuid, setgid
   * and sticky bits included), or removes a directory.
   */
  static final class ChangeFiles implements Action.Independent<Model> {
    @Override
    public Arbitrary<Transformer<Model>> transformer() {
      Arbitrary<Transformer<Model>> write = Combinators.combine(filePath(), Arbitraries.strings()
          .withCharRange('a', 'e').ofMaxLength(12)).as((p, content) -> Transformer.mutate("write "
              + RawTree.escape(RawTree.text(p)) + "=" + content, m -> write(m, p, content)));
      Arbitrary<Transformer<Model>> delete = Arbitraries.integers().between(0, 1000).map(i -> Transformer.mutate(
          "rm file #" + i, m -> {
            List<String> files = m.live.entrySet().stream().filter(e -> e.getValue().startsWith("f:"))
                .map(Map.Entry::getKey).toList();
            if (!files.isEmpty()) {
              String p = files.get(i % files.size());
              deleteIfPresent(RawTree.resolve(m.data, RawTree.bytes(p)));
              m.live.remove(p);
            }
          }));
      Arbitrary<byte[]> targets = Arbitraries.frequencyOf(
          net.jqwik.api.Tuple.of(2, Arbitraries.of("a", "d/c", "missing", "../outside").map(RawTree::latin1)),
          net.jqwik.api.Tuple.of(2, Combinators.combine(Arbitraries.of("", "/", "../", "../../outside/", "/tmp/"),
              rawName()).as((prefix, n) -> RawTree.concat(RawTree.latin1(prefix), n))));
      Arbitrary<Transformer<Model>> link = targets
          .map(t -> Transformer.mutate("ln -s " + RawTree.escape(RawTree.text(t)) + " l", m -> {
            deleteIfPresent(m.data.resolve("l"));
            try {
              Files.createSymbolicLink(m.data.resolve("l"), RawTree.path(t));
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
            m.live.put("l", "l:" + RawTree.text(t) + RawTree.OWNER + RawTree.owner(m.data.resolve("l")));
          }));
      Arbitrary<Transformer<Model>> chmod = Combinators.combine(Arbitraries.integers().between(0, 1000),
          Arbitraries.of(FILE_MODES), Arbitraries.of(DIR_MODES)).as((i, fileMode, dirMode) -> Transformer.mutate(
              "chmod #" + i + " " + Integer.toOctalString(fileMode) + "/" + Integer.toOctalString(dirMode), m -> {
                List<String> paths = m.live.entrySet().stream().filter(e -> !e.getValue().startsWith("l:"))
                    .map(Map.Entry::getKey).toList();
                if (paths.isEmpty()) {
                  return;
                }
                String p = paths.get(i % paths.size());
                String old = m.live.get(p);
                boolean dir = old.startsWith("d:");
                int mode = dir ? dirMode : fileMode;
                RawTree.chmod(RawTree.resolve(m.data, RawTree.bytes(p)), mode);
                m.live.put(p, dir ? "d:" + Integer.toOctalString(mode) + RawTree.ownerPart(old)
                    : "f:" + Integer.toOctalString(mode) + old.substring(old.indexOf(':', 2)));
              }));
      Arbitrary<Transformer<Model>> chown = Combinators.combine(Arbitraries.integers().between(0, 1000),
          Arbitraries.of(OWNERS), Arbitraries.of(GROUPS)).as((i, uid, gid) -> Transformer.mutate(
              "chown #" + i + " " + uid + ":" + gid, m -> {
                if (!RUNS_AS_ROOT) {
                  return; // only root may give a file away
                }
                List<String> paths = List.copyOf(m.live.keySet());
                if (paths.isEmpty()) {
                  return;
                }
                String p = paths.get(i % paths.size());
                String old = m.live.get(p);
                Path path = RawTree.resolve(m.data, RawTree.bytes(p));
                RawTree.chown(path, uid, gid);
                if (!old.startsWith("l:")) {
                  // a chown clears setuid and setgid; keep the mode so that only the owner changes
                  RawTree.chmod(path, Integer.parseInt(old.substring(2, old.indexOf(old.startsWith("d:")
                      ? RawTree.OWNER : ':', 2)), 8));
                }
                m.live.put(p, RawTree.body(old) + RawTree.OWNER + uid + ":" + gid);
              }));
      Arbitrary<Transformer<Model>> rmdir = Arbitraries.of("d", "d/e", "g", "w", "v").map(dir -> Transformer.mutate("rm -r " + dir, m -> {
        Path p = m.data.resolve(dir);
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          try {
            InputFuzzTest.deleteTree(p);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
        m.live.keySet().removeIf(k -> k.equals(dir) || k.startsWith(dir + "/"));
      }));
      return Arbitraries.frequencyOf(
          net.jqwik.api.Tuple.of(6, write), net.jqwik.api.Tuple.of(2, delete), net.jqwik.api.Tuple.of(1, link),
          net.jqwik.api.Tuple.of(2, chmod), net.jqwik.api.Tuple.of(2, chown), net.jqwik.api.Tuple.of(1, rmdir));
    }

    /**
     * Writes {@code content} at the raw path, creating missing parents with mode 0755; a new file
     * gets 0644 and an existing one keeps its mode (set again, whatever a write may clear).
     */
    static void write(Model m, byte[] path, String content) {
      String text = RawTree.text(path);
      Path file = RawTree.resolve(m.data, path);
      try {
        for (int i = 0; i < path.length; i++) {
          if (path[i] == '/') {
            byte[] parent = java.util.Arrays.copyOf(path, i);
            Path dir = RawTree.resolve(m.data, parent);
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
              Files.createDirectory(dir);
              RawTree.chmod(dir, 0755);
              m.live.put(RawTree.text(parent), "d:755" + RawTree.OWNER + RawTree.owner(dir));
            }
          }
        }
        String old = m.live.get(text);
        int mode = old == null ? 0644 : Integer.parseInt(old.substring(2, old.indexOf(':', 2)), 8);
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        Files.write(file, bytes);
        RawTree.chmod(file, mode);
        m.live.put(text, "f:" + Integer.toOctalString(mode) + ":" + Sentinel.sha256(bytes) + RawTree.OWNER
            + RawTree.owner(file));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    static void deleteIfPresent(Path p) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** Diffs two READY snapshots and compares with the model's trees. */
  static final class DiffTwo implements Action.Dependent<Model> {
    @Override
    public boolean precondition(Model m) {
      return !m.ids.isEmpty();
    }

    @Override
    public Arbitrary<Transformer<Model>> transformer(Model m) {
      List<Integer> versions = List.copyOf(m.ids.keySet());
      return Combinators.combine(Arbitraries.of(versions), Arbitraries.of(versions)).as((a, b) ->
          Transformer.mutate("diff v" + a + " v" + b, s -> {
            DiffResult d = s.world.engine().diff(s.ws.tenant(), s.ids.get(a), s.ids.get(b));
            assertDiff(s.trees.get(a), s.trees.get(b), d, "diff v" + a + " → v" + b);
          }));
    }
  }

  /** Diffs a READY snapshot against the live volume. */
  static final class DiffCurrent implements Action.Dependent<Model> {
    @Override
    public boolean precondition(Model m) {
      return !m.ids.isEmpty();
    }

    @Override
    public Arbitrary<Transformer<Model>> transformer(Model m) {
      return Arbitraries.of(List.copyOf(m.ids.keySet())).map(v -> Transformer.mutate("diff v" + v + " current", s -> {
        DiffResult d = s.world.engine().diffCurrent(s.ws.tenant(), s.ids.get(v));
        assertDiff(s.trees.get(v), s.live, d, "diff v" + v + " → current");
      }));
    }
  }

  /** Additive restore, or replace restore with or without a pre-restore snapshot. */
  static final class Restore implements Action.Dependent<Model> {
    private final boolean additive;

    Restore(boolean additive) {
      this.additive = additive;
    }

    @Override
    public boolean precondition(Model m) {
      return !m.ids.isEmpty();
    }

    @Override
    public Arbitrary<Transformer<Model>> transformer(Model m) {
      return Combinators.combine(Arbitraries.of(List.copyOf(m.ids.keySet())), Arbitraries.of(true, false))
          .as((v, pre) -> Transformer.mutate((additive ? "additive" : "replace" + (pre ? "+pre" : "")) + " restore v" + v,
              s -> {
                s.world.clock.advance(Duration.ofHours(5));
                RestoreSpec spec = additive ? RestoreSpec.additive() : RestoreSpec.replace().preRestoreSnapshot(pre);
                TreeMap<String, String> before = new TreeMap<>(s.live);
                RestoreReport r = s.world.engine().restore(s.ws.tenant(), s.ids.get(v), spec);
                applyRestore(s, v, r, before, additive, !additive && pre);
              }));
    }
  }

  /** Rollback to a version, with or without a pre-restore snapshot. */
  static final class Rollback implements Action.Dependent<Model> {
    @Override
    public boolean precondition(Model m) {
      return !m.ids.isEmpty();
    }

    @Override
    public Arbitrary<Transformer<Model>> transformer(Model m) {
      return Combinators.combine(Arbitraries.of(List.copyOf(m.ids.keySet())), Arbitraries.of(true, false))
          .as((v, pre) -> Transformer.mutate("rollback v" + v + (pre ? " +pre" : ""), s -> {
            s.world.clock.advance(Duration.ofHours(5));
            TreeMap<String, String> before = new TreeMap<>(s.live);
            RestoreReport r = s.world.engine().rollback(s.ws, v, pre);
            applyRestore(s, v, r, before, false, pre);
          }));
    }
  }

  static void applyRestore(Model m, int v, RestoreReport r, TreeMap<String, String> before, boolean additive,
      boolean pre) {
    assertTrue(!r.hasErrors(), "restore reported errors: " + r);
    if (pre) {
      SnapshotId preId = r.preRestoreSnapshot().orElseThrow(() -> new AssertionError(
          "a pre-restore snapshot was asked for and not taken: " + r.warnings()));
      m.recordCapture(m.world.engine().get(m.ws.tenant(), preId), before);
    } else {
      assertTrue(r.preRestoreSnapshot().isEmpty(), "an unasked pre-restore snapshot was taken");
    }
    TreeMap<String, String> snap = m.trees.get(v);
    if (additive) {
      // re-create what the workload lacks; existing paths (of any content) are skipped
      long expectedCreated = snap.keySet().stream().filter(k -> !m.live.containsKey(k)).count();
      snap.forEach(m.live::putIfAbsent);
      assertEquals(expectedCreated, r.created(), "entries an additive restore created");
    } else {
      m.live = new TreeMap<>(snap);
    }
  }

  static final class Delete implements Action.Dependent<Model> {
    @Override
    public boolean precondition(Model m) {
      return !m.ids.isEmpty();
    }

    @Override
    public Arbitrary<Transformer<Model>> transformer(Model m) {
      return Arbitraries.of(List.copyOf(m.ids.keySet())).map(v -> Transformer.mutate("delete v" + v, s -> {
        s.world.engine().delete(s.ws.tenant(), s.ids.get(v));
        s.forget(v);
      }));
    }
  }

  /** keep-last and keep-daily retention, checked against the model's own plan. */
  static final class Retention implements Action.Independent<Model> {
    @Override
    public Arbitrary<Transformer<Model>> transformer() {
      return Combinators.combine(Arbitraries.integers().between(0, 4), Arbitraries.integers().between(0, 2))
          .as((last, daily) -> Transformer.mutate("retention keepLast=" + last + " keepDaily=" + daily, m -> {
            RetentionResult r = m.world.engine().applyRetention(m.ws, new RetentionPolicy(last, daily, 0), false);
            assertTrue(r.failed().isEmpty(), "retention failures: " + r.failed());
            Set<Integer> keep = plan(m, last, daily);
            Set<SnapshotId> expectedDeleted = m.ids.entrySet().stream().filter(e -> !keep.contains(e.getKey()))
                .map(Map.Entry::getValue).collect(Collectors.toSet());
            assertEquals(expectedDeleted, new HashSet<>(r.deleted()), "retention deleted other snapshots than the model");
            new ArrayList<>(m.ids.keySet()).stream().filter(v -> !keep.contains(v)).forEach(m::forget);
          }));
    }

    /** Versions grow with creation time here, so newest first is highest version first. */
    static Set<Integer> plan(Model m, int last, int daily) {
      Set<Integer> keep = new TreeSet<>();
      Set<LocalDate> days = new HashSet<>();
      int i = 0;
      for (int v : m.ids.descendingKeySet()) {
        if (i++ < last) {
          keep.add(v);
        }
        LocalDate day = LocalDate.ofInstant(m.created.get(v), ZoneOffset.UTC);
        if (!days.contains(day) && days.size() < daily) {
          days.add(day);
          keep.add(v);
        }
      }
      return keep;
    }
  }

  // ---------------------------------------------------------------- checks

  static void invariant(Model m) {
    List<Snapshot> versions = m.world.engine().versions(m.ws);
    List<Integer> numbers = versions.stream().map(Snapshot::version).toList();
    assertEquals(List.copyOf(m.ids.keySet()), numbers, "the store's versions");
    for (Snapshot s : versions) {
      assertEquals(SnapshotStatus.READY, s.status(), "version " + s.version() + " status");
      assertEquals(m.ids.get(s.version()), s.id(), "version " + s.version() + " id");
    }
    List<Snapshot> all = m.world.engine().list(SnapshotQuery.of(m.ws).limit(500)).items();
    assertEquals(versions.size(), all.size(), "no CAPTURING, FAILED or DELETING rows are left: " + all);
    assertEquals(new TreeSet<>(m.ids.values()), new TreeSet<>(m.world.agent().snapshots(m.ws)),
        "the repository holds exactly the store's READY snapshots");
    assertSameTree(m.live, RawTree.read(m.data), "the live volume");
    assertClean(m.world.agent().check(false));
    int step = m.steps++;
    if (!m.ids.isEmpty() && step % RESTORE_CHECK_EVERY == 0) {
      List<Integer> vs = List.copyOf(m.ids.keySet());
      restoresExactly(m, vs.get(Math.floorMod(step / RESTORE_CHECK_EVERY, vs.size())));
    }
  }

  static void assertClean(CheckReport report) {
    assertTrue(report.ok(), "repository check found damage: " + report);
  }

  /** Restores version {@code v} into a scratch directory and compares it byte-for-byte with the model. */
  static void restoresExactly(Model m, int v) {
    Path target = m.world.base.resolve("scratch-" + m.scratch++);
    m.world.engine().restore(m.ws.tenant(), m.ids.get(v), RestoreSpec.additive().target(target.toString()));
    assertSameTree(m.trees.get(v), RawTree.read(target.resolve("data")), "version " + v + " restored into " + target);
    try {
      InputFuzzTest.deleteTree(target);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Equal trees: the same names (by their bytes), types, full modes, contents and link targets. */
  static void assertSameTree(TreeMap<String, String> expected, TreeMap<String, String> actual, String what) {
    assertTrue(expected.equals(actual), () -> what + ": expected " + RawTree.printable(expected) + " but was "
        + RawTree.printable(actual));
  }

  /** The engine's file-level diff equals the model's: same added, removed and changed keys. */
  static void assertDiff(TreeMap<String, String> from, TreeMap<String, String> to, DiffResult d, String what) {
    assertTrue(!d.degraded(), what + " is degraded: " + d.problems());
    Set<String> added = new TreeSet<>();
    Set<String> removed = new TreeSet<>();
    Set<String> changed = new TreeSet<>();
    for (String k : to.keySet()) {
      if (!from.containsKey(k)) {
        added.add("data:" + k);
      } else if (!from.get(k).equals(to.get(k))) {
        changed.add("data:" + k);
      }
    }
    for (String k : from.keySet()) {
      if (!to.containsKey(k)) {
        removed.add("data:" + k);
      }
    }
    FamilyDiff files = d.families().getOrDefault(FsHostAgent.FILES_FAMILY, new FamilyDiff(List.of()));
    assertSameKeys(added, keys(files, Change.Added.class), what + ": added");
    assertSameKeys(removed, keys(files, Change.Removed.class), what + ": removed");
    assertSameKeys(changed, keys(files, Change.Changed.class), what + ": changed");
  }

  private static void assertSameKeys(Set<String> expected, Set<String> actual, String what) {
    assertTrue(expected.equals(actual), () -> what + ": expected " + expected.stream().map(RawTree::escape).toList()
        + " but was " + actual.stream().map(RawTree::escape).toList());
  }

  private static Set<String> keys(FamilyDiff diff, Class<? extends Change> kind) {
    return diff.changes().stream().filter(kind::isInstance).map(Change::key).collect(Collectors.toCollection(TreeSet::new));
  }
}
