package io.snapshotkit.core;

import static io.snapshotkit.core.EngineContext.context;
import static io.snapshotkit.core.EngineContext.oneLine;
import static io.snapshotkit.core.EngineContext.requireReady;

import io.snapshotkit.DiffResult;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.Manifest;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.TenantId;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.spi.HostDiff;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The diff use cases: two snapshots, or a snapshot and the workload's current state; by the host's
 * own {@link HostDiff} when its agent has one, else by comparing stored manifests. An unreachable
 * side degrades the result; a damaged side fails {@code CORRUPT}.
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
final class Diffs {
  private final EngineContext ctx;
  private final StoredManifests manifests;

  Diffs(EngineContext ctx, StoredManifests manifests) {
    this.ctx = ctx;
    this.manifests = manifests;
  }

  /** See {@link SnapshotEngine#diff}. */
  DiffResult diff(TenantId tenant, SnapshotId from, SnapshotId to) {
    Snapshot older = ctx.owned(tenant, from);
    Snapshot newer = ctx.owned(tenant, to);
    if (!older.workload().equals(newer.workload())) {
      throw SnapshotException.invalid("cannot diff snapshots of different workloads (" + older.workload().id()
          + " and " + newer.workload().id() + "); pick two snapshots of one workload").withWorkload(older.workload());
    }
    requireReady(older, "diff");
    requireReady(newer, "diff");
    Optional<String> host = ctx.findHost(older.workload());
    if (host.isPresent() && ctx.agent(host.get()) instanceof HostDiff hostDiff) {
      return hostDiff(hostDiff, host.get(), older, Optional.of(newer.id()));
    }
    return ManifestDiff.diff(from, Optional.of(to), manifests.intactOrCorrupt(older), manifests.intactOrCorrupt(newer));
  }

  /** See {@link SnapshotEngine#diffCurrent}. */
  DiffResult diffCurrent(TenantId tenant, SnapshotId from) {
    Snapshot older = ctx.owned(tenant, from);
    requireReady(older, "diff");
    String host = ctx.hostOf(older.workload());
    HostAgent agent = ctx.agent(host);
    if (agent instanceof HostDiff hostDiff) {
      return hostDiff(hostDiff, host, older, Optional.empty());
    }
    Manifest current;
    try {
      current = agent.describe(older.workload());
    } catch (RuntimeException e) {
      throw context(SnapshotException.wrap("describing workload " + older.workload() + " on host " + host, e),
          older.workload(), null);
    }
    return ManifestDiff.diff(from, Optional.empty(), manifests.intactOrCorrupt(older), ManifestRead.of(current));
  }

  private DiffResult hostDiff(HostDiff hostDiff, String host, Snapshot older, Optional<SnapshotId> to) {
    try {
      return hostDiff.diff(older.workload(), older.id(), to);
    } catch (SnapshotException e) {
      // Degraded is for a side the host cannot reach (its data is not there); a side that fails
      // its integrity check is CORRUPT, never shown as a diff with nothing in it.
      if (e.code() == ErrorCode.NOT_FOUND) {
        return new DiffResult(older.id(), to, Map.of(), true,
            List.of("host " + host + " could not read a side of the diff: " + oneLine(e.getMessage())));
      }
      throw context(e, older.workload(), older.id());
    } catch (RuntimeException e) {
      throw context(SnapshotException.wrap("diff on host " + host, e), older.workload(), older.id());
    }
  }
}
