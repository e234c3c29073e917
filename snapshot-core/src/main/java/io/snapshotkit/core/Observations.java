package io.snapshotkit.core;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's side of an {@link EngineObserver}: times operations and passes each observation on,
 * so that an observer that throws is logged (once per kind at WARN, then at DEBUG) and never
 * changes an operation's result.
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
final class Observations {
  private static final Logger LOG = LoggerFactory.getLogger(Observations.class);

  /** The kinds of call whose failure has been logged at WARN already. */
  private enum Kind { OPERATION, HOST, DELIVERED, FAILED }

  private final EngineObserver observer;
  private final Set<Kind> warned = EnumSet.noneOf(Kind.class);

  Observations(EngineObserver observer) {
    this.observer = observer;
  }

  /** Runs {@code work}, then reports its duration and outcome (the exception's code, INTERNAL for others). */
  <T> T timed(EngineOperation operation, Supplier<T> work) {
    long start = System.nanoTime();
    try {
      T result = work.get();
      finished(operation, start, Optional.empty());
      return result;
    } catch (RuntimeException | Error e) {
      finished(operation, start, Optional.of(codeOf(e)));
      throw e;
    }
  }

  /**
   * Runs {@code start}, which starts a capture that goes on asynchronously, and returns it with a
   * future that completes only after the capture was reported (so whoever waited for it finds it
   * counted); a failure to start is reported at once (the exception's code) and thrown.
   */
  PendingCapture timedStart(Supplier<PendingCapture> start) {
    long startNanos = System.nanoTime();
    PendingCapture started;
    try {
      started = start.get();
    } catch (RuntimeException e) {
      finished(EngineOperation.CAPTURE, startNanos, Optional.of(codeOf(e)));
      throw e;
    }
    // whenComplete's stage completes after its action returns: the order is the contract's, not
    // that of the source future's list of dependents
    CompletableFuture<Snapshot> reported = started.result().whenComplete((value, failure) ->
        finished(EngineOperation.CAPTURE, startNanos, failure == null ? Optional.empty() : Optional.of(codeOf(failure))));
    return new PendingCapture(started.snapshot(), reported);
  }

  private void finished(EngineOperation operation, long startNanos, Optional<ErrorCode> failure) {
    Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
    safely(Kind.OPERATION, () -> observer.operationFinished(operation, took, failure));
  }

  void hostDeleteFailed(String hostId) {
    safely(Kind.HOST, () -> observer.hostDeleteFailed(hostId));
  }

  void eventDelivered(String hook, Duration lag) {
    safely(Kind.DELIVERED, () -> observer.eventDelivered(hook, lag));
  }

  void eventFailed(String hook, boolean parked) {
    safely(Kind.FAILED, () -> observer.eventFailed(hook, parked));
  }

  static ErrorCode codeOf(Throwable t) {
    Throwable cause = t;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause instanceof SnapshotException se ? se.code() : ErrorCode.INTERNAL;
  }

  private void safely(Kind kind, Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      boolean first;
      synchronized (warned) {
        first = warned.add(kind);
      }
      if (first) {
        LOG.warn("the engine observer {} threw; its observations may be incomplete (later failures are logged "
            + "at DEBUG)", observer.getClass().getName(), e);
      } else {
        LOG.debug("the engine observer {} threw", observer.getClass().getName(), e);
      }
    }
  }
}
