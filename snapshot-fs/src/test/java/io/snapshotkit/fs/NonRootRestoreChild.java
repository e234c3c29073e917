package io.snapshotkit.fs;

import io.snapshotkit.RestoreMode;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.spi.RestoreOutcome;
import java.nio.file.Path;

/**
 * Child JVM of {@link FsOwnershipTest#nonRootRestoreKeepsSetIdBitsOnlyForItsOwnFiles}, started as
 * an unprivileged user: restores a snapshot into two directories (replace, then additive) and
 * prints each restore's warnings.
 */
final class NonRootRestoreChild {
  private NonRootRestoreChild() {}

  /** Args: repository, snapshot id, replace target, additive target. */
  public static void main(String[] args) {
    SnapshotId id = SnapshotId.parse(args[1]);
    try (FsHostAgent agent = FsHostAgent.rootedAt(Path.of(args[0]))) {
      print("replace", FsRawNamesTest.restore(agent, id, RestoreMode.REPLACE, Path.of(args[2])));
      print("additive", FsRawNamesTest.restore(agent, id, RestoreMode.ADDITIVE, Path.of(args[3])));
    }
    // the parent reads these lines; System.out is this tool's interface, not library logging
    System.out.println("OK");
  }

  private static void print(String what, RestoreOutcome outcome) {
    outcome.warnings().forEach(w -> System.out.println(what + " WARNING " + w));
  }
}
