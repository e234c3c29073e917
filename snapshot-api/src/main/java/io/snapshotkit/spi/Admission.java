package io.snapshotkit.spi;

/**
 * The answer of {@link StoreTransaction#insertCapturing}: whether the row was admitted under the
 * limit, and how many snapshots counted against it before the insert.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param admitted whether the row was inserted
 * @param used snapshots of the workload counting against the limit, before this one
 */
public record Admission(boolean admitted, long used) {}
