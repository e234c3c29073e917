package io.snapshotkit.spi;

import io.snapshotkit.SnapshotEvent;
import java.time.Instant;
import java.util.Objects;

/**
 * An event a hook failed too often; kept until replayed.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param hook the hook that failed
 * @param sequence the outbox position
 * @param event the event
 * @param attempts how many times delivery failed
 * @param lastError the last failure, one line
 * @param parkedAt when it was parked
 */
public record ParkedEvent(String hook, long sequence, SnapshotEvent event, int attempts, String lastError, Instant parkedAt) {
  /** Validates. */
  public ParkedEvent {
    Objects.requireNonNull(hook, "hook");
    Objects.requireNonNull(event, "event");
    Objects.requireNonNull(lastError, "lastError");
    Objects.requireNonNull(parkedAt, "parkedAt");
  }
}
