package io.snapshotkit.core;

import io.snapshotkit.Snapshot;
import io.snapshotkit.spi.VerifyOutcome;
import java.util.Objects;

/**
 * The answer of {@link SnapshotEngine#verify}: which host was asked about which snapshot, and what
 * it found.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param snapshot the snapshot, as the store holds it
 * @param host the host asked
 * @param outcome what the host found
 */
public record VerifyReport(Snapshot snapshot, String host, VerifyOutcome outcome) {
  /** Validates. */
  public VerifyReport {
    Objects.requireNonNull(snapshot, "snapshot");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(outcome, "outcome");
  }

  /** Whether the host read the snapshot's data back and found it intact. */
  public boolean intact() {
    return outcome.intact();
  }
}
