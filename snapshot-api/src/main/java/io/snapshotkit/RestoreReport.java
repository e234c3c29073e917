package io.snapshotkit;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What a restore or rollback did.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param snapshot the snapshot restored
 * @param mode additive or replace
 * @param families per-family outcome, sorted by name
 * @param unsupportedFamilies families in the snapshot that the host agent cannot restore
 * @param partialSnapshot whether the snapshot was itself partial, so the result can be incomplete
 * @param preRestoreSnapshot the safety snapshot taken before a replace restore, if one was taken
 * @param redeployFailed the data was restored but bringing the workload back up failed
 * @param warnings other things a person should know, one line each
 */
public record RestoreReport(
    SnapshotId snapshot, RestoreMode mode, Map<String, FamilyRestore> families,
    List<String> unsupportedFamilies, boolean partialSnapshot, Optional<SnapshotId> preRestoreSnapshot,
    boolean redeployFailed, List<String> warnings) {

  /** Validates and copies. */
  public RestoreReport {
    Objects.requireNonNull(snapshot, "snapshot");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(preRestoreSnapshot, "preRestoreSnapshot");
    families = Collections.unmodifiableMap(new TreeMap<>(families));
    unsupportedFamilies = List.copyOf(unsupportedFamilies);
    warnings = List.copyOf(warnings);
  }

  /** Total resources created across families. */
  public int created() {
    return families.values().stream().mapToInt(FamilyRestore::created).sum();
  }

  /** Total resources skipped across families. */
  public int skipped() {
    return families.values().stream().mapToInt(FamilyRestore::skipped).sum();
  }

  /** Whether any resource failed. */
  public boolean hasErrors() {
    return families.values().stream().anyMatch(f -> !f.errors().isEmpty());
  }

  /** Every resource that failed, family by family in name order; empty when everything was restored. */
  public List<RestoreFailure> failures() {
    return families.values().stream().flatMap(f -> f.failures().stream()).toList();
  }

  /**
   * The one code that sums up the failures, for an exit status or a retry decision:
   * {@link ErrorCode#CORRUPT} if any stored content was damaged (restore another snapshot), else
   * the code every failure shares, else {@link ErrorCode#INTERNAL}.
   *
   * @return the code, or empty when nothing failed
   */
  public Optional<ErrorCode> failureCode() {
    List<RestoreFailure> all = failures();
    if (all.isEmpty()) {
      return Optional.empty();
    }
    if (all.stream().anyMatch(f -> f.code() == ErrorCode.CORRUPT)) {
      return Optional.of(ErrorCode.CORRUPT);
    }
    ErrorCode first = all.get(0).code();
    return Optional.of(all.stream().allMatch(f -> f.code() == first) ? first : ErrorCode.INTERNAL);
  }
}
