/**
 * SnapshotKit's public value types and its one exception type.
 *
 * <p>Everything here is immutable and thread-safe. Identifiers ({@link io.snapshotkit.TenantId},
 * {@link io.snapshotkit.WorkloadRef}, {@link io.snapshotkit.SnapshotId}) validate on construction
 * and are created with {@code of}/{@code parse}; absent values are {@link java.util.Optional},
 * never {@code null}. Every failure a caller can see is a {@link io.snapshotkit.SnapshotException}
 * with an {@link io.snapshotkit.ErrorCode}.
 *
 * <p><b>Stability:</b> public API. Changes follow semantic versioning from 1.0 on.
 */
package io.snapshotkit;
