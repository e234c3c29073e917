package io.snapshotkit.core;

import io.snapshotkit.spi.StartPosition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;
import java.util.random.RandomGenerator;

/**
 * Settings of an {@link OutboxDispatcher}. Start from {@link #defaults()} and change what you need
 * with the {@code with…} methods; each returns a new, validated copy.
 *
 * <pre>{@code
 * DispatcherSettings settings = DispatcherSettings.defaults()
 *     .withOwnerId("engine-eu-1")
 *     .withMaxAttempts(5)
 *     .withStartPosition("billing", StartPosition.NOW);
 * }</pre>
 *
 * <p><b>Start positions:</b> a hook with no explicit start position starts from
 * {@link #defaultStart()}, which is {@link StartPosition#BEGINNING} by default: a hook registered
 * when the engine is built receives every event still retained in the outbox, so nothing appended
 * while it was not yet registered is lost. A start position only matters the first time a hook
 * name is registered with the outbox; afterwards the hook's durable cursor wins.
 *
 * <p>A read-only view with no public constructor, so a new setting (a new accessor and
 * {@code with…} method) is not a breaking change.
 *
 * <p><b>Thread-safety:</b> immutable, except that the {@link #random()} generator is used by the
 * dispatcher under its own lock; do not share one generator with other code.
 */
public final class DispatcherSettings {
  private final String ownerId;
  private final int maxAttempts;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final double jitter;
  private final RandomGenerator random;
  private final Duration pollInterval;
  private final int batchSize;
  private final Duration claimLease;
  private final StartPosition defaultStart;
  private final Map<String, StartPosition> startPositions;
  private final Duration outboxRetention;
  private final Duration pruneInterval;
  private final Duration stopTimeout;

  /**
   * Validates every setting and reports all problems at once.
   *
   * @throws IllegalArgumentException listing every invalid setting
   */
  DispatcherSettings(
      String ownerId,
      int maxAttempts,
      Duration initialBackoff,
      Duration maxBackoff,
      double jitter,
      RandomGenerator random,
      Duration pollInterval,
      int batchSize,
      Duration claimLease,
      StartPosition defaultStart,
      Map<String, StartPosition> startPositions,
      Duration outboxRetention,
      Duration pruneInterval,
      Duration stopTimeout) {
    Objects.requireNonNull(ownerId, "ownerId");
    Objects.requireNonNull(initialBackoff, "initialBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    Objects.requireNonNull(random, "random");
    Objects.requireNonNull(pollInterval, "pollInterval");
    Objects.requireNonNull(claimLease, "claimLease");
    Objects.requireNonNull(defaultStart, "defaultStart");
    Objects.requireNonNull(startPositions, "startPositions");
    Objects.requireNonNull(outboxRetention, "outboxRetention");
    Objects.requireNonNull(pruneInterval, "pruneInterval");
    Objects.requireNonNull(stopTimeout, "stopTimeout");
    List<String> problems = new ArrayList<>();
    if (ownerId.isBlank() || ownerId.length() > 128) {
      problems.add("ownerId must be 1 to 128 non-blank characters, unique per engine instance");
    }
    if (maxAttempts < 1) {
      problems.add("maxAttempts must be at least 1 (was " + maxAttempts + ")");
    }
    if (initialBackoff.isNegative()) {
      problems.add("initialBackoff must not be negative (was " + initialBackoff + ")");
    }
    if (maxBackoff.compareTo(initialBackoff) < 0) {
      problems.add("maxBackoff (" + maxBackoff + ") must not be shorter than initialBackoff (" + initialBackoff + ")");
    }
    if (!(jitter >= 0.0 && jitter < 1.0)) {
      problems.add("jitter must be in [0, 1) (was " + jitter + ")");
    }
    if (pollInterval.isNegative() || pollInterval.isZero()) {
      problems.add("pollInterval must be positive (was " + pollInterval + ")");
    }
    if (batchSize < 1) {
      problems.add("batchSize must be at least 1 (was " + batchSize + ")");
    }
    if (claimLease.isNegative() || claimLease.isZero()) {
      problems.add("claimLease must be positive (was " + claimLease + ")");
    }
    if (outboxRetention.isNegative()) {
      problems.add("outboxRetention must not be negative (was " + outboxRetention + ")");
    }
    if (pruneInterval.isNegative() || pruneInterval.isZero()) {
      problems.add("pruneInterval must be positive (was " + pruneInterval + ")");
    }
    if (stopTimeout.isNegative()) {
      problems.add("stopTimeout must not be negative (was " + stopTimeout + ")");
    }
    TreeMap<String, StartPosition> positions = new TreeMap<>();
    for (Map.Entry<String, StartPosition> e : startPositions.entrySet()) {
      if (e.getKey() == null || e.getKey().isBlank()) {
        problems.add("startPositions has a blank hook name");
      } else if (e.getValue() == null) {
        problems.add("startPositions has no position for hook '" + e.getKey() + "'");
      } else {
        positions.put(e.getKey(), e.getValue());
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("invalid dispatcher settings: " + String.join("; ", problems));
    }
    this.ownerId = ownerId;
    this.maxAttempts = maxAttempts;
    this.initialBackoff = initialBackoff;
    this.maxBackoff = maxBackoff;
    this.jitter = jitter;
    this.random = random;
    this.pollInterval = pollInterval;
    this.batchSize = batchSize;
    this.claimLease = claimLease;
    this.defaultStart = defaultStart;
    this.startPositions = Collections.unmodifiableMap(positions);
    this.outboxRetention = outboxRetention;
    this.pruneInterval = pruneInterval;
    this.stopTimeout = stopTimeout;
  }

  /** The defaults described on each component, with a random owner id and a fresh jitter generator. */
  public static DispatcherSettings defaults() {
    return new DispatcherSettings(
        "dispatcher-" + UUID.randomUUID(),
        10,
        Duration.ofSeconds(1),
        Duration.ofMinutes(5),
        0.2,
        RandomGenerator.getDefault(),
        Duration.ofMillis(200),
        100,
        Duration.ofMinutes(1),
        StartPosition.BEGINNING,
        Map.of(),
        Duration.ofDays(7),
        Duration.ofHours(1),
        Duration.ofSeconds(30));
  }

  /** Where the hook named {@code hook} starts when it is registered for the first time. */
  public StartPosition startPosition(String hook) {
    Objects.requireNonNull(hook, "hook");
    return startPositions.getOrDefault(hook, defaultStart);
  }

  /** A copy with another owner id; give each engine instance sharing a database its own. */
  public DispatcherSettings withOwnerId(String ownerId) {
    return new DispatcherSettings(ownerId, maxAttempts, initialBackoff, maxBackoff, jitter, random, pollInterval,
        batchSize, claimLease, defaultStart, startPositions, outboxRetention, pruneInterval, stopTimeout);
  }

  /** A copy that parks an event after {@code maxAttempts} failed deliveries to one hook. */
  public DispatcherSettings withMaxAttempts(int maxAttempts) {
    return new DispatcherSettings(ownerId, maxAttempts, initialBackoff, maxBackoff, jitter, random, pollInterval,
        batchSize, claimLease, defaultStart, startPositions, outboxRetention, pruneInterval, stopTimeout);
  }

  /** A copy with another exponential backoff: {@code initial * 2^(attempts-1)}, capped at {@code max}. */
  public DispatcherSettings withBackoff(Duration initial, Duration max) {
    return new DispatcherSettings(ownerId, maxAttempts, initial, max, jitter, random, pollInterval,
        batchSize, claimLease, defaultStart, startPositions, outboxRetention, pruneInterval, stopTimeout);
  }

  /**
   * A copy with another jitter: up to {@code fraction} of each backoff is taken off at random,
   * drawn from {@code random} (pass a seeded generator for reproducible runs).
   */
  public DispatcherSettings withJitter(double fraction, RandomGenerator random) {
    return new DispatcherSettings(ownerId, maxAttempts, initialBackoff, maxBackoff, fraction, random, pollInterval,
        batchSize, claimLease, defaultStart, startPositions, outboxRetention, pruneInterval, stopTimeout);
  }

  /** A copy without jitter: every backoff is exactly {@code initial * 2^(attempts-1)}, capped. */
  public DispatcherSettings withoutJitter() {
    return withJitter(0.0, random);
  }

  /** A copy that polls the outbox every {@code interval} once started. */
  public DispatcherSettings withPollInterval(Duration interval) {
    return new DispatcherSettings(ownerId, maxAttempts, initialBackoff, maxBackoff, jitter, random, interval,
        batchSize, claimLease, defaultStart, startPositions, outboxRetention, pruneInterval, stopTimeout);
  }

  /** A copy that claims up to {@code batchSize} events per hook and poll. */
  public DispatcherSettings withBatchSize(int batchSize) {
    return new DispatcherSettings(ownerId, maxAttempts, initialBackoff, maxBackoff, jitter, random, pollInterval,
        batchSize, claimLease, defaultStart, startPositions, outboxRetention, pruneInterval, stopTimeout);
  }

  /** A copy with another claim lease; it must exceed the longest hook call. */
  public DispatcherSettings withClaimLease(Duration lease) {
    return new DispatcherSettings(ownerId, maxAttempts, initialBackoff, maxBackoff, jitter, random, pollInterval,
        batchSize, lease, defaultStart, startPositions, outboxRetention, pruneInterval, stopTimeout);
  }

  /** A copy in which hooks without an explicit start position start from {@code start}. */
  public DispatcherSettings withDefaultStart(StartPosition start) {
    return new DispatcherSettings(ownerId, maxAttempts, initialBackoff, maxBackoff, jitter, random, pollInterval,
        batchSize, claimLease, start, startPositions, outboxRetention, pruneInterval, stopTimeout);
  }

  /**
   * A copy in which the hook named {@code hook} starts from {@code start} when first registered.
   *
   * @throws IllegalStateException if a start position was already set for this hook
   */
  public DispatcherSettings withStartPosition(String hook, StartPosition start) {
    Objects.requireNonNull(hook, "hook");
    Objects.requireNonNull(start, "start");
    StartPosition old = startPositions.get(hook);
    if (old != null) {
      throw new IllegalStateException("start position of hook '" + hook + "' is already set to " + old);
    }
    TreeMap<String, StartPosition> positions = new TreeMap<>(startPositions);
    positions.put(hook, start);
    return new DispatcherSettings(ownerId, maxAttempts, initialBackoff, maxBackoff, jitter, random, pollInterval,
        batchSize, claimLease, defaultStart, positions, outboxRetention, pruneInterval, stopTimeout);
  }

  /** A copy that keeps events at least {@code retention} and prunes every {@code interval}. */
  public DispatcherSettings withRetention(Duration retention, Duration interval) {
    return new DispatcherSettings(ownerId, maxAttempts, initialBackoff, maxBackoff, jitter, random, pollInterval,
        batchSize, claimLease, defaultStart, startPositions, retention, interval, stopTimeout);
  }

  /** A copy whose {@link OutboxDispatcher#stop()} waits at most {@code timeout} for in-flight deliveries. */
  public DispatcherSettings withStopTimeout(Duration timeout) {
    return new DispatcherSettings(ownerId, maxAttempts, initialBackoff, maxBackoff, jitter, random, pollInterval,
        batchSize, claimLease, defaultStart, startPositions, outboxRetention, pruneInterval, timeout);
  }

  /** Names this dispatcher in outbox claims; unique per engine instance (default: random). */
  public String ownerId() {
    return ownerId;
  }

  /** Failed deliveries of one event to one hook before it is parked (default 10). */
  public int maxAttempts() {
    return maxAttempts;
  }

  /** Delay after the first failure (default 1 s). */
  public Duration initialBackoff() {
    return initialBackoff;
  }

  /** The cap of the exponential backoff (default 5 min). */
  public Duration maxBackoff() {
    return maxBackoff;
  }

  /**
   * The fraction, {@code [0, 1)}, of each backoff that is randomly taken off so that failing hooks on
   * many engines do not retry in lockstep (default 0.2; 0 disables jitter).
   */
  public double jitter() {
    return jitter;
  }

  /** The source of jitter. */
  public RandomGenerator random() {
    return random;
  }

  /** The delay between two polls of the outbox after {@link OutboxDispatcher#start()} (default 200 ms). */
  public Duration pollInterval() {
    return pollInterval;
  }

  /**
   * How many events are claimed per hook and poll, in one store round trip (default 100); each
   * workload contributes a run of at most a quarter of it, so one busy workload cannot take the whole
   * batch.
   */
  public int batchSize() {
    return batchSize;
  }

  /**
   * How long a claim keeps other dispatchers off an event; must exceed the longest hook call, because
   * an expired claim lets another dispatcher deliver the event again (default 1 min).
   */
  public Duration claimLease() {
    return claimLease;
  }

  /** Where a newly registered hook starts unless {@code startPositions} names it (default BEGINNING). */
  public StartPosition defaultStart() {
    return defaultStart;
  }

  /** Start positions of particular hooks, by name. */
  public Map<String, StartPosition> startPositions() {
    return startPositions;
  }

  /**
   * How long events are kept after being appended; older events are pruned once every registered hook
   * has acknowledged or parked them (default 7 days).
   */
  public Duration outboxRetention() {
    return outboxRetention;
  }

  /** How often the started dispatcher prunes the outbox (default 1 hour). */
  public Duration pruneInterval() {
    return pruneInterval;
  }

  /** How long {@link OutboxDispatcher#stop()} waits for in-flight deliveries (default 30 s). */
  public Duration stopTimeout() {
    return stopTimeout;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof DispatcherSettings other)) {
      return false;
    }
    return ownerId.equals(other.ownerId)
        && maxAttempts == other.maxAttempts
        && initialBackoff.equals(other.initialBackoff)
        && maxBackoff.equals(other.maxBackoff)
        && Double.compare(jitter, other.jitter) == 0
        && random.equals(other.random)
        && pollInterval.equals(other.pollInterval)
        && batchSize == other.batchSize
        && claimLease.equals(other.claimLease)
        && defaultStart.equals(other.defaultStart)
        && startPositions.equals(other.startPositions)
        && outboxRetention.equals(other.outboxRetention)
        && pruneInterval.equals(other.pruneInterval)
        && stopTimeout.equals(other.stopTimeout);
  }

  @Override
  public int hashCode() {
    return Objects.hash(ownerId, maxAttempts, initialBackoff, maxBackoff, jitter, random, pollInterval, batchSize,
        claimLease, defaultStart, startPositions, outboxRetention, pruneInterval, stopTimeout);
  }

  @Override
  public String toString() {
    return "DispatcherSettings[" + "ownerId=" + ownerId + ", "
        + "maxAttempts=" + maxAttempts + ", "
        + "initialBackoff=" + initialBackoff + ", "
        + "maxBackoff=" + maxBackoff + ", "
        + "jitter=" + jitter + ", "
        + "random=" + random + ", "
        + "pollInterval=" + pollInterval + ", "
        + "batchSize=" + batchSize + ", "
        + "claimLease=" + claimLease + ", "
        + "defaultStart=" + defaultStart + ", "
        + "startPositions=" + startPositions + ", "
        + "outboxRetention=" + outboxRetention + ", "
        + "pruneInterval=" + pruneInterval + ", "
        + "stopTimeout=" + stopTimeout + "]";
  }
}
