package io.snapshotkit;

import java.util.Objects;

/**
 * One resource a restore could not write, while the others were still restored.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param resource what failed, as its family names it ({@code volume:dir/file} for files); empty
 *     when the agent did not say
 * @param reason why, and what to do next
 * @param code the kind of failure: {@link ErrorCode#CORRUPT} for damaged stored content,
 *     {@link ErrorCode#INSUFFICIENT_STORAGE} for a full disk, and so on
 */
public record RestoreFailure(String resource, String reason, ErrorCode code) {
  /** Validates. */
  public RestoreFailure {
    Objects.requireNonNull(resource, "resource");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(code, "code");
  }

  /**
   * The failure of one resource, from the exception its restore threw (a failure that is not a
   * {@link SnapshotException} becomes {@link ErrorCode#INTERNAL}, or
   * {@link ErrorCode#INSUFFICIENT_STORAGE} for a full disk, as {@link SnapshotException#wrap}).
   *
   * @param resource what failed
   * @param failure what its restore threw
   * @return the failure
   */
  public static RestoreFailure of(String resource, Throwable failure) {
    Objects.requireNonNull(failure, "failure");
    SnapshotException e = SnapshotException.wrap("restoring " + resource, failure);
    return new RestoreFailure(resource, e.getMessage(), e.code());
  }

  /** One line for a person: {@code resource: reason}, or just the reason when no resource is named. */
  public String line() {
    return resource.isEmpty() ? reason : resource + ": " + reason;
  }
}
