package io.snapshotkit.fs;

import io.snapshotkit.fs.internal.restore.RestoreFixture;
import io.snapshotkit.RestoreMode;
import io.snapshotkit.spi.RestoreRequest;
import java.util.List;
import java.util.Optional;

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
    CrashPoint at = CrashPoint.parse(args);
    try (FsHostAgent agent = FsHostAgent.builder().repository(at.repository()).restoreListener(at.stopper()).build()) {
      agent.restore(new RestoreRequest(RestoreFixture.WORKLOAD, at.snapshot(),
          agent.repository().manifest(RestoreFixture.WORKLOAD, at.snapshot()).orElseThrow(), RestoreMode.REPLACE,
          Optional.empty(), List.of()));
    }
    System.exit(3);
  }
}
