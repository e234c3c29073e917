package io.snapshotkit.fs;

import io.snapshotkit.SnapshotId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;

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
    Path repoDir = Path.of(args[0]);
    SnapshotId snapshot = SnapshotId.parse(args[1]);
    RestoreStep step = RestoreStep.valueOf(args[2]);
    int swapped = Integer.parseInt(args[3]);
    Path marker = Path.of(args[4]);
    Map<String, Path> volumes = new TreeMap<>();
    for (int i = 5; i < args.length; i++) {
      String[] kv = args[i].split("=", 2);
      volumes.put(kv[0], Path.of(kv[1]));
    }
    CountDownLatch never = new CountDownLatch(1);
    try (FsRepository repo = FsRepository.open(repoDir, 3)) {
      new Restorer(repo, 0).replace(RestoreFixture.WORKLOAD, snapshot, volumes,
          Restorer.Selection.all(volumes.keySet()), (reached, n) -> {
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
          });
    }
    System.exit(3);
  }
}
