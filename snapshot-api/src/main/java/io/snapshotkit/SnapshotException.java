package io.snapshotkit;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The one exception SnapshotKit throws at callers. It carries an {@link ErrorCode}, a message that
 * says what to do next, and context in fields (never only in the message): tenant, workload,
 * snapshot and, for a refused strict delete, every host that failed.
 *
 * <p>Messages never echo manifest contents, and a snapshot of another tenant is always reported
 * as {@link ErrorCode#NOT_FOUND}.
 *
 * <p><b>Thread-safety:</b> immutable once thrown.
 */
public class SnapshotException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ErrorCode code;
  private final transient WorkloadRef workload;
  private final transient SnapshotId snapshotId;
  private final List<String> failedHosts;

  /**
   * Creates an exception with a code and a message.
   *
   * @param code what kind of failure this is
   * @param message what happened and what to do next
   */
  public SnapshotException(ErrorCode code, String message) {
    this(code, message, null, null, null, List.of());
  }

  /**
   * Creates an exception with a code, a message and a cause.
   *
   * @param code what kind of failure this is
   * @param message what happened and what to do next
   * @param cause the underlying failure, kept for diagnosis
   */
  public SnapshotException(ErrorCode code, String message, Throwable cause) {
    this(code, message, cause, null, null, List.of());
  }

  private SnapshotException(
      ErrorCode code,
      String message,
      Throwable cause,
      WorkloadRef workload,
      SnapshotId snapshotId,
      List<String> failedHosts) {
    super(Objects.requireNonNull(message, "message"), cause);
    this.code = Objects.requireNonNull(code, "code");
    this.workload = workload;
    this.snapshotId = snapshotId;
    this.failedHosts = List.copyOf(failedHosts);
  }

  /** A copy of this exception with the workload (and so the tenant) it concerns. */
  public SnapshotException withWorkload(WorkloadRef workload) {
    return new SnapshotException(code, getMessage(), getCause(), workload, snapshotId, failedHosts);
  }

  /** A copy of this exception with the snapshot it concerns. */
  public SnapshotException withSnapshot(SnapshotId snapshotId) {
    return new SnapshotException(code, getMessage(), getCause(), workload, snapshotId, failedHosts);
  }

  /** A copy of this exception naming the hosts that failed (strict delete). */
  public SnapshotException withFailedHosts(List<String> hosts) {
    return new SnapshotException(code, getMessage(), getCause(), workload, snapshotId, hosts);
  }

  /** What kind of failure this is. */
  public ErrorCode code() {
    return code;
  }

  /** The workload concerned, when known. */
  public Optional<WorkloadRef> workload() {
    return Optional.ofNullable(workload);
  }

  /** The tenant concerned, when known. */
  public Optional<TenantId> tenant() {
    return workload().map(WorkloadRef::tenant);
  }

  /** The snapshot concerned, when known. */
  public Optional<SnapshotId> snapshotId() {
    return Optional.ofNullable(snapshotId);
  }

  /** The hosts that failed a strict delete, in host-directory order; empty otherwise. */
  public List<String> failedHosts() {
    return failedHosts;
  }

  /** Shorthand for a {@link ErrorCode#NOT_FOUND} failure. */
  public static SnapshotException notFound(String message) {
    return new SnapshotException(ErrorCode.NOT_FOUND, message);
  }

  /** Shorthand for an {@link ErrorCode#INVALID_ARGUMENT} failure. */
  public static SnapshotException invalid(String message) {
    return new SnapshotException(ErrorCode.INVALID_ARGUMENT, message);
  }

  /**
   * Wraps an unexpected failure of an adapter as {@link ErrorCode#INTERNAL}, or returns it
   * unchanged when it already is a {@link SnapshotException}. A failure caused by a full
   * filesystem or an exceeded quota (see {@link #outOfSpace}) becomes
   * {@link ErrorCode#INSUFFICIENT_STORAGE} with a message that says so.
   *
   * @param what the operation that failed, for the message ("capture on host h1")
   * @param failure what the adapter threw
   * @return the exception to throw
   */
  public static SnapshotException wrap(String what, Throwable failure) {
    if (failure instanceof SnapshotException e) {
      return e;
    }
    Optional<String> full = outOfSpace(failure);
    if (full.isPresent()) {
      return new SnapshotException(ErrorCode.INSUFFICIENT_STORAGE, what + " failed: " + full.get()
          + "; free some space (or raise the quota) and retry", failure);
    }
    return new SnapshotException(
        ErrorCode.INTERNAL,
        what + " failed unexpectedly (" + failure.getClass().getSimpleName() + "); see the cause and report it to the adapter's maintainers",
        failure);
  }

  /**
   * Whether a failure was caused by a full filesystem (ENOSPC) or an exceeded disk quota (EDQUOT),
   * anywhere in its cause chain, and if so a one-line description: "the filesystem is full (No
   * space left on device: /var/data/x)". The JDK reports both only in the message of an
   * {@link java.io.IOException} (a {@link java.nio.file.FileSystemException}'s reason), so this
   * looks for the C library's wording.
   *
   * @param failure what was thrown
   * @return the description, or empty if the failure is something else
   */
  public static Optional<String> outOfSpace(Throwable failure) {
    Objects.requireNonNull(failure, "failure");
    int depth = 0;
    for (Throwable t = failure; t != null && depth < 32; t = t.getCause(), depth++) {
      String text = t instanceof java.nio.file.FileSystemException fs && fs.getReason() != null
          ? fs.getReason() + (fs.getFile() != null ? ": " + fs.getFile() : "")
          : t.getMessage();
      if (text == null) {
        continue;
      }
      if (text.contains("No space left on device")) {
        return Optional.of("the filesystem is full (" + text + ")");
      }
      if (text.contains("Disk quota exceeded")) {
        return Optional.of("the disk quota is exceeded (" + text + ")");
      }
      for (Throwable s : t.getSuppressed()) {
        if (s != t && outOfSpace(s).isPresent()) {
          return outOfSpace(s);
        }
      }
    }
    return Optional.empty();
  }
}
