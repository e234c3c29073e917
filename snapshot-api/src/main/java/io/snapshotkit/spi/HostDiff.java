package io.snapshotkit.spi;

import io.snapshotkit.Change;
import io.snapshotkit.DiffResult;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * An optional capability of a {@link HostAgent} whose manifests summarise state kept in the
 * agent's own repository (a file tree, for instance): the agent computes the diff itself.
 * The engine uses it, when the workload's agent implements it, instead of diffing manifests.
 *
 * <p><b>Threading:</b> may be called concurrently.
 *
 * <p><b>Idempotency:</b> read-only.
 *
 * <p><b>Failure:</b> {@code NOT_FOUND} if a snapshot's data is not on this host, {@code CORRUPT} if
 * it cannot be read; the engine then reports a degraded diff.
 */
public interface HostDiff {
  /**
   * Differences from {@code from} to {@code to}, or to the workload's current state when
   * {@code to} is empty.
   */
  DiffResult diff(WorkloadRef workload, SnapshotId from, Optional<SnapshotId> to);

  /**
   * The same differences as {@link #diff}, handed to {@code sink} one at a time (family name and
   * change) instead of collected, so a caller that forwards them (a remote agent's server, say)
   * need not hold them all. The order is the agent's own; {@link io.snapshotkit.FamilyDiff} sorts
   * by key when the changes are collected.
   *
   * <p>The default computes {@link #diff} and hands its changes over, so it holds them all; an
   * agent whose diffs can be large overrides it to stream in bounded memory.
   *
   * <p><b>Threading:</b> {@code sink} is called on the calling thread.
   *
   * <p><b>Idempotency:</b> read-only.
   *
   * <p><b>Failure:</b> as {@link #diff}; a failure after some changes were handed over leaves them
   * handed over, so the caller discards what it received.
   *
   * @param sink receives each change with the name of its family
   * @return the result without its changes: empty {@link DiffResult#families()}, and whether it
   *     is degraded and why
   */
  default DiffResult streamDiff(WorkloadRef workload, SnapshotId from, Optional<SnapshotId> to,
      BiConsumer<String, Change> sink) {
    Objects.requireNonNull(sink, "sink");
    DiffResult full = diff(workload, from, to);
    full.families().forEach((family, changes) -> changes.changes().forEach(c -> sink.accept(family, c)));
    return new DiffResult(full.from(), full.to(), Map.of(), full.degraded(), full.problems());
  }
}
