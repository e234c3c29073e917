package io.snapshotkit.core;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.Page;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotOrigin;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.TenantId;
import io.snapshotkit.WorkloadRef;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;

/**
 * The read use cases: get, list, versions, version and usage. Owns the cache of sizes resolved
 * from the hosts: an unknown size of a READY snapshot is asked of its capturing host, persisted
 * and cached.
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
final class Reads {
  private static final Logger log = EngineContext.LOG;

  private final EngineContext ctx;
  /** Built on first use: most commands never resolve a size, and Caffeine's classes cost a short command's start. */
  private volatile Cache<SnapshotId, Long> sizes;
  private final Object sizesLock = new Object();

  Reads(EngineContext ctx) {
    this.ctx = ctx;
  }

  /** See {@link SnapshotEngine#get}. */
  Snapshot get(TenantId tenant, SnapshotId id) {
    return withSizes(List.of(ctx.owned(tenant, id))).get(0);
  }

  /** See {@link SnapshotEngine#origin}. */
  Optional<SnapshotOrigin> origin(TenantId tenant, SnapshotId id) {
    Snapshot owned = ctx.owned(tenant, id);
    return ctx.read("reading the origin of snapshot " + id, () -> ctx.store().origin(owned.id()));
  }

  /** See {@link SnapshotEngine#list}. */
  Page<Snapshot> list(SnapshotQuery query) {
    Page<Snapshot> page = ctx.read("listing snapshots of tenant " + query.tenant(), () -> ctx.store().list(query));
    return new Page<>(withSizes(page.items()), page.nextCursor());
  }

  /** See {@link SnapshotEngine#versions}. */
  List<Snapshot> versions(WorkloadRef workload) {
    return ctx.versions(workload);
  }

  /** See {@link SnapshotEngine#version}. */
  Snapshot version(WorkloadRef workload, int version) {
    List<Snapshot> all = versions(workload);
    if (all.isEmpty()) {
      throw new SnapshotException(ErrorCode.NOT_FOUND,
          "workload " + workload + " has no versions; capture one first").withWorkload(workload);
    }
    int highest = all.get(all.size() - 1).version();
    if (version < 1 || version > highest) {
      throw new SnapshotException(ErrorCode.INVALID_ARGUMENT,
          "version " + version + " is out of range; workload " + workload + " has versions 1 to " + highest)
          .withWorkload(workload);
    }
    return all.stream().filter(s -> s.version() == version).findFirst()
        .orElseThrow(() -> new SnapshotException(ErrorCode.NOT_FOUND,
            "version " + version + " of workload " + workload + " was deleted; pick another version")
            .withWorkload(workload));
  }

  /** See {@link SnapshotEngine#usageBytes}. */
  long usageBytes(TenantId tenant) {
    return ctx.usage().get(tenant, t -> ctx.read("summing the usage of tenant " + t, () -> ctx.store().usageBytes(t)));
  }

  /** Forgets the cached size of a snapshot that is gone. */
  void forgetSize(SnapshotId id) {
    Cache<SnapshotId, Long> cache = sizes;
    if (cache != null) {
      cache.invalidate(id);
    }
  }

  /** Forgets every cached size and usage sum (the engine is closing). */
  void clear() {
    Cache<SnapshotId, Long> cache = sizes;
    if (cache != null) {
      cache.invalidateAll();
    }
    ctx.usage().clear();
  }

  private Cache<SnapshotId, Long> sizes() {
    Cache<SnapshotId, Long> cache = sizes;
    if (cache == null) {
      synchronized (sizesLock) {
        cache = sizes;
        if (cache == null) {
          cache = Caffeine.newBuilder().maximumSize(100_000).build();
          sizes = cache;
        }
      }
    }
    return cache;
  }

  /** Fills in unknown sizes from the capturing hosts, in parallel, bounded by the host timeout. */
  private List<Snapshot> withSizes(List<Snapshot> items) {
    List<Snapshot> result = new ArrayList<>(items);
    Map<Integer, FutureTask<OptionalLong>> tasks = new LinkedHashMap<>();
    for (int i = 0; i < result.size(); i++) {
      Snapshot s = result.get(i);
      if (s.status() != SnapshotStatus.READY || s.sizeBytes().isPresent() || s.host().isEmpty()) {
        continue;
      }
      Long cached = sizes().getIfPresent(s.id());
      if (cached != null) {
        result.set(i, s.withSize(cached));
        continue;
      }
      FutureTask<OptionalLong> task =
          new FutureTask<>(() -> ctx.hosts().agent(s.host().get()).sizeOf(s.workload(), s.id()));
      try {
        ctx.executor().execute(task);
        tasks.put(i, task);
      } catch (RejectedExecutionException e) {
        log.debug("size of snapshot {} not resolved: the executor refused the query", s.id());
      }
    }
    long deadline = System.nanoTime() + ctx.settings().hostTimeout().toNanos();
    Set<TenantId> changed = new HashSet<>();
    for (Map.Entry<Integer, FutureTask<OptionalLong>> entry : tasks.entrySet()) {
      Snapshot s = result.get(entry.getKey());
      OptionalLong size;
      try {
        size = entry.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        entry.getValue().cancel(true);
        continue;
      } catch (ExecutionException | TimeoutException | CancellationException e) {
        entry.getValue().cancel(true);
        log.debug("size of snapshot {} not resolved from host {}; leaving it unknown", s.id(), s.host().get(), e);
        continue;
      }
      if (size == null || size.isEmpty() || size.getAsLong() < 0) {
        continue;
      }
      long bytes = size.getAsLong();
      sizes().put(s.id(), bytes);
      result.set(entry.getKey(), s.withSize(bytes));
      if (persistSize(s.id(), bytes)) {
        changed.add(s.tenant());
      }
    }
    changed.forEach(ctx.usage()::invalidate);
    return result;
  }

  /** Stores a resolved size on a READY row that has none; false if that could not be stored. */
  private boolean persistSize(SnapshotId id, long bytes) {
    try {
      ctx.transaction("persisting the size of snapshot " + id, tx -> {
        Optional<Snapshot> current = tx.find(id);
        if (current.isPresent() && current.get().status() == SnapshotStatus.READY
            && current.get().sizeBytes().isEmpty()) {
          tx.compareAndSet(SnapshotStatus.READY, current.get().withSize(bytes));
        }
        return null;
      });
      return true;
    } catch (SnapshotException e) {
      log.debug("could not persist the size of snapshot {}; it stays cached", id, e);
      return false;
    }
  }
}
