package io.snapshotkit.core;

import io.snapshotkit.TenantId;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToLongFunction;

/**
 * The engine's per-tenant usage gauge: the store's usage sum, read when asked and cached until
 * this engine changes the tenant's snapshots. A write {@linkplain #invalidate invalidates} the
 * tenant instead of re-summing, so a capture or delete costs no usage scan; the next
 * {@link #get} reads the store once and caches that sum.
 *
 * <p>A read that raced with an invalidation does not cache what it read: each entry carries a
 * generation, bumped by every invalidation, and a sum is cached only if the generation it was read
 * under is still current. A stale sum therefore never outlives the write that made it stale.
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
final class UsageGauge {
  /** A tenant's cached sum, valid when {@code known}; {@code generation} counts invalidations. */
  private record Entry(long generation, boolean known, long bytes) {}

  private final ConcurrentHashMap<TenantId, Entry> entries = new ConcurrentHashMap<>();

  /**
   * The tenant's usage: the cached sum, or {@code sum} applied to the tenant (the store's full
   * usage read), cached unless the tenant was invalidated meanwhile.
   */
  long get(TenantId tenant, ToLongFunction<TenantId> sum) {
    Entry seen = entries.computeIfAbsent(tenant, t -> new Entry(0, false, 0));
    if (seen.known()) {
      return seen.bytes();
    }
    long bytes = sum.applyAsLong(tenant);
    entries.computeIfPresent(tenant, (t, current) -> current.generation() == seen.generation() && !current.known()
        ? new Entry(current.generation(), true, bytes)
        : current);
    return bytes;
  }

  /** Forgets the tenant's sum after a write that may have changed it; the next {@link #get} re-reads. */
  void invalidate(TenantId tenant) {
    entries.computeIfPresent(tenant, (t, current) -> new Entry(current.generation() + 1, false, 0));
  }

  /** Forgets every sum. */
  void clear() {
    entries.clear();
  }
}
