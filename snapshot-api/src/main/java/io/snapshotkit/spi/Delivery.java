package io.snapshotkit.spi;

import io.snapshotkit.SnapshotEvent;
import java.util.Objects;

/**
 * An event claimed for delivery to one hook.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param sequence the outbox position, increasing in commit order per workload
 * @param event the event
 * @param attempts earlier failed attempts for this hook
 */
public record Delivery(long sequence, SnapshotEvent event, int attempts) {
  /** Validates. */
  public Delivery {
    Objects.requireNonNull(event, "event");
  }
}
