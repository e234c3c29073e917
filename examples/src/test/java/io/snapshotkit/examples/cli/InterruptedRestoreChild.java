package io.snapshotkit.examples.cli;

import io.snapshotkit.fs.RestoreListener;
import io.snapshotkit.fs.RestoreStep;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;

/**
 * The child JVM of CliTest's signal tests: runs one snapshotkit command line as {@link Main#main}
 * does (home from {@code SNAPSHOTKIT_HOME}), except that when a replace restore reaches the named
 * step it writes a marker file and holds there until the JVM starts shutting down (the parent's
 * SIGTERM or SIGINT), at most a minute; then the restore goes on as the signal finds it.
 *
 * <p>Arguments: marker file, step name, volumes swapped at that step, then the command line.
 */
public final class InterruptedRestoreChild {
  private InterruptedRestoreChild() {}

  /**
   * Runs the command line.
   *
   * @param args see the class comment
   */
  public static void main(String[] args) {
    Path marker = Path.of(args[0]);
    RestoreStep step = RestoreStep.valueOf(args[1]);
    int swapped = Integer.parseInt(args[2]);
    RestoreListener holdUntilSignalled = (reached, n) -> {
      if (reached == step && n == swapped) {
        try {
          Files.writeString(marker, reached + ":" + n);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!SignalGuard.shuttingDown() && System.nanoTime() < deadline) {
          try {
            Thread.sleep(10);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      }
    };
    int status = Main.run(Arrays.copyOfRange(args, 3, args.length), new RootCommand.Environment(System.getenv(),
        System.out, System.err, false, Clock.systemUTC(), holdUntilSignalled));
    System.exit(status);
  }
}
