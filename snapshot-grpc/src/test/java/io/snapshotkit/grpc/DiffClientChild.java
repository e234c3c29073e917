package io.snapshotkit.grpc;

import io.snapshotkit.DiffResult;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.FsHostAgent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Child-JVM entry point for {@link StreamedDiffScaleIT}: a control plane that diffs through
 * {@link RemoteHostAgent} and checks every change against {@link DiffWorkload}, in order.
 *
 * <p>Mode {@code stream} consumes {@link RemoteHostAgent#streamDiff}, pausing for a few seconds
 * halfway so an agent that ignored flow control would have to hold the rest, and prints
 * {@code STREAMED n}. Mode {@code collect} calls {@link RemoteHostAgent#diff}, which holds the
 * whole diff: in a heap too small for it, it must die of {@link OutOfMemoryError}.
 */
final class DiffClientChild {
  private DiffClientChild() {}

  /** Args: mode (stream|collect), port, trusted certificate PEM, tenant, workload, from, to, dirs. */
  public static void main(String[] args) throws InterruptedException {
    WorkloadRef w = WorkloadRef.of(args[3], args[4]);
    SnapshotId from = SnapshotId.parse(args[5]);
    SnapshotId to = SnapshotId.parse(args[6]);
    long expected = new DiffWorkload(Integer.parseInt(args[7])).changes();
    try (RemoteHostAgent remote = Loopback.client("h1", Integer.parseInt(args[1]), Path.of(args[2]))
        .dataTimeout(Duration.ofMinutes(10)).build()) {
      if (args[0].equals("collect")) {
        DiffResult all = remote.diff(w, from, Optional.of(to));
        System.out.println("COLLECTED " + all.size());
        return;
      }
      AtomicLong seen = new AtomicLong();
      DiffResult rest = remote.streamDiff(w, from, Optional.of(to), (family, change) -> {
        long i = seen.getAndIncrement();
        String wrong = FsHostAgent.FILES_FAMILY.equals(family) ? DiffWorkload.mismatch(i, change)
            : "change " + i + " is of family " + family;
        if (wrong != null) {
          throw new AssertionError(wrong);
        }
        if (i == expected / 2) {
          pause();
        }
      });
      if (rest.degraded() || !rest.families().isEmpty()) {
        throw new AssertionError("the diff's end says degraded=" + rest.degraded() + " " + rest.problems()
            + ", families " + rest.families().keySet());
      }
      // the parent reads this line; System.out is this child's interface, not library logging
      System.out.println("STREAMED " + seen.get());
    }
  }

  private static void pause() {
    try {
      Thread.sleep(3000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
