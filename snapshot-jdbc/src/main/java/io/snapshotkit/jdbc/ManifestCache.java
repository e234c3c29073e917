package io.snapshotkit.jdbc;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.snapshotkit.SnapshotId;
import java.util.function.Function;

/**
 * The store's cache of manifest bytes by snapshot, bounded in bytes (0: no cache, every read
 * loads). The Caffeine cache is built on first use: short commands never read a manifest, and
 * Caffeine's classes cost their start.
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
final class ManifestCache {
  private final long maxBytes;
  private volatile Cache<SnapshotId, byte[]> cache;
  private final Object lock = new Object();

  ManifestCache(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  /** The manifest of {@code id}, from the cache or {@code loader} (which may answer null: none). */
  byte[] get(SnapshotId id, Function<SnapshotId, byte[]> loader) {
    return maxBytes == 0 ? loader.apply(id) : cache().get(id, loader);
  }

  /** Forgets these snapshots' manifests, after a transaction changed or removed them. */
  void invalidate(Iterable<SnapshotId> ids) {
    Cache<SnapshotId, byte[]> built = cache;
    if (built != null) {
      built.invalidateAll(ids);
    }
  }

  private Cache<SnapshotId, byte[]> cache() {
    Cache<SnapshotId, byte[]> built = cache;
    if (built == null) {
      synchronized (lock) {
        built = cache;
        if (built == null) {
          built = Caffeine.newBuilder()
              .maximumWeight(maxBytes)
              .weigher((SnapshotId id, byte[] bytes) -> bytes.length)
              .build();
          cache = built;
        }
      }
    }
    return built;
  }
}
