package io.snapshotkit.examples.embed;

import io.snapshotkit.Change;
import io.snapshotkit.DiffResult;
import io.snapshotkit.RestoreReport;
import io.snapshotkit.Snapshot;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.SnapshotEngine;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.jdbc.JdbcManifestStore;
import io.snapshotkit.spi.HostDirectory;
import io.snapshotkit.spi.Lifecycle;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * SnapshotKit embedded in an application, wired by hand: SQLite for metadata, the directory agent
 * for one workload's files, and the engine over both. Run it with a scratch directory:
 *
 * <pre>{@code
 * java -cp examples/target/snapshotkit.jar io.snapshotkit.examples.embed.EmbeddingExample /tmp/embed-demo
 * }</pre>
 *
 * <p><b>Thread-safety:</b> {@link #run} is confined to its calling thread; it owns everything it opens.
 */
public final class EmbeddingExample {
  private EmbeddingExample() {}

  /**
   * Runs the example in {@code args[0]} (a directory that need not exist yet).
   *
   * @param args one directory
   * @throws IOException if the scratch directory cannot be written
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: EmbeddingExample SCRATCH_DIR");
      System.exit(2);
    }
    run(Path.of(args[0]), System.out);
  }

  /**
   * Tracks {@code scratch/app} as a workload, captures it, changes it, diffs, rolls back.
   *
   * @param scratch where the database, repository and workload files go
   * @param out where to narrate
   * @return the diff between version 1 and the changed files
   * @throws IOException if the scratch directory cannot be written
   */
  public static DiffResult run(Path scratch, PrintStream out) throws IOException {
    Objects.requireNonNull(scratch, "scratch");
    Objects.requireNonNull(out, "out");
    Path app = Files.createDirectories(scratch.resolve("app"));
    Files.writeString(app.resolve("config.yml"), "replicas: 2\n");

    // 1. The pieces: a metadata store, a host agent, threads and a clock that the application owns.
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try (JdbcManifestStore store = JdbcManifestStore.sqlite(scratch.resolve("snapshots.db"));
        FsHostAgent agent = FsHostAgent.rootedAt(scratch.resolve("repository"));
        SnapshotEngine engine = SnapshotEngine.builder()
            .manifestStore(store)
            .blobStore(store.blobStore())
            .hosts(HostDirectory.single(agent))     // one host, "local", runs every workload
            .lifecycle(Lifecycle.none())            // nothing to pause: plain directories
            .clock(Clock.systemUTC())
            .executor(threads)
            .build()) {

      // 2. A workload is a tenant's named thing; the agent maps it to directories (volumes).
      WorkloadRef workload = WorkloadRef.of("acme", "app");
      agent.track(workload, Map.of("data", app.toAbsolutePath()));

      // 3. Capture, change, diff against the current files.
      Snapshot v1 = engine.capture(CaptureSpec.of(workload).name("before scale-up"));
      out.println("captured " + workload + " version " + v1.version() + " (" + v1.id() + ")");
      Files.writeString(app.resolve("config.yml"), "replicas: 20\n");
      Files.writeString(app.resolve("notes.txt"), "scaled up\n");
      DiffResult diff = engine.diffCurrent(workload.tenant(), v1.id());
      diff.families().forEach((family, changes) -> changes.changes().forEach(c ->
          out.println("  " + (c instanceof Change.Added ? "+" : c instanceof Change.Removed ? "-" : "~") + " " + c.key())));

      // 4. Roll back: the directory becomes version 1 again; a safety snapshot is taken first.
      RestoreReport report = engine.rollback(workload, 1);
      out.println("rolled back to version 1; safety snapshot " + report.preRestoreSnapshot().map(Object::toString).orElse("-"));
      out.println("versions: " + engine.versions(workload).size());
      return diff;
    } finally {
      threads.shutdownNow();
    }
  }
}
