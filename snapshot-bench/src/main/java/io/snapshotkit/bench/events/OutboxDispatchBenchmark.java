package io.snapshotkit.bench.events;

import io.snapshotkit.EventType;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.DispatcherSettings;
import io.snapshotkit.core.OutboxDispatcher;
import io.snapshotkit.spi.Delivery;
import io.snapshotkit.spi.EventHook;
import io.snapshotkit.spi.EventOutbox;
import io.snapshotkit.spi.StartPosition;
import io.snapshotkit.testkit.InMemoryManifestStore;
import io.snapshotkit.testkit.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Events per second through the in-memory outbox to three hooks.
 *
 * <p>{@code dispatcher}: each invocation appends {@value #EVENTS} events over {@value #WORKLOADS}
 * workloads (one store transaction each, as the engine does) and drains them with
 * {@link OutboxDispatcher#pollOnce()} to three no-op hooks on a direct executor.
 *
 * <p>{@code rawOutbox} (anchor 1): the same appends, then for each of three hook names a bare
 * claim-and-acknowledge loop on the {@link EventOutbox}, with no hooks and no dispatcher. The
 * ratio dispatcher / raw is the dispatcher's own cost.
 *
 * <p>{@code directHooks} (anchor 2): the three hooks called directly for each event, with no
 * outbox at all: what delivery costs when it is neither durable nor retried. The ratio
 * dispatcher / direct is the price of at-least-once delivery through the store.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class OutboxDispatchBenchmark {
  static final int EVENTS = 120;
  static final int WORKLOADS = 12;
  private static final List<String> HOOKS = List.of("billing", "audit", "notify");
  private static final Duration LEASE = Duration.ofMinutes(1);

  private final MutableClock clock = MutableClock.epoch();
  private SnapshotEvent[] events;
  private InMemoryManifestStore store;
  private OutboxDispatcher dispatcher;
  private ScheduledExecutorService scheduler;
  private Blackhole sink;
  private EventHook[] directHooks;

  /** Fresh store and dispatcher per iteration so the outbox does not grow across iterations. */
  @Setup(Level.Iteration)
  public void setUp(Blackhole blackhole) {
    sink = blackhole;
    events = new SnapshotEvent[EVENTS];
    for (int i = 0; i < EVENTS; i++) {
      WorkloadRef w = WorkloadRef.of("acme", "w" + (i % WORKLOADS));
      events[i] = new SnapshotEvent("e" + i, EventType.CREATED, w, Optional.empty(), i, Instant.EPOCH,
          Map.of("trigger", "manual"));
    }
    store = new InMemoryManifestStore();
    scheduler = Executors.newSingleThreadScheduledExecutor();
    Map<String, EventHook> hooks = new LinkedHashMap<>();
    for (String name : HOOKS) {
      hooks.put(name, e -> sink.consume(e));
    }
    directHooks = hooks.values().toArray(EventHook[]::new);
    dispatcher = OutboxDispatcher.create(store.outbox(), hooks, clock, scheduler, Runnable::run,
        DispatcherSettings.defaults().withOwnerId("bench").withClaimLease(LEASE));
  }

  /** Releases the unused scheduler. */
  @TearDown(Level.Iteration)
  public void tearDown() {
    dispatcher.close();
    scheduler.shutdownNow();
  }

  private void appendAll() {
    for (SnapshotEvent e : events) {
      store.inTransaction(tx -> {
        tx.append(e);
        return null;
      });
    }
  }

  /** Append, then deliver to three hooks through the dispatcher; counts appended events. */
  @Benchmark
  @OperationsPerInvocation(EVENTS)
  public int dispatcher() {
    appendAll();
    int delivered = 0;
    int n;
    while ((n = dispatcher.pollOnce()) > 0) {
      delivered += n;
    }
    store.outbox().prune(Instant.MAX);
    return delivered;
  }

  /** Anchor: the three hooks called in turn for every event; no store, no outbox, no dispatcher. */
  @Benchmark
  @OperationsPerInvocation(EVENTS)
  public int directHooks() throws Exception {
    int delivered = 0;
    for (SnapshotEvent e : events) {
      for (EventHook hook : directHooks) {
        hook.onEvent(e);
        delivered++;
      }
    }
    return delivered;
  }

  /** Anchor: append, then claim and acknowledge for three hook names directly on the outbox. */
  @Benchmark
  @OperationsPerInvocation(EVENTS)
  public int rawOutbox() {
    appendAll();
    EventOutbox outbox = store.outbox();
    int acked = 0;
    for (String hook : HOOKS) {
      outbox.register(hook, StartPosition.BEGINNING);
    }
    boolean progress = true;
    while (progress) {
      progress = false;
      for (String hook : HOOKS) {
        for (Delivery d : outbox.claim(hook, "raw", 100, clock.instant(), LEASE)) {
          outbox.acknowledge(hook, d.sequence());
          acked++;
          progress = true;
        }
      }
    }
    outbox.prune(Instant.MAX);
    return acked;
  }
}
