package io.snapshotkit.fs;

import io.snapshotkit.fs.internal.restore.RestoreFixture;
import io.snapshotkit.fs.internal.repo.FsRepository;
import io.snapshotkit.fs.internal.restore.Restorer;
import io.snapshotkit.fs.internal.restore.Selection;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The child JVM of {@link CrashRestoreIT}: runs one replace restore and, when it reaches the
 * named step (after the step's effects are durable), writes a marker file and blocks until the
 * parent SIGKILLs it.
 *
 * <p>Arguments: repository directory, snapshot id, step name, volumes swapped at that step,
 * marker file, then {@code name=path} per volume. Exit 3 if the step is never reached.
 */
public final class CrashRestoreChild {
  private CrashRestoreChild() {}

  /**
   * Runs the restore.
   *
   * @param args see the class comment
   */
  public static void main(String[] args) throws Exception {
    CrashPoint at = CrashPoint.parse(args);
    Map<String, Path> volumes = new TreeMap<>();
    for (int i = CrashPoint.ARGS; i < args.length; i++) {
      String[] kv = args[i].split("=", 2);
      volumes.put(kv[0], Path.of(kv[1]));
    }
    try (FsRepository repo = FsRepository.open(at.repository(), 3)) {
      Restorer.on(repo).replace(RestoreFixture.WORKLOAD, at.snapshot(), volumes,
          Selection.all(volumes.keySet()), at.stopper());
    }
    System.exit(3);
  }
}
