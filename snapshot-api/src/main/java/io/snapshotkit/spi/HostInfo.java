package io.snapshotkit.spi;

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
  /** Validates. */
  public HostInfo {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(status, "status");
    if (id.isBlank()) {
      throw new IllegalArgumentException("a host id must not be blank");
    }
  }

  /** An online host. */
  public static HostInfo online(String id) {
    return new HostInfo(id, HostStatus.ONLINE);
  }
}
