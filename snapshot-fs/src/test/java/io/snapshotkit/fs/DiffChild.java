package io.snapshotkit.fs;

import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Child-JVM entry point for {@link FsDiffScaleIT}: streams the diff of two snapshots and prints
 * its counts, so the parent can run it with a small heap.
 */
final class DiffChild {
  private DiffChild() {}

  /** Args: repository, tenant, workload, from id, to id. */
  public static void main(String[] args) {
    WorkloadRef w = WorkloadRef.of(args[1], args[2]);
    long[] seen = {0};
    try (FsHostAgent agent = FsHostAgent.rootedAt(Path.of(args[0]))) {
      DiffSummary s = agent.diff(w, SnapshotId.parse(args[3]), Optional.of(SnapshotId.parse(args[4])),
          c -> seen[0]++);
      // the parent reads this line; System.out is this tool's interface, not library logging
      System.out.println("DIFF " + s.added() + " " + s.removed() + " " + s.modified() + " " + s.typeChanged()
          + " " + s.modeChanged() + " " + seen[0]);
    }
  }
}
