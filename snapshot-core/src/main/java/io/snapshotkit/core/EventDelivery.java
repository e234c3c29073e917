package io.snapshotkit.core;

import io.snapshotkit.SnapshotException;
import io.snapshotkit.spi.ParkedEvent;
import java.util.List;
import java.util.Optional;

/**
 * The engine's side of event delivery: the {@link OutboxDispatcher} it owns when hooks are
 * registered, or none. Appending events is not here: each use case appends its event in the
 * transaction of its change.
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
final class EventDelivery {
  /** Delivers the outbox to the registered hooks; empty when no hook is registered. */
  private final Optional<OutboxDispatcher> dispatcher;

  EventDelivery(Optional<OutboxDispatcher> dispatcher) {
    this.dispatcher = dispatcher;
  }

  /** See {@link SnapshotEngine#pollEvents}. */
  int poll() {
    return dispatcher.map(OutboxDispatcher::pollOnce).orElse(0);
  }

  /** See {@link SnapshotEngine#parkedEvents}. */
  List<ParkedEvent> parked(String hook) {
    return require(hook).parked(hook);
  }

  /** See {@link SnapshotEngine#replayEvent}. */
  boolean replay(String hook, long sequence) {
    return require(hook).replay(hook, sequence);
  }

  /** See {@link SnapshotEngine#pruneEvents}. */
  int prune() {
    return dispatcher.map(OutboxDispatcher::prune).orElse(0);
  }

  /** Stops the dispatcher cleanly, if there is one. */
  void stop() {
    dispatcher.ifPresent(OutboxDispatcher::stop);
  }

  private OutboxDispatcher require(String hook) {
    return dispatcher.orElseThrow(() -> SnapshotException.notFound(
        "no event hook named '" + hook + "'; this engine has no event hooks (register them with eventHook)"));
  }
}
