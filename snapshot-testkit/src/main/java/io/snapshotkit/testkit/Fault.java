package io.snapshotkit.testkit;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A failure (or delay) scripted into a {@link FaultyHostAgent} (or a {@link FakeHostAgent}) with
 * {@link FaultyHostAgent#failNext(FaultyHostAgent.Op, Fault)} or
 * {@link FaultyHostAgent#failAlways(FaultyHostAgent.Op, Fault)}.
 *
 * <p><b>Thread-safety:</b> immutable.
 */
public final class Fault {

  /** What the fault does. Package-private: tests choose faults through the factories. */
  enum Kind { OFFLINE, ERROR, NOT_FOUND, LATENCY, HANG, PARTIAL_CAPTURE, CORRUPT, FAIL_RESOURCE }

  private final Kind kind;
  private final String detail;
  private final Duration delay;

  private Fault(Kind kind, String detail, Duration delay) {
    this.kind = kind;
    this.detail = detail;
    this.delay = delay;
  }

  /** The host is unreachable: the call throws {@code SnapshotException} {@code HOST_UNAVAILABLE} naming the host. */
  public static Fault offline() {
    return new Fault(Kind.OFFLINE, "", Duration.ZERO);
  }

  /**
   * The agent has a bug: the call throws a plain {@link RuntimeException} (an
   * {@link IllegalStateException}) with {@code message}, which the engine must wrap as {@code INTERNAL}.
   */
  public static Fault error(String message) {
    Objects.requireNonNull(message, "message");
    return new Fault(Kind.ERROR, message, Duration.ZERO);
  }

  /**
   * The workload or snapshot is unknown: the call throws {@code NOT_FOUND}; a DELETE instead
   * answers {@link io.snapshotkit.spi.DeleteOutcome#NOT_FOUND} (and removes nothing).
   */
  public static Fault notFound() {
    return new Fault(Kind.NOT_FOUND, "", Duration.ZERO);
  }

  /** The call sleeps for {@code delay} and then proceeds normally. */
  public static Fault latency(Duration delay) {
    Objects.requireNonNull(delay, "delay");
    if (delay.isNegative()) {
      throw new IllegalArgumentException("latency must not be negative: " + delay);
    }
    return new Fault(Kind.LATENCY, "", delay);
  }

  /**
   * The call blocks until {@link FakeHostAgent#releaseHangs()} (then proceeds normally) or until
   * its thread is interrupted (then throws {@code HOST_UNAVAILABLE} with the interrupt flag set again).
   */
  public static Fault hang() {
    return new Fault(Kind.HANG, "", Duration.ZERO);
  }

  /** CAPTURE only: the capture succeeds with {@code partial=true} and one resource missing. */
  public static Fault partialCapture() {
    return new Fault(Kind.PARTIAL_CAPTURE, "", Duration.ZERO);
  }

  /** The stored data fails its check: the call throws {@code CORRUPT}. */
  public static Fault corrupt() {
    return new Fault(Kind.CORRUPT, "", Duration.ZERO);
  }

  /**
   * RESTORE only: restoring the resource with natural key {@code key} fails. An ADDITIVE restore
   * records it in {@link io.snapshotkit.FamilyRestore#errors()} and restores the rest; a REPLACE
   * restore throws and leaves the workload unchanged.
   */
  public static Fault failResource(String key) {
    Objects.requireNonNull(key, "key");
    return new Fault(Kind.FAIL_RESOURCE, key, Duration.ZERO);
  }

  Kind kind() {
    return kind;
  }

  String detail() {
    return detail;
  }

  Duration delay() {
    return delay;
  }

  /** The resource key a {@link #failResource} fault fails, if this is one. */
  Optional<String> failingKey() {
    return kind == Kind.FAIL_RESOURCE ? Optional.of(detail) : Optional.empty();
  }

  @Override
  public String toString() {
    return switch (kind) {
      case ERROR -> "Fault.error(" + detail + ")";
      case LATENCY -> "Fault.latency(" + delay + ")";
      case FAIL_RESOURCE -> "Fault.failResource(" + detail + ")";
      default -> "Fault." + kind.name().toLowerCase(java.util.Locale.ROOT);
    };
  }
}
