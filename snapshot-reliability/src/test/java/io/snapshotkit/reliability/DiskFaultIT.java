package io.snapshotkit.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.RestoreSpec;
import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.spi.QuiescePolicy;
import io.snapshotkit.spi.Quiesced;
import io.snapshotkit.spi.WorkloadLease;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Full disks and unreadable files. A size-limited tmpfs (8 MiB, mounted by the test; the suite
 * runs as root) holds the repository while a capture fills it, or the volume while a replace
 * restore fills it. The operation must fail with a clear error that says the disk is full, leave
 * the live volume untouched and nothing half-written behind, and the next operation must succeed
 * once space is freed. If {@code mount} is not permitted the tests FAIL with the reason: they are
 * never skipped.
 */
class DiskFaultIT {
  private static final WorkloadRef WS = WorkloadRef.of("disk", "ws");

  @TempDir Path base;
  private Path small;

  @BeforeEach
  void mountSmallFilesystem() throws Exception {
    small = Files.createDirectories(base.resolve("small"));
    run("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", small.toString());
  }

  @AfterEach
  void unmount() throws Exception {
    if (small != null) {
      List<String> open = openFilesUnder(small);
      if (!open.isEmpty()) {
        run("umount", "-l", small.toString()); // detach anyway, so the next test gets a fresh filesystem
        fail("files on the small filesystem are still open after every agent and engine was closed "
            + "(a leaked file descriptor): " + open);
      }
      run("umount", small.toString());
    }
  }

  /** This JVM's open file descriptors that point under {@code dir}. */
  private static List<String> openFilesUnder(Path dir) throws IOException {
    List<String> out = new java.util.ArrayList<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : fds.toList()) {
        try {
          Path target = Files.readSymbolicLink(fd);
          if (target.startsWith(dir)) {
            out.add(dir.relativize(target).toString());
          }
        } catch (IOException e) {
          // closed while listing
        }
      }
    }
    return out;
  }

  @Test
  void repositoryFillsUpDuringCapture() throws Exception {
    Path volume = base.resolve("volume");
    Files.createDirectories(volume);
    Files.write(volume.resolve("a.bin"), ProcessKillIT.randomBytes(1, 2_500_000));
    Files.write(volume.resolve("b.bin"), ProcessKillIT.randomBytes(2, 2_500_000));
    Files.writeString(volume.resolve("note.txt"), "small", StandardCharsets.UTF_8);
    Map<String, String> before = Sentinel.read(volume);
    try (FsWorld w = FsWorld.create(base, small.resolve("repo"), 0, FsWorld.Hooks.none())) {
      w.track(WS, volume);
      Path filler = small.resolve("filler");
      Files.write(filler, ProcessKillIT.randomBytes(3, 4_000_000)); // leaves ~4 MiB: less than the 5 MB to store

      SnapshotException e = assertThrows(SnapshotException.class, () -> w.engine().capture(CaptureSpec.of(WS)));

      assertEquals(before, Sentinel.read(volume), "the live volume is untouched");
      assertEquals(List.of(), storedContent(small.resolve("repo")),
          "the failed capture's content was removed at once, not left until gc");
      assertTrue(e.getMessage().contains("removed"), e.getMessage());
      Snapshot failed = only(w);
      assertEquals(SnapshotStatus.FAILED, failed.status(), "the listing reflects the failed capture");
      assertTrue(w.agent().snapshots(WS).isEmpty(), "no snapshot was committed");
      assertTrue(w.agent().check(false).ok());

      Files.delete(filler);
      w.engine().delete(WS.tenant(), failed.id());
      w.agent().gc();
      Snapshot ok = w.engine().capture(CaptureSpec.of(WS).name("after freeing space"));
      assertEquals(SnapshotStatus.READY, ok.status());
      Path target = base.resolve("restored");
      w.engine().restore(WS.tenant(), ok.id(), RestoreSpec.additive().target(target.toString()));
      assertEquals(before, Sentinel.read(target.resolve("data")), "the capture after freeing space restores byte for byte");
      assertDiskFullMessage(e); // last, so that a vague message does not hide the checks above
    }
  }

  @Test
  void captureThatRunsOutOfSpaceRemovesTheContentItHadStored() throws Exception {
    // A capture seals (publishes, with its index) a pack at 64 MiB, so the first file's pack is in
    // the repository when the second file fills the disk; a 160 MiB filesystem of its own.
    Path medium = Files.createDirectories(base.resolve("medium"));
    run("mount", "-t", "tmpfs", "-o", "size=160m", "tmpfs", medium.toString());
    try {
      Path volume = Files.createDirectories(base.resolve("volume-big"));
      Files.write(volume.resolve("a.bin"), ProcessKillIT.randomBytes(30, 70_000_000));
      Files.write(volume.resolve("b.bin"), ProcessKillIT.randomBytes(31, 40_000_000));
      try (FsWorld w = FsWorld.create(base, medium.resolve("repo"), 0, FsWorld.Hooks.none())) {
        w.track(WS, volume);
        Files.write(medium.resolve("filler"), ProcessKillIT.randomBytes(32, 72_000_000)); // ~95 MB left for 110 MB
        long freeBefore = Files.getFileStore(medium).getUsableSpace();

        SnapshotException e = assertThrows(SnapshotException.class, () -> w.engine().capture(CaptureSpec.of(WS)));

        assertEquals(List.of(), storedContent(medium.resolve("repo")),
            "the failed capture's published pack was removed at once, not left until gc");
        assertTrue(Files.getFileStore(medium).getUsableSpace() >= freeBefore - 1_000_000,
            "its space is free again: " + Files.getFileStore(medium).getUsableSpace() + " of " + freeBefore);
        assertTrue(e.getMessage().contains("was removed again"), e.getMessage());
        assertDiskFullMessage(e);
      }
    } finally {
      run("umount", medium.toString());
    }
  }

  @Test
  void smallFilesFillingTheDiskLeaveNoPackBehind() throws Exception {
    // Many small files go through the pack writer's buffer, so the disk fills while bytes are
    // still buffered and closing the abandoned pack fails too: the pack must be removed anyway,
    // or its space stays taken and the next capture fails for want of it (found by the test
    // above, which hit this only when a small file happened to be buffered at that moment).
    Path volume = base.resolve("many");
    for (int i = 0; i < 400; i++) {
      Path f = volume.resolve("d" + (i % 10)).resolve("f" + i + ".bin");
      Files.createDirectories(f.getParent());
      Files.write(f, ProcessKillIT.randomBytes(100 + i, 2_000));
    }
    try (FsWorld w = FsWorld.create(base, small.resolve("repo"), 0, FsWorld.Hooks.none())) {
      w.track(WS, volume);
      Path filler = small.resolve("filler");
      Files.write(filler, ProcessKillIT.randomBytes(4, 8 * 1024 * 1024 - 400_000)); // ~400 KB left for 800 KB

      SnapshotException e = assertThrows(SnapshotException.class, () -> w.engine().capture(CaptureSpec.of(WS)));

      try (Stream<Path> left = Files.list(small.resolve("repo").resolve("packs"))) {
        assertEquals(List.of(), left.map(p -> p.getFileName().toString()).toList(),
            "the abandoned pack was removed");
      }
      Files.delete(filler);
      Snapshot ok = w.engine().capture(CaptureSpec.of(WS).name("after freeing space"));
      assertEquals(SnapshotStatus.READY, ok.status());
      assertDiskFullMessage(e);
    }
  }

  @Test
  void volumeFillsUpDuringReplaceRestore() throws Exception {
    Path volume = small.resolve("volume");
    Files.createDirectories(volume);
    Files.write(volume.resolve("a.bin"), ProcessKillIT.randomBytes(10, 2_000_000));
    Files.writeString(volume.resolve("note.txt"), "version one", StandardCharsets.UTF_8);
    Path filler = small.resolve("filler");
    AtomicBoolean fillOnQuiesce = new AtomicBoolean();
    // The lifecycle fills the disk after the pre-flight passed and before the agent stages the
    // restore, so the disk runs out in the middle of the restore itself, not in its pre-flight.
    Lifecycle filling = new Lifecycle() {
      @Override
      public Quiesced quiesce(WorkloadLease lease, QuiescePolicy policy) {
        if (fillOnQuiesce.get()) {
          try {
            Files.write(filler, ProcessKillIT.randomBytes(12, 5_000_000));
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
        }
        return Lifecycle.none().quiesce(lease, policy);
      }

      @Override
      public void resume(WorkloadLease lease, Quiesced state) {
        Lifecycle.none().resume(lease, state);
      }
    };
    try (FsWorld w = FsWorld.create(base, base.resolve("repo"), 0, new FsWorld.Hooks(null, filling, a -> a))) {
      w.track(WS, volume);
      Snapshot one = w.engine().capture(CaptureSpec.of(WS).name("one"));
      Map<String, String> oneTree = Sentinel.read(volume);
      Files.write(volume.resolve("a.bin"), ProcessKillIT.randomBytes(11, 2_000_000));
      Files.writeString(volume.resolve("note.txt"), "version two", StandardCharsets.UTF_8);
      Map<String, String> live = Sentinel.read(volume);

      fillOnQuiesce.set(true);
      SnapshotException e = assertThrows(SnapshotException.class, () -> w.engine().restore(WS.tenant(), one.id(),
          RestoreSpec.replace().preRestoreSnapshot(false)));

      assertEquals(live, Sentinel.read(volume), "the live volume is untouched by the failed replace restore");
      assertEquals(List.of("filler", "volume"), list(small), "no staging or set-aside directories are left");
      assertEquals(List.of(), list(w.repo.resolve("journal")), "no journal is left");

      fillOnQuiesce.set(false);
      Files.delete(filler);
      w.engine().restore(WS.tenant(), one.id(), RestoreSpec.replace().preRestoreSnapshot(false));
      assertEquals(oneTree, Sentinel.read(volume), "after freeing space the restore succeeds byte for byte");
      Snapshot next = w.engine().capture(CaptureSpec.of(WS).name("next"));
      assertEquals(SnapshotStatus.READY, next.status(), "and the next capture succeeds");
      assertDiskFullMessage(e);
    }
  }

  @Test
  void targetFillsUpDuringAdditiveRestore() throws Exception {
    Path volume = Files.createDirectories(base.resolve("volume-a"));
    Files.write(volume.resolve("a.bin"), ProcessKillIT.randomBytes(20, 3_000_000));
    Files.writeString(volume.resolve("note.txt"), "small", StandardCharsets.UTF_8);
    Path filler = small.resolve("filler");
    AtomicBoolean fillOnFirstWrite = new AtomicBoolean();
    // The agent's file writes run on this executor: the first one fills the disk, after the
    // pre-flight passed, so the disk runs out while the restore writes its files.
    java.util.concurrent.Executor filling = task -> {
      if (fillOnFirstWrite.getAndSet(false)) {
        try {
          Files.write(filler, ProcessKillIT.randomBytes(21, 8 * 1024 * 1024 - 1_000_000));
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      }
      task.run();
    };
    try (FsWorld w = FsWorld.create(base, base.resolve("repo"), 0, new FsWorld.Hooks(filling, Lifecycle.none(), a -> a))) {
      w.track(WS, volume);
      Snapshot one = w.engine().capture(CaptureSpec.of(WS).name("one"));
      Path target = small.resolve("restored");

      fillOnFirstWrite.set(true);
      io.snapshotkit.RestoreReport report = w.engine().restore(WS.tenant(), one.id(),
          RestoreSpec.additive().target(target.toString()));

      assertEquals(java.util.Optional.of(ErrorCode.INSUFFICIENT_STORAGE), report.failureCode(), report.toString());
      io.snapshotkit.RestoreFailure failure = report.failures().get(0);
      assertEquals("data:a.bin", failure.resource());
      assertTrue(failure.reason().contains("full"), failure.reason());
      assertFalse(failure.reason().contains("maintainers"), failure.reason());
      assertFalse(Files.exists(target.resolve("data/a.bin")), "no torn file is left");
      assertEquals("small", Files.readString(target.resolve("data/note.txt")), "the file that fits is restored");
    }
  }

  @Test
  void importOntoAFullDiskIsRefusedUpFrontOrWhenTheDiskFillsUp() throws Exception {
    Path volume = Files.createDirectories(base.resolve("volume-i"));
    Files.write(volume.resolve("a.bin"), ProcessKillIT.randomBytes(40, 5_000_000));
    Path archive = base.resolve("volume-i.tar.zst");
    try (java.io.OutputStream out = Files.newOutputStream(archive)) {
      io.snapshotkit.fs.SnapshotArchive.exportDirectories(Map.of("data", volume),
          io.snapshotkit.fs.SnapshotArchive.Description.none(), out);
    }
    Path filler = small.resolve("filler");
    Path staging = small.resolve("staging");

    // the disk fills up half way through the file, after the free-space check passed
    long[] read = {0};
    SnapshotException midway;
    try (java.io.InputStream in = new java.io.FilterInputStream(Files.newInputStream(archive)) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (read[0] < 2_500_000 && (read[0] += Math.max(n, 0)) >= 2_500_000) {
          long free = Files.getFileStore(small).getUsableSpace();
          Files.write(filler, ProcessKillIT.randomBytes(41, (int) (free - 100_000)));
        }
        return n;
      }
    }) {
      midway = assertThrows(SnapshotException.class, () -> io.snapshotkit.fs.SnapshotArchive.importArchive(in, staging,
          io.snapshotkit.fs.SnapshotArchive.Limits.defaults()));
    }
    assertTrue(Files.exists(filler), "the disk was filled during the import");
    assertFalse(Files.exists(staging), "the half-unpacked staging directory was removed");
    assertFalse(midway.getMessage().contains("needs about"), "it failed while unpacking, not up front: "
        + midway.getMessage());
    assertDiskFullMessage(midway);

    // with the disk already full, the archive's declared size is refused before anything is unpacked
    SnapshotException upFront;
    try (java.io.InputStream in = Files.newInputStream(archive)) {
      upFront = assertThrows(SnapshotException.class, () -> io.snapshotkit.fs.SnapshotArchive.importArchive(in, staging,
          io.snapshotkit.fs.SnapshotArchive.Limits.defaults()));
    }
    assertTrue(upFront.getMessage().contains("the archive needs about"), upFront.getMessage());
    assertFalse(Files.exists(staging));
    assertDiskFullMessage(upFront);
  }

  /**
   * A file even root cannot read: a write-only sysfs attribute bind-mounted into the volume (as
   * root, permission bits alone would not stop a read). The fs agent's policy is a partial
   * snapshot: READY, marked partial, everything readable captured, and a restore that says so.
   */
  @Test
  void unreadableFileGivesAPartialSnapshot() throws Exception {
    Path volume = Files.createDirectories(base.resolve("volume-u"));
    Files.createDirectories(volume.resolve("dir"));
    Files.writeString(volume.resolve("ok.txt"), "readable", StandardCharsets.UTF_8);
    Files.writeString(volume.resolve("dir/ok2.txt"), "readable too", StandardCharsets.UTF_8);
    Path unreadable = Files.createFile(volume.resolve("unreadable.bin"));
    Path writeOnly = Path.of("/sys/bus/pci/rescan");
    assertTrue(Files.exists(writeOnly), writeOnly + " (a write-only sysfs file) is needed to make a file root cannot read");
    run("mount", "--bind", writeOnly.toString(), unreadable.toString());
    try (FsWorld w = FsWorld.create(base)) {
      assertThrows(IOException.class, () -> Files.readAllBytes(unreadable), "the bind-mounted file is unreadable");
      w.track(WS, volume);

      Snapshot s = w.engine().capture(CaptureSpec.of(WS).name("partial"));

      assertEquals(SnapshotStatus.READY, s.status());
      assertTrue(s.partial(), "a snapshot missing an unreadable file is marked partial");
      Path target = base.resolve("restored-u");
      io.snapshotkit.RestoreReport report = w.engine().restore(WS.tenant(), s.id(),
          RestoreSpec.additive().target(target.toString()));
      assertTrue(report.partialSnapshot(), "the restore says the snapshot was partial");
      assertTrue(report.warnings().stream().anyMatch(l -> l.contains("partial")), "and warns: " + report.warnings());
      Map<String, String> restored = Sentinel.read(target.resolve("data"));
      assertEquals(Sentinel.sha256("readable".getBytes(StandardCharsets.UTF_8)), restored.get("ok.txt").substring(2));
      assertEquals(Sentinel.sha256("readable too".getBytes(StandardCharsets.UTF_8)), restored.get("dir/ok2.txt").substring(2));
      assertTrue(!restored.containsKey("unreadable.bin") || restored.get("unreadable.bin").equals("f:" + Sentinel.sha256(new byte[0])),
          "the unreadable file's content was not invented: " + restored);
      assertTrue(w.agent().check(false).ok());
    } finally {
      run("umount", unreadable.toString());
    }
  }

  // ---------------------------------------------------------------- helpers

  /** What a person sees must say the disk is full, not just "failed unexpectedly". */
  private static void assertDiskFullMessage(SnapshotException e) {
    assertEquals(ErrorCode.INSUFFICIENT_STORAGE, e.code(), e.getMessage() + causes(e));
    assertFalse(e.getMessage().contains("maintainers") || e.getMessage().contains("unexpectedly"), e.getMessage());
    String message = e.getMessage().toLowerCase(Locale.ROOT);
    assertTrue(message.contains("space") || message.contains("disk is full") || message.contains("full"),
        "the error does not say the disk is full: " + e.code() + ": " + e.getMessage() + causes(e));
  }

  private static String causes(Throwable e) {
    StringBuilder out = new StringBuilder();
    for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
      out.append("\n  caused by ").append(c);
    }
    return out.toString();
  }

  /** The pack and index files under a repository, relative to it. */
  private static List<String> storedContent(Path repo) throws IOException {
    try (Stream<Path> walk = Files.walk(repo)) {
      return walk.filter(Files::isRegularFile).map(p -> repo.relativize(p).toString())
          .filter(p -> p.startsWith("packs/") || p.startsWith("index/")).sorted().toList();
    }
  }

  private static Snapshot only(FsWorld w) {
    List<Snapshot> all = w.engine().list(SnapshotQuery.of(WS)).items();
    assertEquals(1, all.size(), "one snapshot: " + all);
    return all.get(0);
  }

  private static List<String> list(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static void run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      fail(String.join(" ", command) + " failed (" + output.trim() + "). The disk-fault tests need a size-limited "
          + "tmpfs and so must run as root (or with CAP_SYS_ADMIN); they are not skipped.");
    }
  }
}
