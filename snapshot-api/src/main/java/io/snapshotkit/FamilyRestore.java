package io.snapshotkit;

import java.util.List;

/**
 * What a restore did to one family.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param created resources re-created (or, for REPLACE, written)
 * @param skipped resources left alone because the workload already had them
 * @param errors one line per resource that failed; the others were still restored
 */
public record FamilyRestore(int created, int skipped, List<String> errors) {
  /** Validates and copies. */
  public FamilyRestore {
    if (created < 0 || skipped < 0) {
      throw new IllegalArgumentException("counts must not be negative");
    }
    errors = List.copyOf(errors);
  }
}
