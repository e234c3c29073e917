package io.snapshotkit.fs;

import io.snapshotkit.fs.internal.restore.RestoreFixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.snapshotkit.SnapshotId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A replace restore stopped for good at one step, shared by the crash tests: the parent side
 * starts a child JVM and SIGKILLs it once it reports the step; the child side parses the same
 * arguments and supplies the {@link RestoreListener} that reports the step and then blocks.
 *
 * <p>Child arguments: repository directory, snapshot id, step name, volumes swapped at that step,
 * marker file, then whatever the child itself takes.
 *
 * @param repository the repository directory
 * @param snapshot the snapshot being restored
 * @param step where the child stops
 * @param swapped how many swaps are done at that step
 * @param marker the file the child writes when it gets there
 */
record CrashPoint(Path repository, SnapshotId snapshot, RestoreStep step, int swapped, Path marker) {
  /** How long the parent waits for the child to reach the step, and to die. */
  static final long WAIT_SECONDS = 120;
  /** How many arguments {@link #parse} consumes. */
  static final int ARGS = 5;

  /** The first {@link #ARGS} child arguments. */
  static CrashPoint parse(String[] args) {
    return new CrashPoint(Path.of(args[0]), SnapshotId.parse(args[1]), RestoreStep.valueOf(args[2]),
        Integer.parseInt(args[3]), Path.of(args[4]));
  }

  /** At the step (after its effects are durable), writes the marker and blocks until killed. */
  RestoreListener stopper() {
    CountDownLatch never = new CountDownLatch(1);
    return (reached, n) -> {
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
    };
  }

  /**
   * Runs {@code child}'s main with this crash point and {@code extra} arguments, waits until it
   * reaches the step and SIGKILLs it; fails if it exits or stalls first. Its output goes to
   * {@code child.log} beside the marker.
   */
  void killChild(Class<?> child, List<String> extra) throws IOException, InterruptedException {
    Path log = marker.resolveSibling("child.log");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), child.getName(), repository.toString(), snapshot.value(),
        step.name(), Integer.toString(swapped), marker.toString()));
    cmd.addAll(extra);
    Process process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      long polls = TimeUnit.SECONDS.toMillis(WAIT_SECONDS) / 50;
      for (long i = 0; i < polls && !Files.exists(marker); i++) {
        if (process.waitFor(50, TimeUnit.MILLISECONDS)) {
          fail("the child exited (" + process.exitValue() + ") before reaching " + step + ":\n"
              + Files.readString(log));
        }
      }
      assertTrue(Files.exists(marker), "the child did not reach " + step + ":\n" + Files.readString(log));
    } finally {
      process.destroyForcibly();
      assertTrue(process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS));
    }
    assertEquals(137, process.exitValue(), "killed by SIGKILL");
  }

  /** Each volume's tree (see {@link RestoreFixture#tree}), or MISSING if the directory is gone. */
  static Map<String, Map<String, String>> states(Map<String, Path> volumes) {
    Map<String, Map<String, String>> out = new TreeMap<>();
    volumes.forEach((name, path) ->
        out.put(name, Files.exists(path) ? RestoreFixture.tree(path, true) : Map.of("", "MISSING")));
    return out;
  }
}
