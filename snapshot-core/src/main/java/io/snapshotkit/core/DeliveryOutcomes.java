package io.snapshotkit.core;

import io.snapshotkit.spi.Delivery;
import io.snapshotkit.spi.EventOutbox;
import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * Records what became of the {@link OutboxDispatcher}'s hook calls: acknowledges delivered events,
 * reschedules a failed one with exponential backoff or parks it after its last attempt, and
 * reports delivery problems through a {@link FailureReporter} (first per hook and kind at WARN,
 * repeats at DEBUG). A storage failure while recording is reported, never thrown: the event then
 * stays claimed and is delivered again after the lease.
 *
 * <p><b>Thread-safety:</b> thread-safe; deliveries record concurrently.
 */
final class DeliveryOutcomes {
  private final EventOutbox outbox;
  private final Clock clock;
  private final DispatcherSettings settings;
  private final Backoff backoff;
  private final FailureReporter reporter;
  /** The engine's observer; none for a dispatcher built on its own. */
  private volatile Observations observations = new Observations(EngineObserver.NONE);

  DeliveryOutcomes(EventOutbox outbox, Clock clock, DispatcherSettings settings, DeliveryLog log) {
    this.outbox = outbox;
    this.clock = clock;
    this.settings = settings;
    this.backoff = new Backoff(settings.initialBackoff(), settings.maxBackoff(), settings.jitter(), settings.random());
    this.reporter = new FailureReporter(log);
  }

  void observedBy(Observations value) {
    observations = value;
  }

  /** Reports a hook call that returned normally, with the event's lag (from when it happened). */
  void delivered(String hook, Delivery delivery) {
    observations.eventDelivered(hook, java.time.Duration.between(delivery.event().at(), clock.instant()));
  }

  /** Acknowledges the delivered events of one run for {@code hook}, in one store call. */
  void acknowledge(String hook, List<Long> sequences) {
    if (sequences.isEmpty()) {
      return;
    }
    try {
      outbox.acknowledgeAll(hook, sequences);
    } catch (RuntimeException e) {
      reporter.report("store", hook, "events " + sequences + " were delivered but their acknowledgement failed; "
          + "they will be delivered again", e);
    }
  }

  /** Reschedules a failed delivery after its backoff, or parks it once it failed {@code maxAttempts} times. */
  void failed(String hook, Delivery delivery, Throwable failure) {
    long sequence = delivery.sequence();
    int attempts = delivery.attempts() + 1;
    String error = FailureReporter.describe(failure);
    Instant now = clock.instant();
    try {
      observations.eventFailed(hook, attempts >= settings.maxAttempts());
      if (attempts >= settings.maxAttempts()) {
        outbox.park(hook, sequence, attempts, error, now);
        reporter.report("park", hook, "parked event " + sequence + " (id " + delivery.event().id() + ") after "
            + attempts + " failed attempts; list it with parked() and replay it once the hook is fixed", failure);
      } else {
        Instant retryAt = now.plus(backoff.delay(attempts));
        outbox.retryLater(hook, sequence, attempts, retryAt, error);
        reporter.report("failure", hook, "event " + sequence + " (id " + delivery.event().id() + ") failed attempt "
            + attempts + " of " + settings.maxAttempts() + "; retrying at " + retryAt, failure);
      }
    } catch (RuntimeException e) {
      reporter.report("store", hook, "recording the failed delivery of event " + sequence + " failed; it will be "
          + "delivered again", e);
    }
  }

  /** Reports a fatal JVM error in a hook call; the event is not recorded and stays claimed. */
  void fatal(String hook, Delivery delivery, Throwable failure) {
    reporter.error(hook, "delivery of event " + delivery.sequence() + " hit a fatal JVM error; the event "
        + "stays unacknowledged and is delivered again", failure);
  }

  /** Reports a problem of the outbox or the delivery executor (throttled like hook failures). */
  void storeProblem(String hook, String message, Throwable failure) {
    reporter.report("store", hook, message, failure);
  }
}
