package io.snapshotkit.spi;

import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import java.util.Objects;
import java.util.Optional;

/**
 * What the engine asks a {@link HostFork} agent to fork.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param source the source snapshot's workload
 * @param sourceSnapshot the snapshot whose data the child gets
 * @param child the new workload (same tenant as {@code source})
 * @param childSnapshot the id to store the child's first snapshot under
 * @param target where the agent materialises the child's data (agent-specific: a directory for
 *     the fs agent, which then tracks the child there); empty stores the child snapshot only
 */
public record ForkRequest(WorkloadRef source, SnapshotId sourceSnapshot, WorkloadRef child, SnapshotId childSnapshot,
    Optional<String> target) {
  /**
   * Validates.
   *
   * @throws SnapshotException INVALID_ARGUMENT if the child is the source workload or of another
   *     tenant, or the target is blank
   */
  public ForkRequest {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(sourceSnapshot, "sourceSnapshot");
    Objects.requireNonNull(child, "child");
    Objects.requireNonNull(childSnapshot, "childSnapshot");
    Objects.requireNonNull(target, "target");
    if (!child.tenant().equals(source.tenant())) {
      throw SnapshotException.invalid("a fork stays in its tenant: " + child + " is not in tenant " + source.tenant());
    }
    if (child.equals(source)) {
      throw SnapshotException.invalid("a fork needs a new workload, not the source workload " + source
          + "; to go back to this snapshot in place, restore or roll back instead");
    }
    if (target.isPresent() && target.get().isBlank()) {
      throw SnapshotException.invalid("a fork target must not be blank; leave it empty to store the child snapshot only");
    }
  }
}
