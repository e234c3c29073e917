package io.snapshotkit.spi;

/**
 * Work done inside one {@link ManifestStore} transaction.
 *
 * @param <T> the result type
 */
@FunctionalInterface
public interface StoreWork<T> {
  /** Does the work. Throwing rolls the whole transaction back. */
  T run(StoreTransaction tx);
}
