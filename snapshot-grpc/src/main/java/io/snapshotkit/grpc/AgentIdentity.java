package io.snapshotkit.grpc;

import java.util.Objects;

/**
 * Who answered at a remote agent's address, from {@link RemoteHostAgent#identify()}.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param hostId the host id the agent server was started with
 * @param protocol the protocol package it speaks, such as {@code snapshotkit.agent.v1}
 * @param diff whether it serves diffs (its agent implements {@link io.snapshotkit.spi.HostDiff})
 */
public record AgentIdentity(String hostId, String protocol, boolean diff) {
  /** Validates. */
  public AgentIdentity {
    Objects.requireNonNull(hostId, "hostId");
    Objects.requireNonNull(protocol, "protocol");
  }
}
