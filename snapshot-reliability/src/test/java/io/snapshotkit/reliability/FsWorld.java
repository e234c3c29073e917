package io.snapshotkit.reliability;

import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.SnapshotEngine;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.jdbc.JdbcManifestStore;
import io.snapshotkit.spi.HostDirectory;
import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.testkit.MutableClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A real, embedded SnapshotKit deployment in one directory: a SQLite {@link JdbcManifestStore},
 * an {@link FsHostAgent} repository, volume directories, and a sentinel tree beside them that
 * nothing may ever touch. {@link #restart()} closes the engine and the agent and opens them again
 * on the same files, as a process restart would.
 *
 * <pre>
 * base/
 *   store.db         the SQLite store
 *   repo/            the fs agent's repository
 *   volumes/&lt;ws&gt;/data  each workload's one volume
 *   sentinel/        must keep its checksum
 * </pre>
 *
 * <p><b>Thread-safety:</b> not thread-safe; one test thread drives it.
 */
final class FsWorld implements AutoCloseable {
  final Path base;
  final Path repo;
  final Path volumes;
  final Path sentinel;
  final Path db;
  final MutableClock clock = MutableClock.epoch();
  private ExecutorService executor;
  private FsHostAgent agent;
  private SnapshotEngine engine;
  private final long restoreHeadroom;
  private final Hooks hooks;

  /**
   * Seams a crash or fault test uses to stop an operation at a chosen point.
   *
   * @param agentReads where the agent reads files during a capture, or null for the calling thread
   * @param lifecycle the engine's lifecycle (quiesce and resume)
   * @param wrap wraps the fs agent before the engine sees it (to pause or fail host calls)
   */
  record Hooks(java.util.concurrent.Executor agentReads, Lifecycle lifecycle,
      java.util.function.UnaryOperator<io.snapshotkit.spi.HostAgent> wrap) {
    static Hooks none() {
      return new Hooks(null, Lifecycle.none(), a -> a);
    }
  }

  private FsWorld(Path base, Path repo, long restoreHeadroom, Hooks hooks) {
    this.hooks = hooks;
    this.base = base;
    this.repo = repo;
    this.volumes = base.resolve("volumes");
    this.sentinel = base.resolve("sentinel");
    this.db = base.resolve("store.db");
    this.restoreHeadroom = restoreHeadroom;
  }

  /** A fresh world under {@code base} (created), with a populated sentinel tree. */
  static FsWorld create(Path base) {
    return create(base, 0);
  }

  /** As {@link #create(Path)}, with the agent's restore headroom (free bytes it insists on). */
  static FsWorld create(Path base, long restoreHeadroom) {
    return create(base, base.resolve("repo"), restoreHeadroom, Hooks.none());
  }

  /** A fresh world under {@code base} with its repository at {@code repo} (a small filesystem, say). */
  static FsWorld create(Path base, Path repo, long restoreHeadroom, Hooks hooks) {
    FsWorld w = new FsWorld(base, repo, restoreHeadroom, hooks);
    try {
      Files.createDirectories(w.volumes);
      Sentinel.populate(w.sentinel, new SplittableRandom(42));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    w.open();
    return w;
  }

  /** Opens an existing world (made by {@link #create}) with {@code hooks}: what a restarted process does. */
  static FsWorld reopen(Path base, Hooks hooks) {
    FsWorld w = new FsWorld(base, base.resolve("repo"), 0, hooks);
    w.open();
    return w;
  }

  /** Opens store, agent and engine on the world's files (replaying restore journals, like a start-up). */
  void open() {
    executor = Executors.newFixedThreadPool(2);
    FsHostAgent.Builder b = FsHostAgent.builder().repository(repo).clock(clock).restoreHeadroom(restoreHeadroom);
    if (hooks.agentReads() != null) {
      b.executor(hooks.agentReads());
    }
    agent = b.build();
    engine = SnapshotEngine.builder()
        .manifestStore(JdbcManifestStore.sqlite(db))
        .hosts(HostDirectory.single(hooks.wrap().apply(agent)))
        .lifecycle(hooks.lifecycle())
        .clock(clock)
        .executor(executor)
        .hostTimeout(Duration.ofSeconds(30))
        .lockTimeout(Duration.ofSeconds(30))
        .stuckCaptureAfter(Duration.ofMinutes(10))
        .build();
  }

  /** Closes the engine and the agent, then opens them again on the same files. */
  void restart() {
    closeParts();
    open();
  }

  SnapshotEngine engine() {
    return engine;
  }

  FsHostAgent agent() {
    return agent;
  }

  /** Makes the workload's volume directory {@code volumes/<id>/data} and tracks it. */
  Path track(WorkloadRef workload) {
    return track(workload, volumes.resolve(workload.id()).resolve("data"));
  }

  /** Tracks {@code data} (created if missing) as the workload's one volume, named {@code data}. */
  Path track(WorkloadRef workload, Path data) {
    try {
      Files.createDirectories(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    agent.track(workload, Map.of("data", data));
    return data;
  }

  private void closeParts() {
    if (engine != null) {
      engine.close();
      engine = null;
    }
    if (agent != null) {
      agent.close();
      agent = null;
    }
    if (executor != null) {
      executor.shutdownNow();
      try {
        executor.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      executor = null;
    }
  }

  @Override
  public void close() {
    closeParts();
  }
}
