package io.snapshotkit.fs;

/**
 * Observes a replace restore's durable steps: for progress reporting, and for crash tests that
 * stop the process at a chosen step to prove {@link FsHostAgent#recover()} repairs it.
 *
 * <p><b>Threading:</b> called on the thread running the restore, synchronously, so the step's
 * effects are on disk when it is called.
 *
 * <p><b>Failure:</b> an exception thrown here fails the restore like any other failure at that
 * step (before {@link RestoreStep#COMMITTED}: every volume is rolled back).
 */
@FunctionalInterface
public interface RestoreListener {
  /**
   * A step was reached.
   *
   * @param step the step
   * @param volumesSwapped how many volumes are swapped so far
   */
  void reached(RestoreStep step, int volumesSwapped);
}
