package io.snapshotkit.core;

import io.snapshotkit.core.DeliveryLog.Level;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reports delivery problems so that a broken hook does not flood the log: the first problem of
 * each kind per hook is logged at WARN (saying that repeats go to DEBUG), later ones at DEBUG.
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
final class FailureReporter {
  private final DeliveryLog log;
  private final Set<String> warned = ConcurrentHashMap.newKeySet();

  /** Creates a reporter writing to {@code log}. */
  FailureReporter(DeliveryLog log) {
    this.log = Objects.requireNonNull(log, "log");
  }

  /** Reports a problem of {@code kind} ("failure", "park", "store") for {@code hook}. */
  void report(String kind, String hook, String message, Throwable failure) {
    if (warned.add(kind + '\u0000' + hook)) {
      log.log(Level.WARN, hook, message + " (further " + kind + " reports for this hook are logged at DEBUG)", failure);
    } else {
      log.log(Level.DEBUG, hook, message, failure);
    }
  }

  /** Reports a problem that is always loud: an event left claimed until its lease expires. */
  void error(String hook, String message, Throwable failure) {
    log.log(Level.ERROR, hook, message, failure);
  }

  /**
   * One line describing {@code failure} for storage with a failed or parked event: class name and
   * message, without line breaks, at most 500 characters.
   */
  static String describe(Throwable failure) {
    String text = failure.getClass().getName();
    String message = failure.getMessage();
    if (message != null && !message.isBlank()) {
      text = text + ": " + message;
    }
    text = text.replaceAll("[\\r\\n\\t]+", " ");
    return text.length() <= 500 ? text : text.substring(0, 497) + "...";
  }
}
