package io.snapshotkit.core;

import io.snapshotkit.ErrorCode;
import java.time.Duration;
import java.util.Optional;

/**
 * Hears what an engine did, for metrics and tracing: each public operation's duration and outcome,
 * each host that did not confirm a strict delete, and each event a hook received or failed. Set it
 * with {@link SnapshotEngine.Builder#observer}; {@code snapshot-micrometer}'s {@code SnapshotMetrics}
 * is the ready-made one.
 *
 * <p>Every method has an empty default, so an observer overrides only what it needs. Calls come on
 * the thread that did the work, after it; they must be quick and must not call back into the
 * engine. An asynchronous capture is reported before its future completes, so a caller that
 * waited for the future finds the capture reported. An observer that throws is logged (once per
 * method at WARN) and never changes the operation's result.
 *
 * <p><b>Thread-safety:</b> implementations must be thread-safe: operations run concurrently.
 */
public interface EngineObserver {

  /** An observer that ignores everything: the default. */
  EngineObserver NONE = new EngineObserver() {};

  /**
   * An engine operation finished.
   *
   * @param operation which one
   * @param took how long it ran, measured on the monotonic clock
   * @param failure the error code it failed with; empty when it succeeded
   */
  default void operationFinished(EngineOperation operation, Duration took, Optional<ErrorCode> failure) {}

  /**
   * A host did not confirm a strict delete (unreachable, failed, timed out, or not ONLINE).
   *
   * @param hostId the host, as the host directory names it
   */
  default void hostDeleteFailed(String hostId) {}

  /**
   * A hook received an event.
   *
   * @param hook the hook's name
   * @param lag from the moment the event happened to its delivery
   */
  default void eventDelivered(String hook, Duration lag) {}

  /**
   * A hook threw on an event: it is retried later, or parked after its last attempt.
   *
   * @param hook the hook's name
   * @param parked whether this was the last attempt and the event is now parked
   */
  default void eventFailed(String hook, boolean parked) {}
}
