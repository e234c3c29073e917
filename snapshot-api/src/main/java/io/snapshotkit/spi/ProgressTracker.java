package io.snapshotkit.spi;

import io.snapshotkit.ProgressEvent;
import io.snapshotkit.ProgressEvent.Operation;
import io.snapshotkit.ProgressListener;
import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The one place progress is counted and rate-limited: an agent (or the engine) creates one per
 * operation over the caller's {@link ProgressListener}, adds files and bytes as its work gets
 * done, and the tracker passes an event on at most every {@link #INTERVAL}, at once on a phase
 * change, and once more at {@link #finish()}. Call {@link #advance} per file or per buffer, never
 * per byte.
 *
 * <pre>{@code
 * ProgressTracker progress = ProgressTracker.start(Operation.RESTORE, listener);
 * progress.totals(summary.entries(), summary.bytes());
 * progress.phase("stage");
 * for (Entry e : entries) { write(e); progress.advance(1, e.size(), e.path()); }
 * progress.finish();
 * }</pre>
 *
 * <p><b>Listener failures:</b> a listener that throws is not called again by this tracker; the
 * work goes on (see {@link ProgressListener}).
 *
 * <p><b>Thread-safety:</b> thread-safe; the listener is called under this tracker's lock, so never
 * concurrently, on the thread whose update let the event out.
 */
public final class ProgressTracker {
  /** The shortest time between two events of one operation, phase changes and the last event aside. */
  public static final Duration INTERVAL = Duration.ofMillis(100);

  private final Operation operation;
  private final LongSupplier nanoTime;
  private final long intervalNanos;
  private ProgressListener listener;
  private String phase = "";
  private long filesDone;
  private long filesTotal = ProgressEvent.UNKNOWN;
  private long bytesDone;
  private long bytesTotal = ProgressEvent.UNKNOWN;
  private String path = "";
  private boolean emitted;
  private long lastEmitNanos;
  private boolean finished;

  ProgressTracker(Operation operation, ProgressListener listener, Duration interval, LongSupplier nanoTime) {
    this.operation = Objects.requireNonNull(operation, "operation");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.intervalNanos = interval.toNanos();
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
  }

  /** A tracker of {@code operation} reporting to {@code listener}, at most every {@link #INTERVAL}. */
  public static ProgressTracker start(Operation operation, ProgressListener listener) {
    return new ProgressTracker(operation, listener, INTERVAL, System::nanoTime);
  }

  /**
   * Whether anyone listens: false for {@link ProgressListener#NONE} (or once the listener threw),
   * so work done only to report progress (counting a tree's files before a capture) can be skipped.
   */
  public synchronized boolean active() {
    return listener != ProgressListener.NONE && !finished;
  }

  /** The operation tracked. */
  public Operation operation() {
    return operation;
  }

  /** Enters {@code newPhase}; an event goes out at once if the phase changed. */
  public synchronized void phase(String newPhase) {
    Objects.requireNonNull(newPhase, "phase");
    if (!newPhase.equals(phase)) {
      phase = newPhase;
      emit(true);
    }
  }

  /**
   * Sets what the operation will handle, each {@link ProgressEvent#UNKNOWN} if not known; reported
   * with the next event.
   */
  public synchronized void totals(long files, long bytes) {
    if (files < ProgressEvent.UNKNOWN || bytes < ProgressEvent.UNKNOWN) {
      throw new IllegalArgumentException("a total is UNKNOWN (-1) or not negative: files " + files + ", bytes " + bytes);
    }
    filesTotal = files;
    bytesTotal = bytes;
  }

  /**
   * Adds work done, and names the path worked on (empty keeps the last one); an event goes out if
   * {@link #INTERVAL} has passed since the last one.
   *
   * @throws IllegalArgumentException for a negative amount: done counters never decrease
   */
  public synchronized void advance(long files, long bytes, String currentPath) {
    Objects.requireNonNull(currentPath, "currentPath");
    if (files < 0 || bytes < 0) {
      throw new IllegalArgumentException("progress only moves forward: files " + files + ", bytes " + bytes);
    }
    filesDone += files;
    bytesDone += bytes;
    if (!currentPath.isEmpty()) {
      path = currentPath;
    }
    emit(false);
  }

  /**
   * Takes an event of a sub-operation (an agent's, relayed by the engine, or a remote agent's, read
   * off the network) as this tracker's own: its phase, totals and path, and its done counters
   * where they are ahead of this tracker's (so they never decrease). Its {@code finished} flag is
   * not passed on: only this tracker's {@link #finish()} ends the operation.
   */
  public synchronized void relay(ProgressEvent event) {
    Objects.requireNonNull(event, "event");
    boolean newPhase = !event.phase().equals(phase);
    phase = event.phase();
    filesDone = Math.max(filesDone, event.filesDone());
    bytesDone = Math.max(bytesDone, event.bytesDone());
    filesTotal = event.filesTotal().orElse(ProgressEvent.UNKNOWN);
    bytesTotal = event.bytesTotal().orElse(ProgressEvent.UNKNOWN);
    if (!event.path().isEmpty()) {
      path = event.path();
    }
    emit(newPhase || event.finished());
  }

  /** Sends the last event ({@link ProgressEvent#finished()}); later calls send nothing. Idempotent. */
  public synchronized void finish() {
    if (finished) {
      return;
    }
    deliver(event(true));
    finished = true;
  }

  /** The event as things stand. */
  public synchronized ProgressEvent current() {
    return event(finished);
  }

  private ProgressEvent event(boolean last) {
    return ProgressEvent.of(operation, phase, filesDone, filesTotal, bytesDone, bytesTotal, path, last);
  }

  private void emit(boolean force) {
    if (finished || listener == ProgressListener.NONE) {
      return;
    }
    long now = nanoTime.getAsLong();
    if (!force && emitted && now - lastEmitNanos < intervalNanos) {
      return;
    }
    emitted = true;
    lastEmitNanos = now;
    deliver(event(false));
  }

  private void deliver(ProgressEvent e) {
    if (listener == ProgressListener.NONE) {
      return;
    }
    try {
      listener.onProgress(e);
    } catch (RuntimeException ex) {
      // documented: a failing listener is dropped, the operation goes on
      listener = ProgressListener.NONE;
    }
  }
}
