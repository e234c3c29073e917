package io.snapshotkit.micrometer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.TenantId;
import io.snapshotkit.core.EngineObserver;
import io.snapshotkit.core.EngineOperation;
import io.snapshotkit.core.SnapshotEngine;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Micrometer meters for a {@link SnapshotEngine}. Pass it to the engine's builder as its
 * {@linkplain SnapshotEngine.Builder#observer observer}, then {@link #bindTo} the built engine for
 * the gauges:
 *
 * <pre>{@code
 * SnapshotMetrics metrics = SnapshotMetrics.on(registry);
 * SnapshotEngine engine = SnapshotEngine.builder()...observer(metrics).build();
 * metrics.bindTo(engine);                       // parked events per hook
 * metrics.trackUsage(engine, TenantId.of("acme")); // optional, one gauge per tenant you name
 * }</pre>
 *
 * <p>The meters (every name and tag is listed in the module README):
 * <ul>
 *   <li>{@value #OPERATION} — timer per engine operation, tags {@code operation} ({@code capture},
 *       {@code restore}, {@code rollback}, {@code delete}, {@code diff}, {@code sweep},
 *       {@code retention}, {@code reap}, {@code verify}) and {@code outcome} ({@code success} or the error code in
 *       lower case, e.g. {@code quota_exceeded});
 *   <li>{@value #HOST_DELETE_FAILURES} — counter per host that did not confirm a strict delete, tag
 *       {@code host};
 *   <li>{@value #EVENT_LAG} — timer of the time from an event to its delivery, tag {@code hook};
 *   <li>{@value #EVENT_FAILURES} — counter of failed hook calls, tags {@code hook} and
 *       {@code parked} ({@code true} when it was the last attempt);
 *   <li>{@value #EVENTS_PARKED} — gauge of the events parked for a hook, tag {@code hook};
 *   <li>{@value #USAGE_BYTES} — gauge of the bytes a tenant stores, tag {@code tenant}, only for
 *       the tenants named with {@link #trackUsage}.
 * </ul>
 * Operation meters are never tagged by tenant or workload, so their count stays bounded; hosts and
 * hooks are few and named by the operator.
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
public final class SnapshotMetrics implements EngineObserver {
  /** Timer per operation and outcome. */
  public static final String OPERATION = "snapshotkit.operation";
  /** Counter per host that did not confirm a strict delete. */
  public static final String HOST_DELETE_FAILURES = "snapshotkit.host.delete.failures";
  /** Timer from an event to its delivery, per hook. */
  public static final String EVENT_LAG = "snapshotkit.events.lag";
  /** Counter of failed hook calls, per hook and whether the event was parked. */
  public static final String EVENT_FAILURES = "snapshotkit.events.failures";
  /** Gauge of parked events per hook. */
  public static final String EVENTS_PARKED = "snapshotkit.events.parked";
  /** Gauge of a tenant's stored bytes. */
  public static final String USAGE_BYTES = "snapshotkit.usage.bytes";

  private final MeterRegistry registry;

  private SnapshotMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Meters registered in {@code registry}. */
  public static SnapshotMetrics on(MeterRegistry registry) {
    return new SnapshotMetrics(Objects.requireNonNull(registry, "registry"));
  }

  /**
   * Registers the gauges that read the engine: the parked events of each of its hooks. The gauges
   * hold the engine weakly, as Micrometer gauges do, and read the store when the registry is
   * scraped; a store that cannot be read gives {@code NaN}.
   *
   * @return this
   */
  public SnapshotMetrics bindTo(SnapshotEngine engine) {
    Objects.requireNonNull(engine, "engine");
    for (String hook : engine.settings().hooks().keySet()) {
      Gauge.builder(EVENTS_PARKED, engine, e -> parked(e, hook))
          .description("events parked for a hook after their last failed attempt; replay them once it is fixed")
          .tag("hook", hook)
          .register(registry);
    }
    return this;
  }

  /**
   * Registers a gauge of the bytes {@code tenant} stores (its READY and DELETING snapshots), as
   * {@link SnapshotEngine#usageBytes} reports it. One gauge per tenant named: name only the tenants
   * a dashboard needs, since every tenant is a separate time series.
   *
   * @return this
   */
  public SnapshotMetrics trackUsage(SnapshotEngine engine, TenantId tenant) {
    Objects.requireNonNull(engine, "engine");
    Objects.requireNonNull(tenant, "tenant");
    Gauge.builder(USAGE_BYTES, engine, e -> usage(e, tenant))
        .description("bytes a tenant stores in READY and DELETING snapshots")
        .baseUnit("bytes")
        .tag("tenant", tenant.value())
        .register(registry);
    return this;
  }

  @Override
  public void operationFinished(EngineOperation operation, Duration took, Optional<ErrorCode> failure) {
    Timer.builder(OPERATION)
        .description("engine operations by outcome")
        .tag("operation", operation.tag())
        .tag("outcome", failure.map(c -> c.name().toLowerCase(Locale.ROOT)).orElse("success"))
        .register(registry)
        .record(took);
  }

  @Override
  public void hostDeleteFailed(String hostId) {
    Counter.builder(HOST_DELETE_FAILURES)
        .description("strict deletes a host did not confirm")
        .tag("host", hostId)
        .register(registry)
        .increment();
  }

  @Override
  public void eventDelivered(String hook, Duration lag) {
    Timer.builder(EVENT_LAG)
        .description("time from an event to its delivery to a hook")
        .tag("hook", hook)
        .register(registry)
        .record(lag.isNegative() ? Duration.ZERO : lag);
  }

  @Override
  public void eventFailed(String hook, boolean parked) {
    Counter.builder(EVENT_FAILURES)
        .description("hook calls that threw")
        .tag("hook", hook)
        .tag("parked", Boolean.toString(parked))
        .register(registry)
        .increment();
  }

  private static double parked(SnapshotEngine engine, String hook) {
    try {
      return engine.parkedEvents(hook).size();
    } catch (RuntimeException e) {
      return Double.NaN;
    }
  }

  private static double usage(SnapshotEngine engine, TenantId tenant) {
    try {
      return engine.usageBytes(tenant);
    } catch (RuntimeException e) {
      return Double.NaN;
    }
  }
}
