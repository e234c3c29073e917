package io.snapshotkit.spi;

import io.snapshotkit.SnapshotEvent;

/**
 * Receives snapshot events from the outbox dispatcher.
 *
 * <p><b>Threading:</b> called from the dispatcher's executor; never concurrently for the same
 * workload, concurrently across workloads.
 *
 * <p><b>Idempotency:</b> delivery is at-least-once; de-duplicate on {@link SnapshotEvent#id()}.
 *
 * <p><b>Failure:</b> throwing leaves the event un-acknowledged for this hook only; it is
 * redelivered with backoff and parked after the configured number of attempts. The operation
 * that caused the event never sees the exception.
 */
@FunctionalInterface
public interface EventHook {
  /** Handles one event. */
  void onEvent(SnapshotEvent event) throws Exception;
}
