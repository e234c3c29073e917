package io.snapshotkit.spi;

import io.snapshotkit.WorkloadRef;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link Lifecycle#quiesce} did, handed back to {@link Lifecycle#resume}.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param workload the workload
 * @param policy how it was quiesced
 * @param runningReference what it ran on (image tag, snapshot key), to resume on exactly that
 */
public record Quiesced(WorkloadRef workload, QuiescePolicy policy, Optional<String> runningReference) {
  /** Validates. */
  public Quiesced {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(runningReference, "runningReference");
  }
}
