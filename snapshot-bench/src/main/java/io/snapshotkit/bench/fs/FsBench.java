package io.snapshotkit.bench.fs;

import io.snapshotkit.Manifest;
import io.snapshotkit.RestoreMode;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.DiffSummary;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.CaptureResult;
import io.snapshotkit.spi.RestoreRequest;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The "ours" side of {@code bench/fs-bench.sh}: one JVM per operation, driving the public
 * {@link FsHostAgent} exactly as an embedding application would, so JVM start-up is counted just
 * as restic's process start-up is.
 *
 * <pre>
 * FsBench capture REPO DIR NAME [--parent NAME] [--full-rescan]
 * FsBench restore REPO NAME TARGET        (the volume lands in TARGET/data)
 * FsBench diff REPO FROM TO
 * FsBench warm N capture|restore ARGS   (N runs in one JVM, each timed; see warm)
 * </pre>
 *
 * <p>{@code NAME}s are mapped to fixed {@link SnapshotId}s, so runs are repeatable. The workload
 * {@code bench/corpus} has one volume, {@code data}. The agent runs with its default compression
 * level and an executor of {@code availableProcessors()} threads for file reads (the anchors,
 * {@code zstd -T0} and restic, use every core too). Set {@code -Dfsbench.threads=N} to change
 * that, {@code -Dfsbench.level=L} for the zstd level.
 *
 * <p><b>Threading:</b> a command-line program; the agent's reads run on its own pool.
 */
public final class FsBench {
  private static final WorkloadRef WORKLOAD = WorkloadRef.of("bench", "corpus");
  private static final String VOLUME = "data";

  private FsBench() {}

  /**
   * Runs one operation and prints a one-line result.
   *
   * @param args see the class documentation
   */
  public static void main(String[] args) {
    if (args.length < 3) {
      usage();
    }
    int threads = Integer.getInteger("fsbench.threads", Runtime.getRuntime().availableProcessors());
    ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "fsbench-read");
      t.setDaemon(true);
      return t;
    });
    try {
      if (args[0].equals("warm")) {
        warm(pool, args);
      } else {
        run(pool, args);
      }
    } finally {
      pool.shutdown();
    }
  }

  private static void run(ExecutorService pool, String[] args) {
    FsHostAgent.Builder builder = FsHostAgent.builder().repository(Path.of(args[1])).executor(pool);
    Integer level = Integer.getInteger("fsbench.level");
    if (level != null) {
      builder.compressionLevel(level);
    }
    try (FsHostAgent agent = builder.build()) {
      switch (args[0]) {
        case "capture" -> capture(agent, args);
        case "restore" -> restore(agent, args);
        case "diff" -> diff(agent, args);
        default -> usage();
      }
    }
  }

  /**
   * {@code warm N OP ARGS}: runs a capture or restore N times in this one JVM and prints each
   * run's time, to show what an embedding application that has already warmed up pays. Run i
   * captures into {@code REPO-i} (so every run stores everything) or restores into {@code
   * TARGET-i}. Informational: the comparisons of {@code bench/fs-bench.sh} time whole processes.
   */
  private static void warm(ExecutorService pool, String[] args) {
    if (args.length < 5) {
      usage();
    }
    int n = Integer.parseInt(args[1]);
    String[] op = java.util.Arrays.copyOfRange(args, 2, args.length);
    for (int i = 1; i <= n; i++) {
      String[] a = op.clone();
      switch (a[0]) {
        case "capture" -> a[1] = a[1] + "-" + i;
        case "restore" -> a[3] = a[3] + "-" + i;
        default -> usage();
      }
      long start = System.nanoTime();
      run(pool, a);
      System.out.printf("warm %s run %d of %d: %.3f s%n", a[0], i, n, (System.nanoTime() - start) / 1e9);
    }
  }

  private static void usage() {
    System.err.println("usage: FsBench capture REPO DIR NAME [--parent NAME] [--full-rescan]"
        + " | restore REPO NAME TARGET | diff REPO FROM TO | warm N (capture|restore) ARGS");
    System.exit(2);
  }

  /** A fixed id per name: repeatable runs, and s1 sorts before s2. */
  static SnapshotId id(String name) {
    long n = name.chars().asLongStream().reduce(0, (a, c) -> a * 131 + c);
    return SnapshotId.generate(Instant.ofEpochSecond(1_700_000_000L + Math.floorMod(n, 1_000_000L)),
        new SplittableRandom(n));
  }

  private static void capture(FsHostAgent agent, String[] args) {
    if (args.length < 4) {
      usage();
    }
    Path dir = Path.of(args[2]).toAbsolutePath().normalize();
    String name = args[3];
    Optional<SnapshotId> parent = Optional.empty();
    boolean fullRescan = false;
    for (int i = 4; i < args.length; i++) {
      switch (args[i]) {
        case "--parent" -> parent = Optional.of(id(args[++i]));
        case "--full-rescan" -> fullRescan = true;
        default -> usage();
      }
    }
    agent.track(WORKLOAD, Map.of(VOLUME, dir));
    CaptureResult r = agent.capture(new CaptureRequest(WORKLOAD, id(name), parent, Optional.empty(), fullRescan));
    System.out.printf("captured %s (%s): %s new bytes, partial=%s, %s%n", name, id(name).value(), r.sizeBytes(),
        r.partial(), r.manifest().family(FsHostAgent.FAMILY).get(0).document());
    if (r.partial()) {
      System.exit(3);
    }
  }

  private static void restore(FsHostAgent agent, String[] args) {
    if (args.length != 4) {
      usage();
    }
    SnapshotId id = id(args[2]);
    Path target = Path.of(args[3]).toAbsolutePath().normalize();
    Manifest manifest = agent.manifest(WORKLOAD, id).orElseThrow(
        () -> new IllegalStateException("no snapshot " + args[2] + " in " + args[1]));
    var outcome = agent.restore(new RestoreRequest(WORKLOAD, id, manifest, RestoreMode.REPLACE,
        Optional.of(target.toString()), List.of()));
    System.out.println("restored " + args[2] + " into " + target.resolve(VOLUME) + ": " + outcome.families());
  }

  private static void diff(FsHostAgent agent, String[] args) {
    if (args.length != 4) {
      usage();
    }
    AtomicLong changes = new AtomicLong();
    DiffSummary s = agent.diff(WORKLOAD, id(args[2]), Optional.of(id(args[3])), change -> changes.incrementAndGet());
    System.out.printf("diff %s %s: %d changes: added=%d removed=%d modified=%d typeChanged=%d modeChanged=%d partial=%s%n",
        args[2], args[3], changes.get(), s.added(), s.removed(), s.modified(), s.typeChanged(), s.modeChanged(), s.partial());
  }
}
