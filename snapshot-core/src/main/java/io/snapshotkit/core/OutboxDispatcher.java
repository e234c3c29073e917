package io.snapshotkit.core;

import io.snapshotkit.SnapshotException;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.Delivery;
import io.snapshotkit.spi.EventHook;
import io.snapshotkit.spi.EventOutbox;
import io.snapshotkit.spi.ParkedEvent;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the events of an {@link EventOutbox} to every registered {@link EventHook}, each hook
 * with its own durable cursor (a consumer group).
 *
 * <p><b>Guarantees.</b> Delivery is at-least-once: an event is acknowledged for a hook only after
 * that hook returned normally, so a crash or a lost acknowledgement means the event is delivered
 * again: by this dispatcher on a later poll, or by another one once the claim lease expires. While
 * the dispatcher is started, every poll renews the claims of its in-flight deliveries, so a hook
 * slower than {@link DispatcherSettings#claimLease()} is not delivered twice at once unless polling
 * stalls. For one hook, the events of one workload are delivered in
 * outbox order, never two at a time; different workloads are delivered concurrently on the
 * delivery executor. A hook that throws leaves the event un-acknowledged for that hook only: it is
 * retried with exponential backoff ({@link DispatcherSettings#initialBackoff()} doubling up to
 * {@link DispatcherSettings#maxBackoff()}) and, after {@link DispatcherSettings#maxAttempts()}
 * failed attempts, parked with its last failure recorded; {@link #parked} lists parked events and
 * {@link #replay} queues one again. Later events of that workload wait for the failing event of
 * the same hook; other hooks and workloads never wait for it.
 *
 * <p><b>Throughput.</b> Each poll claims, per hook and in one store call, up to
 * {@link DispatcherSettings#batchSize()} events: for each free workload a run of up to a quarter of
 * the batch of its next events, in order. A workload's run is delivered in order by one task on
 * the delivery executor and its delivered events are acknowledged together in one store call;
 * the run stops at the first failure (the events after it are claimed again later, behind the
 * failed one). While polls come back full, the started dispatcher polls again as soon as the
 * deliveries of the last poll are done, rather than after {@link DispatcherSettings#pollInterval()},
 * so a backlog drains at the rate of the store and the hooks.
 *
 * <p><b>Failures are contained.</b> Hook failures and outbox storage failures during delivery
 * are logged (the first per hook and kind at WARN, repeats at DEBUG) and never thrown at a
 * caller. Only the administrative methods ({@link #parked}, {@link #replay}, {@link #prune})
 * throw, as {@link SnapshotException}, when the outbox itself fails.
 *
 * <p><b>Lifecycle.</b> {@link #create} registers every hook with the outbox (a hook not
 * registered before starts at its {@link DispatcherSettings#startPosition(String) start position};
 * a known hook keeps its cursor, which is how a restarted engine resumes). {@link #start()}
 * schedules polling and periodic pruning on the given scheduler; {@link #pollOnce()} runs one
 * synchronous cycle instead, for tests and for callers that drive polling themselves.
 * {@link #stop()} stops claiming, then waits up to {@link DispatcherSettings#stopTimeout()} for
 * in-flight deliveries: each one either finishes and is acknowledged (or recorded as failed), or
 * stays claimed and is delivered again after the lease; no event is ever acknowledged without
 * having been delivered. Events claimed but not yet handed to a hook when stopping likewise become
 * claimable again when the lease expires.
 *
 * <p><b>Threading.</b> Thread-safe. The dispatcher starts no threads: polling runs on the
 * scheduler, hook calls on the delivery executor (a direct executor runs them on the polling
 * thread, one after the other).
 */
public final class OutboxDispatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OutboxDispatcher.class);

  private enum State { NEW, RUNNING, STOPPED }

  /** One hook's claim on one workload: at most one delivery chain runs for it at a time. */
  private record Key(String hook, WorkloadRef workload) {}

  /** Registered the hooks; makes the administrative calls (parked, replay, prune). */
  private final OutboxAdmin admin;
  /** What each poll claims per hook, and whether a claim came back full. */
  private final RunClaims claims;
  private final Map<String, EventHook> hooks;
  private final Clock clock;
  /** Null for a dispatcher that is driven by its owner's {@link #pollOnce()} calls only. */
  private final ScheduledExecutorService scheduler;
  private final Executor deliveryExecutor;
  private final DispatcherSettings settings;
  private final DeliveryOutcomes outcomes;
  /** Delivers each claimed run, recording its outcomes under {@link #claimGate}. */
  private final RunDelivery runs;

  private final Object lock = new Object();
  private final ReadWriteLock claimGate = new ReentrantReadWriteLock();
  private State state = State.NEW;
  private final Set<Key> inFlight = new HashSet<>();
  private final List<ScheduledFuture<?>> scheduled = new ArrayList<>();
  /** Set while an immediate re-poll after a full claim is waiting for that poll's deliveries. */
  private final AtomicBoolean repollPending = new AtomicBoolean();

  private OutboxDispatcher(
      EventOutbox outbox,
      OutboxAdmin admin,
      Clock clock,
      ScheduledExecutorService scheduler,
      Executor deliveryExecutor,
      DispatcherSettings settings,
      DeliveryLog log) {
    this.admin = admin;
    this.claims = new RunClaims(outbox, settings);
    this.hooks = admin.hooks();
    this.clock = clock;
    this.scheduler = scheduler;
    this.deliveryExecutor = deliveryExecutor;
    this.settings = settings;
    this.outcomes = new DeliveryOutcomes(outbox, clock, settings, log);
    this.runs = new RunDelivery(clock, settings, outcomes, claimGate);
  }

  /**
   * Creates a dispatcher and registers every hook with the outbox.
   *
   * @param outbox the outbox to deliver from, usually {@code manifestStore.outbox()}
   * @param hooks the hooks by durable name, in the order they are polled; a name identifies the
   *     hook's cursor across restarts, so keep it stable
   * @param clock the time source for claims, backoff and retention
   * @param scheduler runs polling and pruning after {@link #start()}
   * @param deliveryExecutor runs hook calls; use a pool to deliver workloads concurrently
   * @param settings the settings, see {@link DispatcherSettings#defaults()}
   * @return a dispatcher that is not yet started
   * @throws IllegalArgumentException if there are no hooks, a name is blank, or a start position
   *     names a hook that is not in {@code hooks}
   * @throws SnapshotException if the outbox fails to register a hook
   */
  public static OutboxDispatcher create(
      EventOutbox outbox,
      Map<String, EventHook> hooks,
      Clock clock,
      ScheduledExecutorService scheduler,
      Executor deliveryExecutor,
      DispatcherSettings settings) {
    return create(outbox, hooks, clock, scheduler, deliveryExecutor, settings, DeliveryLog.slf4j(LOG));
  }

  /** As the public factory, writing delivery problems to {@code log}; tests count levels with it. */
  static OutboxDispatcher create(
      EventOutbox outbox,
      Map<String, EventHook> hooks,
      Clock clock,
      ScheduledExecutorService scheduler,
      Executor deliveryExecutor,
      DispatcherSettings settings,
      DeliveryLog log) {
    Objects.requireNonNull(scheduler, "scheduler");
    return createChecked(outbox, hooks, clock, scheduler, deliveryExecutor, settings, log);
  }

  /**
   * A dispatcher without a scheduler: it is driven only by {@link #pollOnce()} and {@link #prune()}
   * calls of its owner (the engine's manual event dispatch); {@link #start()} throws.
   */
  static OutboxDispatcher createPolledByCaller(
      EventOutbox outbox,
      Map<String, EventHook> hooks,
      Clock clock,
      Executor deliveryExecutor,
      DispatcherSettings settings) {
    return createChecked(outbox, hooks, clock, null, deliveryExecutor, settings, DeliveryLog.slf4j(LOG));
  }

  private static OutboxDispatcher createChecked(
      EventOutbox outbox,
      Map<String, EventHook> hooks,
      Clock clock,
      ScheduledExecutorService scheduler,
      Executor deliveryExecutor,
      DispatcherSettings settings,
      DeliveryLog log) {
    Objects.requireNonNull(outbox, "outbox");
    Objects.requireNonNull(hooks, "hooks");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(deliveryExecutor, "deliveryExecutor");
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(log, "log");
    OutboxAdmin admin = OutboxAdmin.register(outbox, hooks, clock, settings);
    return new OutboxDispatcher(outbox, admin, clock, scheduler, deliveryExecutor, settings, log);
  }

  /**
   * Starts polling every {@link DispatcherSettings#pollInterval()} and pruning every
   * {@link DispatcherSettings#pruneInterval()} on the scheduler. The first poll runs at once.
   *
   * @throws IllegalStateException if already started or stopped, or if the dispatcher has no
   *     scheduler (one driven by its owner's {@code pollOnce()} calls)
   * @throws SnapshotException if the scheduler refuses the tasks
   */
  public void start() {
    if (scheduler == null) {
      throw new IllegalStateException("this dispatcher has no scheduler and is driven by pollOnce() and prune() only; "
          + "give it a ScheduledExecutorService to poll in the background");
    }
    synchronized (lock) {
      if (state != State.NEW) {
        throw new IllegalStateException("the outbox dispatcher is " + state.name().toLowerCase(java.util.Locale.ROOT)
            + "; start it once, and create a new one to resume after stop()");
      }
      try {
        scheduled.add(scheduler.scheduleWithFixedDelay(
            this::pollInBackground, 0, settings.pollInterval().toNanos(), TimeUnit.NANOSECONDS));
        scheduled.add(scheduler.scheduleWithFixedDelay(
            this::pruneInBackground, settings.pruneInterval().toNanos(), settings.pruneInterval().toNanos(),
            TimeUnit.NANOSECONDS));
      } catch (RuntimeException e) {
        scheduled.forEach(f -> f.cancel(false));
        scheduled.clear();
        throw SnapshotException.wrap("scheduling the outbox dispatcher", e);
      }
      state = State.RUNNING;
    }
  }

  /**
   * Runs one synchronous cycle: for each hook in order, claims up to
   * {@link DispatcherSettings#batchSize()} events (runs of consecutive events per workload),
   * delivers each workload's run in order on the delivery executor, and acknowledges the delivered
   * events of each run together, or schedules a retry or parks the event that failed; then waits
   * until every delivery started by this cycle has finished. Never throws hook or storage
   * failures; they are logged.
   *
   * @return how many deliveries were attempted (hook calls, successful or not)
   * @throws IllegalStateException if the dispatcher was stopped
   */
  public int pollOnce() {
    List<CompletableFuture<Integer>> started = new ArrayList<>();
    cycle(started, true);
    int attempted = 0;
    for (CompletableFuture<Integer> run : started) {
      attempted += run.join();
    }
    return attempted;
  }

  /**
   * The events parked for {@code hook}, oldest first.
   *
   * @throws SnapshotException {@code NOT_FOUND} if no hook of this dispatcher has that name, or
   *     the outbox's failure
   */
  public List<ParkedEvent> parked(String hook) {
    return admin.parked(hook);
  }

  /**
   * Queues a parked event for delivery to {@code hook} again, with its failed attempts reset; it is
   * delivered on a following poll. Other hooks are not affected.
   *
   * @return false if {@code hook} has no parked event at {@code sequence}
   * @throws SnapshotException {@code NOT_FOUND} if no hook of this dispatcher has that name, or
   *     the outbox's failure
   */
  public boolean replay(String hook, long sequence) {
    return admin.replay(hook, sequence);
  }

  /**
   * Removes events older than {@link DispatcherSettings#outboxRetention()} that every registered
   * hook has acknowledged or parked. A started dispatcher does this every
   * {@link DispatcherSettings#pruneInterval()}.
   *
   * @return how many events were removed
   * @throws SnapshotException the outbox's failure
   */
  public int prune() {
    return admin.prune();
  }

  /** The hook names this dispatcher delivers to, in polling order. */
  public List<String> hookNames() {
    return List.copyOf(hooks.keySet());
  }

  /** The settings this dispatcher runs with. */
  public DispatcherSettings settings() {
    return settings;
  }

  /**
   * Stops claiming events, cancels scheduled polling and pruning, and waits up to
   * {@link DispatcherSettings#stopTimeout()} for in-flight deliveries to finish. A delivery still
   * running when the wait ends is acknowledged when its hook returns, or, if the process ends
   * first, delivered again after the claim lease. Idempotent.
   *
   * @return true if no delivery was in flight when it returned
   */
  public boolean stop() {
    List<ScheduledFuture<?>> toCancel;
    synchronized (lock) {
      state = State.STOPPED;
      toCancel = List.copyOf(scheduled);
      scheduled.clear();
    }
    toCancel.forEach(f -> f.cancel(false));
    long deadline = System.nanoTime() + settings.stopTimeout().toNanos();
    synchronized (lock) {
      while (!inFlight.isEmpty()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          LOG.warn("outbox dispatcher {} stopped with {} deliveries still running; each is acknowledged when its hook "
              + "returns, or delivered again after the claim lease", settings.ownerId(), inFlight.size());
          return false;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(lock, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return inFlight.isEmpty();
        }
      }
      return true;
    }
  }

  /** Same as {@link #stop()}. */
  @Override
  public void close() {
    stop();
  }

  private void pollInBackground() {
    try {
      List<CompletableFuture<Integer>> started = new ArrayList<>();
      boolean full = cycle(started, false);
      if (full && !started.isEmpty() && repollPending.compareAndSet(false, true)) {
        // A full claim means a backlog: poll again as soon as this poll's deliveries are done
        // instead of waiting for the next tick, so throughput is not capped at batchSize per interval.
        CompletableFuture.allOf(started.toArray(CompletableFuture[]::new)).whenComplete((ignored, error) -> {
          repollPending.set(false);
          try {
            scheduler.execute(this::pollInBackground);
          } catch (RuntimeException rejected) {
            LOG.debug("outbox dispatcher {}: the scheduler refused an immediate re-poll; the next tick polls",
                settings.ownerId(), rejected);
          }
        });
      }
    } catch (RuntimeException e) {
      // Never let an exception escape: the scheduler would silently cancel all further polls.
      LOG.error("outbox dispatcher {} poll failed unexpectedly; polling continues", settings.ownerId(), e);
    }
  }

  private void pruneInBackground() {
    try {
      int removed = prune();
      LOG.debug("outbox dispatcher {} pruned {} events", settings.ownerId(), removed);
    } catch (RuntimeException e) {
      LOG.warn("outbox dispatcher {} could not prune the outbox; it retries in {}", settings.ownerId(),
          settings.pruneInterval(), e);
    }
  }

  /**
   * Claims for every hook and starts one delivery chain per claimed workload run.
   *
   * @return true if some hook's claim came back full (a whole batch, or a whole run of some
   *     workload), so more events are probably waiting
   */
  private boolean cycle(List<CompletableFuture<Integer>> started, boolean explicit) {
    synchronized (lock) {
      if (state == State.STOPPED) {
        if (explicit) {
          throw new IllegalStateException("the outbox dispatcher is stopped; create a new one to resume from the cursors");
        }
        return false;
      }
    }
    boolean full = false;
    for (Map.Entry<String, EventHook> entry : hooks.entrySet()) {
      String name = entry.getKey();
      Map<Key, List<Delivery>> toStart = new LinkedHashMap<>();
      // Claiming and marking in flight is atomic with respect to recording outcomes (which hold
      // the read lock): a claim can never return a run whose chain just finished and was already
      // removed from the in-flight set, so no event is ever started twice.
      Instant claimedAt = clock.instant();
      claimGate.writeLock().lock();
      try {
        List<Delivery> claimed;
        try {
          claimed = claims.claim(name, claimedAt);
        } catch (RuntimeException e) {
          outcomes.storeProblem(name, "claiming events failed; retrying on the next poll", e);
          continue;
        }
        full |= claims.full(claimed);
        synchronized (lock) {
          if (state == State.STOPPED) {
            return false;
          }
          Set<Key> busy = new HashSet<>();
          for (Delivery delivery : claimed) {
            Key key = new Key(name, delivery.event().workload());
            // A workload already in flight here was only re-claimed, which renewed its lease; its
            // chain delivers what it holds, and a later poll picks up whatever follows.
            if (busy.contains(key) || (!toStart.containsKey(key) && !inFlight.add(key))) {
              busy.add(key);
              continue;
            }
            toStart.computeIfAbsent(key, k -> new ArrayList<>()).add(delivery);
          }
        }
      } finally {
        claimGate.writeLock().unlock();
      }
      for (Map.Entry<Key, List<Delivery>> run : toStart.entrySet()) {
        Key key = run.getKey();
        CompletableFuture<Integer> done = new CompletableFuture<>();
        try {
          deliveryExecutor.execute(() -> {
            int attempted = 0;
            try {
              attempted = runs.deliver(name, entry.getValue(), run.getValue(), claimedAt, this::stopped,
                  () -> finish(key));
            } finally {
              done.complete(attempted);
            }
          });
        } catch (RuntimeException rejected) {
          finish(key);
          outcomes.storeProblem(name, "the delivery executor refused events " + RunClaims.sequences(run.getValue())
              + "; they stay unacknowledged and are delivered again on a later poll", rejected);
          continue;
        }
        started.add(done);
      }
    }
    return full;
  }

  /** Reports deliveries to the engine's observer (before {@link #start}; the engine's builder calls it). */
  void observedBy(Observations observations) {
    outcomes.observedBy(observations);
  }

  private void finish(Key key) {
    synchronized (lock) {
      inFlight.remove(key);
      lock.notifyAll();
    }
  }

  private boolean stopped() {
    synchronized (lock) {
      return state == State.STOPPED;
    }
  }
}
