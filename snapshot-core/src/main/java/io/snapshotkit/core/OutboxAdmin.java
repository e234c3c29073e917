package io.snapshotkit.core;

import io.snapshotkit.SnapshotException;
import io.snapshotkit.spi.EventHook;
import io.snapshotkit.spi.EventOutbox;
import io.snapshotkit.spi.ParkedEvent;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The {@link OutboxDispatcher}'s hooks as the outbox knows them: checks and registers them when
 * the dispatcher is created, and makes the administrative calls on their events (parked, replay,
 * prune). These are the dispatcher's only synchronous outbox calls, and the only ones that throw
 * the outbox's failure, as {@link SnapshotException}, at the caller.
 *
 * <p><b>Thread-safety:</b> thread-safe; immutable after {@link #register}, and each call is one
 * outbox call.
 */
final class OutboxAdmin {

  private final EventOutbox outbox;
  private final Map<String, EventHook> hooks;
  private final Clock clock;
  private final DispatcherSettings settings;

  private OutboxAdmin(EventOutbox outbox, Map<String, EventHook> hooks, Clock clock, DispatcherSettings settings) {
    this.outbox = outbox;
    this.hooks = hooks;
    this.clock = clock;
    this.settings = settings;
  }

  /**
   * Checks the hooks against the settings and registers each with the outbox at its start
   * position (a known hook keeps its cursor).
   *
   * @throws IllegalArgumentException listing every problem at once: no hooks, a blank name, a null
   *     hook, or a start position for a hook that is not in {@code hooks}
   * @throws SnapshotException if the outbox fails to register a hook
   */
  static OutboxAdmin register(
      EventOutbox outbox, Map<String, EventHook> hooks, Clock clock, DispatcherSettings settings) {
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
    return new OutboxAdmin(outbox, Collections.unmodifiableMap(copy), clock, settings);
  }

  /** The registered hooks by name, in polling order; unmodifiable. */
  Map<String, EventHook> hooks() {
    return hooks;
  }

  /** See {@link OutboxDispatcher#parked}. */
  List<ParkedEvent> parked(String hook) {
    requireHook(hook);
    try {
      return outbox.parked(hook);
    } catch (RuntimeException e) {
      throw SnapshotException.wrap("listing parked events of hook '" + hook + "'", e);
    }
  }

  /** See {@link OutboxDispatcher#replay}. */
  boolean replay(String hook, long sequence) {
    requireHook(hook);
    try {
      return outbox.replay(hook, sequence);
    } catch (RuntimeException e) {
      throw SnapshotException.wrap("replaying event " + sequence + " for hook '" + hook + "'", e);
    }
  }

  /** See {@link OutboxDispatcher#prune}. */
  int prune() {
    Instant before = clock.instant().minus(settings.outboxRetention());
    try {
      return outbox.prune(before);
    } catch (RuntimeException e) {
      throw SnapshotException.wrap("pruning the event outbox", e);
    }
  }

  private void requireHook(String hook) {
    Objects.requireNonNull(hook, "hook");
    if (!hooks.containsKey(hook)) {
      throw SnapshotException.notFound("no event hook named '" + hook + "'; registered hooks: " + hooks.keySet());
    }
  }
}
