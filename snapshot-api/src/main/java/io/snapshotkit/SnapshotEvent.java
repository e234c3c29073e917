package io.snapshotkit;

import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A state change, appended to the outbox in the same transaction as the change itself and
 * delivered at least once to every {@link io.snapshotkit.spi.EventHook}.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param id stable and unique: the idempotency key a hook de-duplicates on
 * @param type what happened
 * @param workload the workload (and tenant) concerned
 * @param snapshotId the snapshot concerned, if any
 * @param version the snapshot's version, or 0 when it has none
 * @param at when it happened
 * @param metadata a small map of details (trigger, reason, hosts…), copied and sorted
 */
public record SnapshotEvent(
    String id, EventType type, WorkloadRef workload, Optional<SnapshotId> snapshotId, int version,
    Instant at, Map<String, String> metadata) {

  /** Validates and copies. */
  public SnapshotEvent {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(snapshotId, "snapshotId");
    Objects.requireNonNull(at, "at");
    if (id.isEmpty()) {
      throw new IllegalArgumentException("an event id must not be empty");
    }
    if (version < 0) {
      throw new IllegalArgumentException("version must not be negative");
    }
    metadata = Collections.unmodifiableMap(new TreeMap<>(metadata));
  }

  /** The tenant concerned. */
  public TenantId tenant() {
    return workload.tenant();
  }
}
