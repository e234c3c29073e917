package io.snapshotkit.core;

import io.snapshotkit.SnapshotException;
import io.snapshotkit.core.events.internal.Backoff;
import io.snapshotkit.core.events.internal.DeliveryLog;
import io.snapshotkit.core.events.internal.FailureReporter;
import io.snapshotkit.spi.Delivery;
import io.snapshotkit.spi.EventHook;
import io.snapshotkit.spi.EventOutbox;
import io.snapshotkit.spi.ParkedEvent;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
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

  private record Key(String hook, long sequence) {}

  private final EventOutbox outbox;
  private final Map<String, EventHook> hooks;
  private final Clock clock;
  /** Null for a dispatcher that is driven by its owner's {@link #pollOnce()} calls only. */
  private final ScheduledExecutorService scheduler;
  private final Executor deliveryExecutor;
  private final DispatcherSettings settings;
  private final Backoff backoff;
  private final FailureReporter reporter;

  private final Object lock = new Object();
  private final ReadWriteLock claimGate = new ReentrantReadWriteLock();
  private State state = State.NEW;
  private final Set<Key> inFlight = new HashSet<>();
  private final List<ScheduledFuture<?>> scheduled = new ArrayList<>();

  private OutboxDispatcher(
      EventOutbox outbox,
      Map<String, EventHook> hooks,
      Clock clock,
      ScheduledExecutorService scheduler,
      Executor deliveryExecutor,
      DispatcherSettings settings,
      DeliveryLog log) {
    this.outbox = outbox;
    this.hooks = hooks;
    this.clock = clock;
    this.scheduler = scheduler;
    this.deliveryExecutor = deliveryExecutor;
    this.settings = settings;
    this.backoff = new Backoff(settings.initialBackoff(), settings.maxBackoff(), settings.jitter(), settings.random());
    this.reporter = new FailureReporter(log);
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
    List<String> problems = new ArrayList<>();
    if (hooks.isEmpty()) {
      problems.add("at least one hook is required; with no hooks there is nothing to dispatch");
    }
    Map<String, EventHook> copy = new LinkedHashMap<>();
    for (Map.Entry<String, EventHook> e : hooks.entrySet()) {
      if (e.getKey() == null || e.getKey().isBlank()) {
        problems.add("hook names must not be blank");
      } else if (e.getValue() == null) {
        problems.add("hook '" + e.getKey() + "' is null");
      } else {
        copy.put(e.getKey(), e.getValue());
      }
    }
    for (String named : settings.startPositions().keySet()) {
      if (!hooks.containsKey(named)) {
        problems.add("settings give a start position for hook '" + named + "', which is not registered; registered: "
            + hooks.keySet());
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("cannot create the outbox dispatcher: " + String.join("; ", problems));
    }
    for (String name : copy.keySet()) {
      try {
        outbox.register(name, settings.startPosition(name));
      } catch (RuntimeException e) {
        throw SnapshotException.wrap("registering event hook '" + name + "' with the outbox", e);
      }
    }
    return new OutboxDispatcher(
        outbox, Collections.unmodifiableMap(copy), clock, scheduler, deliveryExecutor, settings, log);
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
   * {@link DispatcherSettings#batchSize()} events, delivers them on the delivery executor, and
   * acknowledges, schedules a retry or parks each one; then waits until every delivery started by
   * this cycle has finished. Never throws hook or storage failures; they are logged.
   *
   * @return how many deliveries were attempted (hook calls, successful or not)
   * @throws IllegalStateException if the dispatcher was stopped
   */
  public int pollOnce() {
    List<CompletableFuture<Void>> started = new ArrayList<>();
    cycle(started, true);
    CompletableFuture.allOf(started.toArray(CompletableFuture[]::new)).join();
    return started.size();
  }

  /**
   * The events parked for {@code hook}, oldest first.
   *
   * @throws SnapshotException {@code NOT_FOUND} if no hook of this dispatcher has that name, or
   *     the outbox's failure
   */
  public List<ParkedEvent> parked(String hook) {
    requireHook(hook);
    try {
      return outbox.parked(hook);
    } catch (RuntimeException e) {
      throw SnapshotException.wrap("listing parked events of hook '" + hook + "'", e);
    }
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
    requireHook(hook);
    try {
      return outbox.replay(hook, sequence);
    } catch (RuntimeException e) {
      throw SnapshotException.wrap("replaying event " + sequence + " for hook '" + hook + "'", e);
    }
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
    Instant before = clock.instant().minus(settings.outboxRetention());
    try {
      return outbox.prune(before);
    } catch (RuntimeException e) {
      throw SnapshotException.wrap("pruning the event outbox", e);
    }
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

  private void requireHook(String hook) {
    Objects.requireNonNull(hook, "hook");
    if (!hooks.containsKey(hook)) {
      throw SnapshotException.notFound("no event hook named '" + hook + "'; registered hooks: " + hooks.keySet());
    }
  }

  private void pollInBackground() {
    try {
      cycle(new ArrayList<>(), false);
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

  private void cycle(List<CompletableFuture<Void>> started, boolean explicit) {
    synchronized (lock) {
      if (state == State.STOPPED) {
        if (explicit) {
          throw new IllegalStateException("the outbox dispatcher is stopped; create a new one to resume from the cursors");
        }
        return;
      }
    }
    for (Map.Entry<String, EventHook> entry : hooks.entrySet()) {
      String name = entry.getKey();
      List<Delivery> toStart = new ArrayList<>();
      // Claiming and marking in flight is atomic with respect to recording outcomes (which hold
      // the read lock): a claim can never return an event whose delivery just finished and was
      // already removed from the in-flight set, so it is never started twice.
      claimGate.writeLock().lock();
      try {
        List<Delivery> claimed;
        try {
          claimed = outbox.claim(name, settings.ownerId(), settings.batchSize(), clock.instant(),
              settings.claimLease());
        } catch (RuntimeException e) {
          reporter.report("store", name, "claiming events failed; retrying on the next poll", e);
          continue;
        }
        synchronized (lock) {
          if (state == State.STOPPED) {
            return;
          }
          for (Delivery delivery : claimed) {
            // A delivery already in flight here was only re-claimed, which renewed its lease.
            if (inFlight.add(new Key(name, delivery.sequence()))) {
              toStart.add(delivery);
            }
          }
        }
      } finally {
        claimGate.writeLock().unlock();
      }
      for (Delivery delivery : toStart) {
        Key key = new Key(name, delivery.sequence());
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
          deliveryExecutor.execute(() -> {
            try {
              deliver(key, entry.getValue(), delivery);
            } finally {
              done.complete(null);
            }
          });
        } catch (RuntimeException rejected) {
          finish(key);
          reporter.report("store", name, "the delivery executor refused event " + delivery.sequence()
              + "; it stays unacknowledged and is delivered again on a later poll", rejected);
          continue;
        }
        started.add(done);
      }
    }
  }

  private void finish(Key key) {
    synchronized (lock) {
      inFlight.remove(key);
      lock.notifyAll();
    }
  }

  private void deliver(Key key, EventHook hook, Delivery delivery) {
    String name = key.hook();
    long sequence = delivery.sequence();
    Throwable failure = null;
    boolean fatal = false;
    try {
      hook.onEvent(delivery.event());
    } catch (VirtualMachineError e) {
      fatal = true;
      failure = e;
    } catch (Throwable t) {
      if (t instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      failure = t;
    }
    claimGate.readLock().lock();
    try {
      if (fatal) {
        reporter.error(name, "delivery of event " + sequence + " hit a fatal JVM error; the event stays "
            + "unacknowledged and is delivered again", failure);
      } else if (failure == null) {
        acknowledge(name, sequence);
      } else {
        recordFailure(name, delivery, failure);
      }
    } finally {
      finish(key);
      claimGate.readLock().unlock();
    }
  }

  private void acknowledge(String name, long sequence) {
    try {
      outbox.acknowledge(name, sequence);
    } catch (RuntimeException e) {
      reporter.report("store", name, "event " + sequence + " was delivered but its acknowledgement failed; it will "
          + "be delivered again", e);
    }
  }

  private void recordFailure(String name, Delivery delivery, Throwable failure) {
    long sequence = delivery.sequence();
    int attempts = delivery.attempts() + 1;
    String error = FailureReporter.describe(failure);
    Instant now = clock.instant();
    try {
      if (attempts >= settings.maxAttempts()) {
        outbox.park(name, sequence, attempts, error, now);
        reporter.report("park", name, "parked event " + sequence + " (id " + delivery.event().id() + ") after "
            + attempts + " failed attempts; list it with parked() and replay it once the hook is fixed", failure);
      } else {
        Instant retryAt = now.plus(backoff.delay(attempts));
        outbox.retryLater(name, sequence, attempts, retryAt, error);
        reporter.report("failure", name, "event " + sequence + " (id " + delivery.event().id() + ") failed attempt "
            + attempts + " of " + settings.maxAttempts() + "; retrying at " + retryAt, failure);
      }
    } catch (RuntimeException e) {
      reporter.report("store", name, "recording the failed delivery of event " + sequence + " failed; it will be "
          + "delivered again", e);
    }
  }
}
