package io.snapshotkit.testkit;

import io.snapshotkit.EventType;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.spi.EventHook;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * An {@link EventHook} that records what it receives and can be told to fail.
 *
 * <p>{@link #events()} lists every successful delivery, redeliveries included; {@link #attempts()}
 * counts every call, failed ones included. A scripted failure throws {@link IllegalStateException}
 * and records nothing in {@link #events()}.
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
public final class RecordingEventHook implements EventHook {

  private final List<SnapshotEvent> events = new ArrayList<>();
  private int attempts;
  private int failTimes;
  private boolean failAlways;

  /** A hook that accepts every event. */
  public RecordingEventHook() {}

  /**
   * {@inheritDoc}
   *
   * @throws IllegalStateException when a failure was scripted with {@link #failTimes} or {@link #failAlways}
   */
  @Override
  public synchronized void onEvent(SnapshotEvent event) {
    Objects.requireNonNull(event, "event");
    attempts++;
    if (failAlways) {
      throw new IllegalStateException("hook failure injected by RecordingEventHook.failAlways for " + event.id());
    }
    if (failTimes > 0) {
      failTimes--;
      throw new IllegalStateException("hook failure injected by RecordingEventHook.failTimes for " + event.id());
    }
    events.add(event);
    notifyAll();
  }

  /** Makes the next {@code n} deliveries throw. */
  public synchronized void failTimes(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("n must not be negative: " + n);
    }
    failTimes = n;
  }

  /** Makes every delivery throw (true) until set back (false). */
  public synchronized void failAlways(boolean fail) {
    failAlways = fail;
  }

  /** Successful deliveries in delivery order, including redeliveries of one event. */
  public synchronized List<SnapshotEvent> events() {
    return List.copyOf(events);
  }

  /** Successfully delivered events without duplicates (by {@link SnapshotEvent#id()}), in first-delivery order. */
  public synchronized List<SnapshotEvent> distinctEvents() {
    Map<String, SnapshotEvent> byId = new LinkedHashMap<>();
    events.forEach(e -> byId.putIfAbsent(e.id(), e));
    return List.copyOf(byId.values());
  }

  /** The types of {@link #events()}, in delivery order. */
  public synchronized List<EventType> types() {
    return events.stream().map(SnapshotEvent::type).toList();
  }

  /** Every call, failed ones included. */
  public synchronized int attempts() {
    return attempts;
  }

  /**
   * Waits until at least {@code n} successful deliveries were recorded.
   *
   * @return false if the timeout passed first (or the waiting thread was interrupted; its flag is set again)
   */
  public synchronized boolean awaitCount(int n, Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    long deadline = System.nanoTime() + timeout.toNanos();
    while (events.size() < n) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      try {
        TimeUnit.NANOSECONDS.timedWait(this, left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }
}
