package io.snapshotkit;

/**
 * Receives the progress of one long operation (capture, restore, rollback, fork, export, import,
 * gc, check) as {@link ProgressEvent}s: the phase, files and bytes done, the totals when they are
 * known, and the path being worked on.
 *
 * <pre>{@code
 * engine.capture(CaptureSpec.of(workload), e -> bar.show(e.fraction(), e.path()));
 * }</pre>
 *
 * <p><b>Rate:</b> events are rate-limited at their source ({@link io.snapshotkit.spi.ProgressTracker}):
 * at most one every {@link io.snapshotkit.spi.ProgressTracker#INTERVAL}, plus one at every phase
 * change and exactly one last event ({@link ProgressEvent#finished()}) when the operation
 * succeeded. An operation that fails sends no last event; its exception says why. Nothing is sent
 * per byte.
 *
 * <p><b>Order:</b> within one operation the done counters never decrease, and events arrive one
 * at a time, never concurrently, though not always on the caller's thread (a capture's files are
 * read on the engine's or agent's executor, and a remote agent's events arrive on gRPC's threads).
 * Keep the listener fast: it runs while the operation waits.
 *
 * <p><b>Failure:</b> a listener that throws a {@link RuntimeException} is not called again for the
 * rest of that operation; the operation itself goes on, and its result and exceptions are what they
 * would have been without a listener. Progress is information, never a reason to fail a capture.
 */
@FunctionalInterface
public interface ProgressListener {
  /** A listener that ignores every event; operations given it do no extra work to report progress. */
  ProgressListener NONE = event -> { };

  /** One progress event. */
  void onProgress(ProgressEvent event);
}
