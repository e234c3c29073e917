package io.snapshotkit.spi;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.WorkloadRef;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Which hosts exist, their status, which host runs a workload, and how to reach a host's agent.
 *
 * <p><b>Threading:</b> thread-safe; called from any engine thread.
 *
 * <p><b>Idempotency:</b> read-only.
 *
 * <p><b>Failure:</b> {@link #agent} throws {@link ErrorCode#HOST_UNAVAILABLE} when it cannot
 * connect; the other methods should not fail (answer from the application's own records).
 */
public interface HostDirectory {

  /** Every known host with its status, in a stable order. A strict delete asks all of them. */
  List<HostInfo> hosts();

  /** The host that runs (or last ran) the workload, or empty if the workload does not exist. */
  Optional<String> hostOf(WorkloadRef workload);

  /** A connection to a host's agent. */
  HostAgent agent(String hostId);

  /** One always-online host, id {@code "local"}, that runs every workload: embedded use. */
  static HostDirectory single(HostAgent agent) {
    Objects.requireNonNull(agent, "agent");
    return new HostDirectory() {
      @Override
      public List<HostInfo> hosts() {
        return List.of(HostInfo.online("local"));
      }

      @Override
      public Optional<String> hostOf(WorkloadRef workload) {
        return Optional.of("local");
      }

      @Override
      public HostAgent agent(String hostId) {
        if (!"local".equals(hostId)) {
          throw new SnapshotException(ErrorCode.HOST_UNAVAILABLE, "unknown host '" + hostId + "'; this directory has only 'local'");
        }
        return agent;
      }
    };
  }
}
