package io.snapshotkit.fs;

/**
 * Observes a replace restore's durable steps: for progress reporting, and for crash tests that
 * stop the process at a chosen step to prove {@link FsHostAgent#recover()} repairs it.
 *
 * <p><b>Threading:</b> called on the thread running the restore, synchronously, after the step's
 * effects are on disk (renames and journal fsynced), so a crash during the call is a crash at that
 * step. Implementations must be thread-safe if one agent restores several workloads at once.
 *
 * <p><b>Failure:</b> an exception thrown before {@link RestoreStep#COMMITTED} fails the restore
 * like any other failure at that step: every volume is rolled back to its original data and the
 * restore throws. An exception thrown at {@link RestoreStep#COMMITTED} is logged and ignored: the
 * restore is already committed and stands.
 */
@FunctionalInterface
public interface RestoreListener {
  /**
   * A step was reached.
   *
   * @param step the step
   * @param volumesSwapped how many swaps (whole volumes, or selected paths) are done so far
   */
  void reached(RestoreStep step, int volumesSwapped);
}
