package io.snapshotkit.examples.cli;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.DispatcherSettings;
import io.snapshotkit.core.EngineObserver;
import io.snapshotkit.core.SnapshotEngine;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.fs.RestoreListener;
import io.snapshotkit.jdbc.JdbcHostRegistry;
import io.snapshotkit.jdbc.JdbcManifestStore;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.spi.HostDirectory;
import io.snapshotkit.spi.HostInfo;
import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.spi.StartPosition;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The parts of SnapshotKit one CLI command works with, opened on a home directory: the SQLite
 * {@link JdbcManifestStore}, the {@link FsHostAgent} on the home's repository (one host,
 * {@code local}), and a {@link SnapshotEngine} over both. The CLI owns the engine's thread pool
 * and shuts it down on {@link #close()}.
 *
 * <p><b>Thread-safety:</b> the parts are thread-safe; open and close on one thread.
 */
final class Services implements AutoCloseable {
  /** The durable name of the CLI's own event cursor (the {@code events} command). */
  static final String EVENTS_HOOK = "cli";
  /** How often to retry a repository another process holds. */
  private static final long LOCK_POLL_MILLIS = 100;
  /** A capture older than this, found when the home is opened, was interrupted. */
  private static final Duration STALE_CAPTURE = Duration.ofSeconds(1);

  /** Receives the events the {@code events} command delivers. */
  @FunctionalInterface
  interface EventSink {
    /** One delivered event. */
    void accept(SnapshotEvent event);
  }

  private final JdbcManifestStore store;
  /** Null on a read-only home: the repository cannot be opened there (see {@link #readOnly()}). */
  private final FsHostAgent agent;
  private final Optional<SnapshotException> readOnly;
  private final SnapshotEngine engine;
  private final ExecutorService threads;
  private final int reaped;
  private final List<Path> removedImports;
  /** The host registry in control-plane mode ({@code --registry}); null in the local single-host mode. */
  private final JdbcHostRegistry registry;

  private Services(JdbcManifestStore store, FsHostAgent agent, Optional<SnapshotException> readOnly,
      SnapshotEngine engine, ExecutorService threads, int reaped, List<Path> removedImports) {
    this(store, agent, readOnly, engine, threads, reaped, removedImports, null);
  }

  private Services(JdbcManifestStore store, FsHostAgent agent, Optional<SnapshotException> readOnly,
      SnapshotEngine engine, ExecutorService threads, int reaped, List<Path> removedImports,
      JdbcHostRegistry registry) {
    this.registry = registry;
    this.store = store;
    this.agent = agent;
    this.readOnly = readOnly;
    this.engine = engine;
    this.threads = threads;
    this.reaped = reaped;
    this.removedImports = List.copyOf(removedImports);
  }

  /** The half-unpacked import directories a killed import left, removed when this opened. */
  List<Path> removedImports() {
    return removedImports;
  }

  /**
   * What the agent's start-up recovery did to replace restores a stopped process left unfinished,
   * one sentence each (see {@link FsHostAgent#startupRecovery()}); none on a read-only home, where
   * no agent is opened.
   */
  List<String> recoveredRestores() {
    return agent == null ? List.of() : agent.startupRecovery();
  }

  /** How many captures left CAPTURING by a stopped process were marked FAILED when this opened. */
  int reapedCaptures() {
    return reaped;
  }

  /**
   * Opens (creating when needed) the database and repository under {@code home}. On a home that
   * cannot be written (a read-only mount, or no write permission) only the database is opened,
   * read-only: commands that only read rows work, and every other one fails FORBIDDEN saying the
   * home is read-only.
   *
   * @param events when present, the engine delivers events to it under the hook {@value #EVENTS_HOOK}
   *     through {@link SnapshotEngine#pollEvents()}
   * @throws SnapshotException CONFLICT if another snapshotkit process has the repository open
   */
  static Services open(Home home, Clock clock, Optional<EventSink> events) {
    return open(home, clock, events, Duration.ZERO, () -> { }, (step, swapped) -> { });
  }

  /**
   * As {@link #open(Home, Clock, Optional)}, waiting up to {@code lockWait} for another
   * snapshotkit process to release the repository; {@code waiting} runs once if it has to wait;
   * {@code restoreSteps} observes every replace restore's durable steps (the {@link SignalGuard}).
   *
   * @throws SnapshotException CONFLICT, saying so, if the repository is still in use after the wait
   */
  static Services open(Home home, Clock clock, Optional<EventSink> events, Duration lockWait, Runnable waiting,
      RestoreListener restoreSteps) {
    return open(home, clock, events, lockWait, waiting, restoreSteps, EngineObserver.NONE);
  }

  /** As the six-argument {@code open}, with an observer for the engine's operations (serve's metrics). */
  static Services open(Home home, Clock clock, Optional<EventSink> events, Duration lockWait, Runnable waiting,
      RestoreListener restoreSteps, EngineObserver observer) {
    ExecutorService threads = Executors.newFixedThreadPool(4, daemonThreads());
    FsHostAgent agent = null;
    JdbcManifestStore store = null;
    try {
      store = JdbcManifestStore.sqlite(home.database());
      Optional<SnapshotException> readOnly = Files.isWritable(home.dir()) && Files.isWritable(home.database())
          ? Optional.empty() : Optional.of(readOnlyHome(home));
      HostDirectory hosts;
      if (readOnly.isPresent()) {
        hosts = readOnlyHosts(readOnly.get());
      } else {
        agent = openAgent(home, clock, threads, lockWait, waiting, restoreSteps);
        hosts = HostDirectory.single(agent);
      }
      SnapshotEngine.Builder b = SnapshotEngine.builder()
          .manifestStore(store)
          .blobStore(store.blobStore())
          .hosts(hosts)
          .lifecycle(Lifecycle.none())
          .clock(clock)
          .executor(threads)
          // Holding the repository lock proves no other snapshotkit process is capturing on this
          // home, so a CAPTURING row older than a second is left by one that was stopped.
          .stuckCaptureAfter(STALE_CAPTURE)
          .observer(observer);
      deliverTo(b, events);
      SnapshotEngine engine = b.build();
      // Nothing can be reaped on a read-only home, and no capture can be running on it either.
      int reaped = readOnly.isPresent() ? 0 : engine.reapStuckCaptures();
      // the repository lock is held, so no other process is unpacking an import now
      List<Path> removedImports = readOnly.isPresent() ? List.of() : ArchiveCommands.removeUnfinished(home);
      return new Services(store, agent, readOnly, engine, threads, reaped, removedImports);
    } catch (RuntimeException e) {
      if (agent != null) {
        agent.close();
      }
      if (store != null) {
        store.close();
      }
      threads.shutdownNow();
      throw e;
    }
  }

  /**
   * Control-plane mode: the store and host registry in the {@code registry} database, and an engine
   * whose hosts are the registered agents, called through {@code RemoteHostAgent}s with
   * {@code token}. No local repository is opened: commands that need one fail INVALID_ARGUMENT
   * saying so (see {@link #agent()}).
   *
   * @param registry a {@code jdbc:postgresql://} URL, {@code jdbc:sqlite:FILE} or a SQLite file
   * @param heartbeat the agents' heartbeat interval (a host 2 intervals silent reads OFFLINE)
   * @param agentCa the CA the agents' TLS certificates are checked against; empty for plain text
   * @param hostTimeout the deadline of one call to an agent, and the engine's host timeout
   * @param events when present, the engine delivers the registry database's events to it under the
   *     hook {@value #EVENTS_HOOK} through {@link SnapshotEngine#pollEvents()}
   */
  static Services openRegistry(String registry, Clock clock, Duration heartbeat, String token,
      Optional<Path> agentCa, Duration hostTimeout, Optional<EventSink> events) {
    return openRegistry(registry, clock, heartbeat, token, agentCa, hostTimeout, events, EngineObserver.NONE);
  }

  /** As the seven-argument {@code openRegistry}, with an observer for the engine's operations (serve's metrics). */
  static Services openRegistry(String registry, Clock clock, Duration heartbeat, String token,
      Optional<Path> agentCa, Duration hostTimeout, Optional<EventSink> events, EngineObserver observer) {
    ExecutorService threads = hostCallThreads();
    JdbcManifestStore store = null;
    JdbcHostRegistry hosts = null;
    try {
      store = ControlPlane.openStore(registry);
      hosts = ControlPlane.hostRegistry(store, clock, heartbeat, token, agentCa, hostTimeout);
      SnapshotEngine.Builder b = SnapshotEngine.builder()
          .manifestStore(store)
          .blobStore(store.blobStore())
          .hosts(hosts)
          .lifecycle(Lifecycle.none())
          .clock(clock)
          .executor(threads)
          .hostTimeout(hostTimeout)
          .observer(observer);
      // Other control planes on this database (CLI commands, services) hold the same locks.
      ControlPlane.workloadLock(registry).ifPresent(b::workloadLock);
      deliverTo(b, events);
      SnapshotEngine engine = b.build();
      SnapshotException noLocal = SnapshotException.invalid("this command works on a local home's repository, "
          + "and --registry (or " + ControlPlane.REGISTRY_ENV + ") selects control-plane mode, where the files live "
          + "on the agents; run it without --registry, or on the agent's machine");
      return new Services(store, null, Optional.of(noLocal), engine, threads, 0, List.of(), hosts);
    } catch (RuntimeException e) {
      if (hosts != null) {
        hosts.close();
      }
      if (store != null) {
        store.close();
      }
      threads.shutdownNow();
      throw e;
    }
  }

  /** Has the engine deliver events to {@code events}, when present, under the hook {@value #EVENTS_HOOK} on demand. */
  private static void deliverTo(SnapshotEngine.Builder b, Optional<EventSink> events) {
    if (events.isPresent()) {
      EventSink sink = events.get();
      b.eventHook(EVENTS_HOOK, sink::accept, StartPosition.BEGINNING)
          .manualEventDispatch(Runnable::run, DispatcherSettings.defaults());
    }
  }

  private static FsHostAgent openAgent(Home home, Clock clock, ExecutorService threads, Duration lockWait,
      Runnable waiting, RestoreListener restoreSteps) {
    ZstdLibrary.preload();
    long deadline = System.nanoTime() + lockWait.toNanos();
    boolean announced = false;
    while (true) {
      try {
        // the engine's pool: the agent reads, hashes and writes several files at once on it, and
        // handles on the calling thread any file no pool thread has started, so sharing is safe
        return FsHostAgent.builder().repository(home.repository()).clock(clock).executor(threads)
            .restoreListener(restoreSteps).build();
      } catch (SnapshotException e) {
        if (e.code() != ErrorCode.CONFLICT) {
          throw e;
        }
        if (System.nanoTime() - deadline >= 0) {
          throw new SnapshotException(ErrorCode.CONFLICT, "another snapshotkit command is using " + home.dir()
              + (lockWait.isZero() ? "" : " (waited " + Format.duration(lockWait) + ")")
              + "; wait for it to finish and try again, or raise --lock-wait", e);
        }
        if (!announced) {
          announced = true;
          waiting.run();
        }
        try {
          Thread.sleep(LOCK_POLL_MILLIS);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new SnapshotException(ErrorCode.CONFLICT, "interrupted while waiting for another snapshotkit command to finish", ie);
        }
      }
    }
  }

  private static SnapshotException readOnlyHome(Home home) {
    return new SnapshotException(ErrorCode.FORBIDDEN, "the home " + home.dir() + " is read-only (a read-only mount, "
        + "or no write permission), and this command needs to write its repository " + home.repository()
        + "; `list`, `versions` and `show` work on a read-only home: make it writable for the rest");
  }

  /** The one local host, whose agent cannot be opened on a read-only home: asking for it says why. */
  private static HostDirectory readOnlyHosts(SnapshotException why) {
    return new HostDirectory() {
      @Override
      public List<HostInfo> hosts() {
        return List.of(HostInfo.online("local"));
      }

      @Override
      public Optional<String> hostOf(WorkloadRef workload) {
        return Optional.of("local");
      }

      @Override
      public HostAgent agent(String hostId) {
        throw why;
      }
    };
  }

  /** The most agent calls a control plane has in flight at once (a strict delete's fan-out). */
  static final int MAX_HOST_CALLS = 64;

  /**
   * The control plane's threads: they wait on agents over the network rather than compute, so a
   * strict delete's fan-out to many hosts runs at once (up to {@value #MAX_HOST_CALLS}) instead of
   * in batches of the core count; idle threads end after 30 seconds.
   */
  static ExecutorService hostCallThreads() {
    ThreadPoolExecutor pool = new ThreadPoolExecutor(MAX_HOST_CALLS, MAX_HOST_CALLS, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), daemonThreads());
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  private static ThreadFactory daemonThreads() {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "snapshotkit-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** The threads the engine (and a local agent) run on. */
  ExecutorService threads() {
    return threads;
  }

  /** The SQLite store. */
  JdbcManifestStore store() {
    return store;
  }

  /**
   * The directory agent.
   *
   * @throws SnapshotException FORBIDDEN on a read-only home, saying so
   */
  FsHostAgent agent() {
    if (readOnly.isPresent()) {
      throw readOnly.get();
    }
    return agent;
  }

  /**
   * The host registry (see {@code RootCommand.hostRegistry()}, which says what to do without one).
   *
   * @throws IllegalStateException in the local single-host mode
   */
  JdbcHostRegistry registry() {
    if (registry == null) {
      throw new IllegalStateException("no host registry in the local single-host mode");
    }
    return registry;
  }

  /** Whether this is control-plane mode: the engine's hosts are the registry's agents. */
  boolean remote() {
    return registry != null;
  }

  /**
   * Whether no local repository is open: the home is read-only (only the database is open, for
   * reading), or this is control-plane mode.
   */
  boolean readOnly() {
    return readOnly.isPresent();
  }

  /** The engine. */
  SnapshotEngine engine() {
    return engine;
  }

  @Override
  public void close() {
    try {
      engine.close();
    } finally {
      try {
        if (agent != null) {
          agent.close();
        }
        if (registry != null) {
          registry.close();
        }
      } finally {
        try {
          // Releases the kept SQLite connections; the last close folds the WAL into the database.
          store.close();
        } finally {
          threads.shutdownNow();
        }
      }
    }
  }
}
