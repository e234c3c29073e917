package io.snapshotkit.spi;

import io.snapshotkit.SnapshotException;
import java.util.Objects;

/**
 * One host in the {@link HostDirectory}.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param id the host's stable id, used in errors ("host h3 is offline")
 * @param status its state now
 */
public record HostInfo(String id, HostStatus status) {
  /** The longest host id that {@link #checkId} accepts: 253 characters. */
  public static final int MAX_ID_LENGTH = 253;

  /** Validates. */
  public HostInfo {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(status, "status");
    if (id.isBlank()) {
      throw new IllegalArgumentException("a host id must not be blank");
    }
  }

  /**
   * Checks the form of a host id that crosses processes (a host registry row, a gRPC header): 1 to
   * {@value #MAX_ID_LENGTH} printable ASCII characters, no spaces. Adapters that store or send host
   * ids call this one check.
   *
   * @return {@code hostId}
   * @throws SnapshotException INVALID_ARGUMENT naming the id otherwise
   */
  public static String checkId(String hostId) {
    Objects.requireNonNull(hostId, "hostId");
    if (hostId.isEmpty() || hostId.length() > MAX_ID_LENGTH || !hostId.chars().allMatch(c -> c > 32 && c < 127)) {
      throw SnapshotException.invalid("a host id is 1 to " + MAX_ID_LENGTH + " printable ASCII "
          + "characters without spaces (it travels in a gRPC header and a registry row); got '" + hostId + "'");
    }
    return hostId;
  }

  /** An online host. */
  public static HostInfo online(String id) {
    return new HostInfo(id, HostStatus.ONLINE);
  }
}
