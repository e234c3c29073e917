package io.snapshotkit.spi;

/**
 * A host's state as the {@link HostDirectory} reports it.
 *
 * <p><b>Thread-safety:</b> immutable.
 */
public enum HostStatus {
  /** Accepting work. */
  ONLINE,
  /** Not reachable; a strict delete cannot be confirmed while any host is offline. */
  OFFLINE,
  /** Being emptied; takes no new work and cannot confirm a strict delete. */
  DRAINING
}
