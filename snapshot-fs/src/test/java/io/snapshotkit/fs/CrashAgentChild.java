package io.snapshotkit.fs;

import io.snapshotkit.RestoreMode;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.spi.RestoreRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * The child JVM of {@link CrashRestoreAgentIT}: opens the repository through the public {@link
 * FsHostAgent} and runs a REPLACE {@link FsHostAgent#restore}; at the named step it writes a
 * marker file and blocks until the parent SIGKILLs it.
 *
 * <p>Arguments: repository directory, snapshot id, step name, volumes swapped at that step,
 * marker file. Exit 3 if the step is never reached.
 */
public final class CrashAgentChild {
  private CrashAgentChild() {}

  /**
   * Runs the restore.
   *
   * @param args see the class comment
   */
  public static void main(String[] args) throws Exception {
    Path repoDir = Path.of(args[0]);
    SnapshotId snapshot = SnapshotId.parse(args[1]);
    RestoreStep step = RestoreStep.valueOf(args[2]);
    int swapped = Integer.parseInt(args[3]);
    Path marker = Path.of(args[4]);
    CountDownLatch never = new CountDownLatch(1);
    try (FsHostAgent agent = FsHostAgent.builder().repository(repoDir).restoreListener((reached, n) -> {
      if (reached == step && n == swapped) {
        try {
          Files.writeString(marker, reached + ":" + n);
          never.await();
        } catch (IOException e) {
          throw new IllegalStateException(e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
      }
    }).build()) {
      agent.restore(new RestoreRequest(RestoreFixture.WORKLOAD, snapshot,
          agent.repository().manifest(RestoreFixture.WORKLOAD, snapshot).orElseThrow(), RestoreMode.REPLACE,
          Optional.empty(), List.of()));
    }
    System.exit(3);
  }
}
