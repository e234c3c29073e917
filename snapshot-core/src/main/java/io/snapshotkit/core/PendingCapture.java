package io.snapshotkit.core;

import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotStatus;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * An asynchronous capture that has started: the CAPTURING row as stored, and a future that
 * completes with the READY snapshot or exceptionally with a {@link io.snapshotkit.SnapshotException}
 * (the snapshot is then FAILED).
 *
 * <p>The future is the caller's own copy: completing or cancelling it does not affect the capture,
 * which always runs to the end so that the workload is resumed.
 *
 * <p><b>Thread-safety:</b> immutable; the future is thread-safe.
 *
 * @param snapshot the row in {@link SnapshotStatus#CAPTURING} status
 * @param result completes when the capture finishes
 */
public record PendingCapture(Snapshot snapshot, CompletableFuture<Snapshot> result) {
  /** Validates and takes a defensive copy of the future. */
  public PendingCapture {
    Objects.requireNonNull(snapshot, "snapshot");
    Objects.requireNonNull(result, "result");
    if (snapshot.status() != SnapshotStatus.CAPTURING) {
      throw new IllegalArgumentException("a pending capture starts from a CAPTURING row, not " + snapshot.status());
    }
    result = result.copy();
  }
}
