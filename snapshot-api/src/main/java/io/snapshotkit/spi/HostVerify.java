package io.snapshotkit.spi;

import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;

/**
 * An optional capability of a {@link HostAgent} that can check a snapshot's stored data: that it
 * is all present and reads back intact. The engine's {@code verify} uses it when the snapshot's
 * host implements it; for other agents it can only ask {@link HostAgent#sizeOf} whether the host
 * still holds the snapshot ({@link VerifyOutcome.Status#PRESENT}).
 *
 * <p><b>Threading:</b> may be called concurrently, and concurrently with captures and deletes.
 *
 * <p><b>Idempotency:</b> read-only.
 *
 * <p><b>Failure:</b> damaged or missing data is an outcome ({@link VerifyOutcome.Status#DAMAGED},
 * {@link VerifyOutcome.Status#MISSING}), never an exception; {@code HOST_UNAVAILABLE} if the host
 * cannot answer now.
 */
public interface HostVerify {
  /**
   * Checks a snapshot's data on this host.
   *
   * @param sample the fraction of the snapshot's contents to read back, in {@code (0, 1]}; {@code 1}
   *     reads everything. A sample is chosen by content digest, so repeated calls with the same
   *     fraction read the same contents
   */
  VerifyOutcome verify(WorkloadRef workload, SnapshotId snapshot, double sample);
}
