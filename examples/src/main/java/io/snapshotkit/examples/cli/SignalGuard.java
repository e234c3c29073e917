package io.snapshotkit.examples.cli;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.fs.RestoreListener;
import io.snapshotkit.fs.RestoreStep;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Keeps SIGINT (Ctrl-C) and SIGTERM from cutting a replace restore or rollback short, so no live
 * volume is left missing or half swapped when the process exits.
 *
 * <p>While {@link #during} runs a restore, a JVM shutdown hook is registered. A signal starts the
 * JVM's shutdown, which runs the hook while the restoring thread carries on; the hook waits, at
 * most {@link #BOUND}, until the command has ended ({@link #release()}). As the restore's {@link
 * RestoreListener} the guard sees its steps: a restore still staging when the signal came (nothing
 * live touched, perhaps still taking its safety snapshot) is stopped at {@link RestoreStep#STAGED}
 * and rolled back, which only removes the staging files; one whose swap has begun is left to finish
 * (renames, quick) rather than leave volumes mixed. Either way one line on stderr says what was done
 * ({@code interrupted: finished restoring ...} or {@code interrupted: rolled back ...}). If the
 * bound passes first, the hook says so and the JVM exits; the restore's journal then lets the next
 * command finish or undo it, with a warning.
 *
 * <p>Outside a restore no hook is registered, so other commands stop at once as before.
 *
 * <p><b>Thread-safety:</b> thread-safe: the listener runs on the restoring thread, the hook on its
 * own, {@link #during} and {@link #release} on the command's thread.
 */
final class SignalGuard implements RestoreListener {
  /** How long a signalled process waits for the restore to finish or roll back before exiting. */
  static final Duration BOUND = Duration.ofSeconds(10);

  private final Supplier<Output> output;
  private final Duration bound;
  private final CountDownLatch ended = new CountDownLatch(1);
  private final AtomicBoolean reported = new AtomicBoolean();
  private volatile String what = "";
  private volatile String volumes = "";
  private volatile boolean swapBegun;

  /**
   * @param output where to say what was done (looked up when needed: the command line decides
   *     between human and JSON output after this is made)
   * @param bound how long the hook waits
   */
  SignalGuard(Supplier<Output> output, Duration bound) {
    this.output = Objects.requireNonNull(output, "output");
    this.bound = Objects.requireNonNull(bound, "bound");
  }

  /** Whether the JVM has begun shutting down (a signal, or System.exit elsewhere). */
  static boolean shuttingDown() {
    Thread probe = new Thread(() -> { }, "snapshotkit-shutdown-probe");
    try {
      Runtime.getRuntime().addShutdownHook(probe);
      Runtime.getRuntime().removeShutdownHook(probe);
      return false;
    } catch (IllegalStateException e) {
      return true;
    }
  }

  /** Called by the restore at each durable step; stops a restore that is still staging when asked to. */
  @Override
  public void reached(RestoreStep step, int volumesSwapped) {
    if (step == RestoreStep.STAGED && shuttingDown()) {
      // the command reports this failure as its one error line; the restore adds that it rolled back
      throw new SnapshotException(ErrorCode.CONFLICT, "interrupted: stopped the restore of " + what
          + " before any volume was swapped");
    }
    if (step == RestoreStep.JOURNALED) {
      swapBegun = true;
    }
  }

  /**
   * Runs a replace restore or rollback with the shutdown hook registered.
   *
   * @param label the snapshot restored, such as {@code app@3}
   * @param volumeNames the volumes it writes, for the message
   * @param work the restore
   * @return what {@code work} returns
   */
  <T> T during(String label, List<String> volumeNames, Supplier<T> work) {
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(volumeNames, "volumeNames");
    Objects.requireNonNull(work, "work");
    what = label;
    volumes = volumeNames.isEmpty() ? "its volumes" : (volumeNames.size() == 1 ? "volume " : "volumes ")
        + String.join(", ", volumeNames.stream().map(v -> "'" + v + "'").toList());
    swapBegun = false;
    Thread hook = new Thread(this::awaitEnd, "snapshotkit-stop");
    try {
      Runtime.getRuntime().addShutdownHook(hook);
    } catch (IllegalStateException e) {
      throw new SnapshotException(ErrorCode.CONFLICT, "snapshotkit is stopping; the restore of " + label
          + " was not started");
    }
    Throwable failure = null;
    try {
      return work.get();
    } catch (RuntimeException | Error e) {
      failure = e;
      throw e;
    } finally {
      boolean signalled;
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
        signalled = false;
      } catch (IllegalStateException e) {
        signalled = true;
      }
      // a failure (including the roll-back above) is the command's error line; a success needs saying
      if (signalled && failure == null && reported.compareAndSet(false, true)) {
        output.get().error("interrupted: finished restoring " + volumes + " from " + what + " before stopping; "
            + (plural() ? "they hold" : "it holds") + " the snapshot");
      }
    }
  }

  /** The command has ended and its output is flushed: a waiting hook may let the JVM exit. */
  void release() {
    ended.countDown();
  }

  private boolean plural() {
    return !volumes.startsWith("volume ");
  }

  /** The shutdown hook: waits (bounded) for the command to end, and says so if it does not. */
  private void awaitEnd() {
    try {
      if (!ended.await(bound.toMillis(), TimeUnit.MILLISECONDS) && reported.compareAndSet(false, true)) {
        output.get().error("interrupted: the restore of " + what + " did not end within " + Format.duration(bound)
            + "; " + (swapBegun
                ? "the next snapshotkit command on this home finishes or rolls it back from its journal"
                : "no volume was swapped yet; the next snapshotkit command removes its staging files"));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
