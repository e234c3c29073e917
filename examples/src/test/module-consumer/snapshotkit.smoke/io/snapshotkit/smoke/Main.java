package io.snapshotkit.smoke;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.RestoreReport;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.RestoreSpec;
import io.snapshotkit.core.SnapshotEngine;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.jdbc.JdbcManifestStore;
import io.snapshotkit.spi.HostDirectory;
import io.snapshotkit.spi.Lifecycle;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;

/**
 * Capture, replace restore, export and strict delete of a real directory, with SQLite metadata, all from
 * the module path. Prints one line per step; exits non-zero (with the exception) on any failure.
 */
public final class Main {
  private Main() {}

  /**
   * Runs every step in {@code args[0]}, a scratch directory that need not exist yet.
   *
   * @param args one directory
   * @throws Exception any failure, which ends the JVM with a non-zero status
   */
  public static void main(String[] args) throws Exception {
    Path scratch = Path.of(args[0]);
    exportsExactly(Snapshot.class, Set.of("io.snapshotkit", "io.snapshotkit.spi"));
    exportsExactly(SnapshotEngine.class, Set.of("io.snapshotkit.core"));
    exportsExactly(JdbcManifestStore.class, Set.of("io.snapshotkit.jdbc"));
    exportsExactly(FsHostAgent.class, Set.of("io.snapshotkit.fs", "io.snapshotkit.fs.store"));
    System.out.println("modules: " + SnapshotEngine.class.getModule().getName() + " "
        + JdbcManifestStore.class.getModule().getName() + " " + FsHostAgent.class.getModule().getName());

    Path app = Files.createDirectories(scratch.resolve("app"));
    Files.writeString(app.resolve("config.yml"), "replicas: 2\n");
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try (JdbcManifestStore store = JdbcManifestStore.sqlite(scratch.resolve("snapshots.db"));
        FsHostAgent agent = FsHostAgent.rootedAt(scratch.resolve("repository"));
        SnapshotEngine engine = SnapshotEngine.builder()
            .manifestStore(store)
            .blobStore(store.blobStore())
            .hosts(HostDirectory.single(agent))
            .lifecycle(Lifecycle.none())
            .clock(Clock.systemUTC())
            .executor(threads)
            .build()) {
      WorkloadRef workload = WorkloadRef.of("acme", "app");
      agent.track(workload, Map.of("data", app.toAbsolutePath()));

      Snapshot v1 = engine.capture(CaptureSpec.of(workload).name("before"));
      System.out.println("captured version " + v1.version());

      Files.writeString(app.resolve("config.yml"), "replicas: 20\n");
      Files.writeString(app.resolve("notes.txt"), "scaled up\n");
      RestoreReport report = engine.restore(workload.tenant(), v1.id(), RestoreSpec.replace());
      check(Files.readString(app.resolve("config.yml")).equals("replicas: 2\n"), "config.yml is restored");
      check(!Files.exists(app.resolve("notes.txt")), "the file added after the capture is gone");
      System.out.println("restored version " + v1.version() + ", pre-restore snapshot "
          + report.preRestoreSnapshot().isPresent());

      // Export runs Commons Compress (tar) and zstd-jni from the module path.
      ByteArrayOutputStream archive = new ByteArrayOutputStream();
      agent.exportSnapshot(workload, v1.id(), archive);
      byte[] bytes = archive.toByteArray();
      check(bytes.length > 4 && (bytes[0] & 0xff) == 0x28 && (bytes[1] & 0xff) == 0xb5
          && (bytes[2] & 0xff) == 0x2f && (bytes[3] & 0xff) == 0xfd, "the export is a zstd stream");
      System.out.println("exported version " + v1.version() + " as tar.zst");

      engine.delete(workload.tenant(), v1.id());
      try {
        engine.get(workload.tenant(), v1.id());
        throw new AssertionError("version 1 is still readable after delete");
      } catch (SnapshotException e) {
        check(e.code() == ErrorCode.NOT_FOUND, "a deleted snapshot is NOT_FOUND, not " + e.code());
      }
      System.out.println("deleted version " + v1.version());
    } finally {
      threads.shutdownNow();
    }
    System.out.println("module path smoke test passed");
  }

  /** The module of {@code type} is named and exports exactly {@code api}: its other packages are internal. */
  private static void exportsExactly(Class<?> type, Set<String> api) {
    Module module = type.getModule();
    check(module.isNamed(), type.getName() + " comes from a named module, not the class path");
    Set<String> exported = module.getPackages().stream().filter(module::isExported).collect(Collectors.toSet());
    check(exported.equals(api), module.getName() + " exports exactly " + api + ", not " + exported);
  }

  private static void check(boolean condition, String what) {
    if (!condition) {
      throw new AssertionError("expected: " + what);
    }
  }
}
