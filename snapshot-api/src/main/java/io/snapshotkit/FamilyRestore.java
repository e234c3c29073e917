package io.snapshotkit;

import java.util.List;

/**
 * What a restore did to one family.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param created resources re-created (or, for REPLACE, written)
 * @param skipped resources left alone because the workload already had them
 * @param errors one line per resource that failed ({@link RestoreFailure#line()}); the others
 *     were still restored
 * @param failures the same failures with what failed, why and an {@link ErrorCode}, in the same
 *     order as {@code errors}
 */
public record FamilyRestore(int created, int skipped, List<String> errors, List<RestoreFailure> failures) {
  /** Validates and copies; {@code errors} must be the lines of {@code failures}. */
  public FamilyRestore {
    if (created < 0 || skipped < 0) {
      throw new IllegalArgumentException("counts must not be negative");
    }
    errors = List.copyOf(errors);
    failures = List.copyOf(failures);
    if (!errors.equals(failures.stream().map(RestoreFailure::line).toList())) {
      throw new IllegalArgumentException("errors must be the lines of failures, in the same order");
    }
  }

  /**
   * An outcome whose failures are only lines of text: each becomes a failure that names no
   * resource, with code {@link ErrorCode#INTERNAL}. Prefer {@link #of} to say what failed and why.
   */
  public FamilyRestore(int created, int skipped, List<String> errors) {
    this(created, skipped, errors,
        errors.stream().map(e -> new RestoreFailure("", e, ErrorCode.INTERNAL)).toList());
  }

  /**
   * An outcome with its failures described.
   *
   * @param created resources re-created or written
   * @param skipped resources left alone
   * @param failures the resources that failed, each with its reason and code
   * @return the outcome, whose {@link #errors()} are the failures' lines
   */
  public static FamilyRestore of(int created, int skipped, List<RestoreFailure> failures) {
    return new FamilyRestore(created, skipped, failures.stream().map(RestoreFailure::line).toList(), failures);
  }
}
