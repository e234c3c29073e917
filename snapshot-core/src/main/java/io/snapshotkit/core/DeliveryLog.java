package io.snapshotkit.core;

/**
 * Where the dispatcher's delivery problems are written. The production sink is
 * {@link #slf4j(org.slf4j.Logger)}; tests pass a recording sink to assert levels without scraping
 * log output.
 *
 * <p><b>Threading:</b> implementations must be thread-safe; deliveries report concurrently.
 */
@FunctionalInterface
interface DeliveryLog {

  /** Log levels the dispatcher uses for delivery problems. */
  enum Level {
    /** Something an operator should see once. */
    WARN,
    /** Repeats of a problem already reported at WARN. */
    DEBUG,
    /** A failure that left an event claimed until its lease expires. */
    ERROR
  }

  /**
   * Writes one entry.
   *
   * @param level how loud
   * @param hook the hook concerned
   * @param message what happened and what happens next, one line
   * @param failure the cause, if any (may be null)
   */
  void log(Level level, String hook, String message, Throwable failure);

  /** A sink writing to an SLF4J logger, with the failure's stack trace attached. */
  static DeliveryLog slf4j(org.slf4j.Logger logger) {
    java.util.Objects.requireNonNull(logger, "logger");
    return (level, hook, message, failure) -> {
      switch (level) {
        case WARN -> logger.warn("[hook {}] {}", hook, message, failure);
        case DEBUG -> logger.debug("[hook {}] {}", hook, message, failure);
        case ERROR -> logger.error("[hook {}] {}", hook, message, failure);
        default -> throw new AssertionError(level);
      }
    };
  }
}
