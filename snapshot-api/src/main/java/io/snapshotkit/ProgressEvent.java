package io.snapshotkit;

import java.util.Locale;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * Where one long operation stands, as a {@link ProgressListener} sees it: the operation, its
 * current phase, files and bytes done, the totals when known, and the path being worked on.
 *
 * <p>A final value class rather than a record, so later releases can add information without
 * breaking a constructor callers depend on; build one with {@link #of}.
 *
 * <p><b>Thread-safety:</b> immutable.
 */
public final class ProgressEvent {
  /** The operations that report progress. */
  public enum Operation {
    /** A capture: the agent walks the volumes and stores what changed. */
    CAPTURE,
    /** A restore (additive or replace). */
    RESTORE,
    /** A rollback: a replace restore of a numbered version. */
    ROLLBACK,
    /** A fork of a snapshot into another workload. */
    FORK,
    /** A snapshot written as an archive. */
    EXPORT,
    /** An archive stored as a snapshot. */
    IMPORT,
    /** A repository's garbage collection. */
    GC,
    /** A repository's content check. */
    CHECK
  }

  /** A total that is not known (yet). */
  public static final long UNKNOWN = -1;

  private final Operation operation;
  private final String phase;
  private final long filesDone;
  private final long filesTotal;
  private final long bytesDone;
  private final long bytesTotal;
  private final String path;
  private final boolean finished;

  private ProgressEvent(Operation operation, String phase, long filesDone, long filesTotal, long bytesDone,
      long bytesTotal, String path, boolean finished) {
    this.operation = operation;
    this.phase = phase;
    this.filesDone = filesDone;
    this.filesTotal = filesTotal;
    this.bytesDone = bytesDone;
    this.bytesTotal = bytesTotal;
    this.path = path;
    this.finished = finished;
  }

  /**
   * An event.
   *
   * @param phase what the operation is doing now, a short lower-case word such as {@code scan},
   *     {@code stage} or {@code swap}
   * @param filesTotal the files the operation will handle, or {@link #UNKNOWN}
   * @param bytesTotal the bytes the operation will handle, or {@link #UNKNOWN}
   * @param path the path being worked on ({@code volume:path} for the directory agent), or empty
   * @param finished whether this is the operation's last event (it succeeded)
   * @throws IllegalArgumentException for a negative done counter or a total below {@link #UNKNOWN}
   */
  public static ProgressEvent of(Operation operation, String phase, long filesDone, long filesTotal,
      long bytesDone, long bytesTotal, String path, boolean finished) {
    Objects.requireNonNull(operation, "operation");
    Objects.requireNonNull(phase, "phase");
    Objects.requireNonNull(path, "path");
    if (filesDone < 0 || bytesDone < 0) {
      throw new IllegalArgumentException("done counters are not negative: files " + filesDone + ", bytes " + bytesDone);
    }
    if (filesTotal < UNKNOWN || bytesTotal < UNKNOWN) {
      throw new IllegalArgumentException("a total is UNKNOWN (-1) or not negative: files " + filesTotal
          + ", bytes " + bytesTotal);
    }
    return new ProgressEvent(operation, phase, filesDone, filesTotal, bytesDone, bytesTotal, path, finished);
  }

  /** The operation reporting. */
  public Operation operation() {
    return operation;
  }

  /** What the operation is doing now, a short lower-case word ({@code scan}, {@code stage}, …). */
  public String phase() {
    return phase;
  }

  /** Files (and other entries) done so far; never decreases within an operation. */
  public long filesDone() {
    return filesDone;
  }

  /** The files the operation will handle, when known. */
  public OptionalLong filesTotal() {
    return filesTotal == UNKNOWN ? OptionalLong.empty() : OptionalLong.of(filesTotal);
  }

  /** Bytes done so far; never decreases within an operation. */
  public long bytesDone() {
    return bytesDone;
  }

  /** The bytes the operation will handle, when known. */
  public OptionalLong bytesTotal() {
    return bytesTotal == UNKNOWN ? OptionalLong.empty() : OptionalLong.of(bytesTotal);
  }

  /** The path being worked on ({@code volume:path} for the directory agent), or empty. */
  public String path() {
    return path;
  }

  /** Whether this is the operation's last event: it succeeded. */
  public boolean finished() {
    return finished;
  }

  /**
   * How far the operation is, from 0 to 1: by bytes when their total is known and above zero,
   * else by files; 1 once {@link #finished()}; empty when neither total is known. Done counters
   * can overshoot a total (a file that grew while it was read), so the fraction is capped at 1.
   */
  public OptionalDouble fraction() {
    if (finished) {
      return OptionalDouble.of(1);
    }
    if (bytesTotal > 0) {
      return OptionalDouble.of(Math.min(1.0, (double) bytesDone / bytesTotal));
    }
    if (filesTotal > 0) {
      return OptionalDouble.of(Math.min(1.0, (double) filesDone / filesTotal));
    }
    return OptionalDouble.empty();
  }

  /** A copy reporting as {@code newOperation} (an engine relaying its agent's events does this). */
  public ProgressEvent as(Operation newOperation) {
    return of(newOperation, phase, filesDone, filesTotal, bytesDone, bytesTotal, path, finished);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ProgressEvent e && operation == e.operation && phase.equals(e.phase)
        && filesDone == e.filesDone && filesTotal == e.filesTotal && bytesDone == e.bytesDone
        && bytesTotal == e.bytesTotal && path.equals(e.path) && finished == e.finished;
  }

  @Override
  public int hashCode() {
    return Objects.hash(operation, phase, filesDone, filesTotal, bytesDone, bytesTotal, path, finished);
  }

  @Override
  public String toString() {
    return operation.name().toLowerCase(Locale.ROOT) + " " + phase + ": files " + filesDone + "/"
        + (filesTotal == UNKNOWN ? "?" : filesTotal) + ", bytes " + bytesDone + "/"
        + (bytesTotal == UNKNOWN ? "?" : bytesTotal) + (path.isEmpty() ? "" : " at " + path)
        + (finished ? " (finished)" : "");
  }
}
