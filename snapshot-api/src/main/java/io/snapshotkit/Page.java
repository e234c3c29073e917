package io.snapshotkit;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One page of results.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param items the results
 * @param nextCursor pass to the next query to continue; empty on the last page
 * @param <T> the result type
 */
public record Page<T>(List<T> items, Optional<SnapshotId> nextCursor) {
  /** Copies. */
  public Page {
    items = List.copyOf(items);
    Objects.requireNonNull(nextCursor, "nextCursor");
  }
}
