package io.snapshotkit.core;

import static io.snapshotkit.core.EngineContext.context;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotFile;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.TenantId;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.spi.HostBrowse;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The browse use case: looks inside a READY snapshot on the host that holds it, through the
 * agent's {@link HostBrowse}, without restoring it: stat, list, a ranged read of a file, and dump
 * (a file's bytes, or a directory as a tar). Output streams from the host to the caller's stream.
 *
 * <p><b>Thread-safety:</b> thread-safe (stateless apart from its collaborators).
 */
final class Browse {
  private final EngineContext ctx;
  private final Reads reads;

  Browse(EngineContext ctx, Reads reads) {
    this.ctx = ctx;
    this.reads = reads;
  }

  SnapshotFile stat(TenantId tenant, SnapshotId id, String path) {
    Target t = target(tenant, id, path);
    try {
      return Objects.requireNonNull(t.browse.stat(t.snapshot.workload(), id, path), "stat returned null");
    } catch (RuntimeException e) {
      throw t.failure("looking at '" + path + "'", e);
    }
  }

  void list(TenantId tenant, SnapshotId id, String path, Consumer<SnapshotFile> sink) {
    Objects.requireNonNull(sink, "sink");
    Target t = target(tenant, id, path);
    try {
      t.browse.list(t.snapshot.workload(), id, path, sink);
    } catch (RuntimeException e) {
      throw t.failure("listing '" + path + "'", e);
    }
  }

  void read(TenantId tenant, SnapshotId id, String path, long offset, long length, OutputStream out)
      throws IOException {
    Objects.requireNonNull(out, "out");
    if (offset < 0 || length < 0) {
      throw SnapshotException.invalid("a read's offset and length must not be negative, not " + offset + " and "
          + length);
    }
    Target t = target(tenant, id, path);
    try {
      t.browse.read(t.snapshot.workload(), id, path, offset, length, out);
    } catch (RuntimeException e) {
      throw t.failure("reading '" + path + "'", e);
    }
  }

  void dump(TenantId tenant, SnapshotId id, String path, OutputStream out) throws IOException {
    Objects.requireNonNull(out, "out");
    Target t = target(tenant, id, path);
    try {
      SnapshotFile f = t.browse.stat(t.snapshot.workload(), id, path);
      switch (f.type()) {
        case FILE -> t.browse.read(t.snapshot.workload(), id, path, 0, Long.MAX_VALUE, out);
        case DIRECTORY -> t.browse.tar(t.snapshot.workload(), id, path, out);
        case SYMLINK -> throw SnapshotException.invalid("'" + path + "' is a symlink to '" + f.linkTarget().orElse("")
            + "'; nothing is read through a symlink inside a snapshot, so dump the path it stands for instead");
      }
    } catch (RuntimeException e) {
      throw t.failure("dumping '" + path + "'", e);
    }
  }

  /** The snapshot (READY, the caller's tenant's), and its host's browse capability. */
  private Target target(TenantId tenant, SnapshotId id, String path) {
    Objects.requireNonNull(path, "path");
    Snapshot s = reads.get(tenant, id);
    if (s.status() != SnapshotStatus.READY) {
      throw new SnapshotException(ErrorCode.CONFLICT, "snapshot " + id + " is " + s.status()
          + "; only a READY snapshot can be looked into").withWorkload(s.workload()).withSnapshot(id);
    }
    String host = s.host().orElseGet(() -> ctx.hostOf(s.workload()));
    HostAgent agent = ctx.agent(host);
    if (!(agent instanceof HostBrowse browse)) {
      throw SnapshotException.invalid("the agent of host " + host + " cannot show what a snapshot holds (it does "
          + "not implement HostBrowse); restore the snapshot into a directory to look at it")
          .withWorkload(s.workload()).withSnapshot(id);
    }
    return new Target(s, host, browse);
  }

  private record Target(Snapshot snapshot, String host, HostBrowse browse) {
    SnapshotException failure(String what, RuntimeException e) {
      return context(SnapshotException.wrap(what + " in snapshot " + snapshot.id() + " on host " + host, e),
          snapshot.workload(), snapshot.id());
    }
  }
}
