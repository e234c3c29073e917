package io.snapshotkit.core;

import io.snapshotkit.RestoreMode;
import io.snapshotkit.SnapshotException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How to restore a snapshot: the mode, an optional other target, an optional subset of paths or
 * natural keys, and whether a replace restore first takes a safety snapshot of the workload.
 *
 * <pre>{@code
 * engine.restore(tenant, id, RestoreSpec.additive());
 * engine.restore(tenant, id, RestoreSpec.replace().paths(List.of("config/")));
 * }</pre>
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param mode additive (default) or replace
 * @param target restore somewhere else (agent-specific, such as a directory); empty restores into the workload
 * @param paths restore only these natural keys or path prefixes; empty means everything
 * @param preRestoreSnapshot for {@link RestoreMode#REPLACE} only: capture the workload first, best effort
 *     (default true); must be false for {@link RestoreMode#ADDITIVE}, which overwrites nothing; ignored
 *     with a {@code target}, since that restore leaves the workload's own data alone
 */
public record RestoreSpec(RestoreMode mode, Optional<String> target, List<String> paths, boolean preRestoreSnapshot) {

  /**
   * Validates and copies.
   *
   * @throws SnapshotException {@link io.snapshotkit.ErrorCode#INVALID_ARGUMENT} for a blank target, or a
   *     pre-restore snapshot asked of an additive restore (both can come straight from a caller's request)
   */
  public RestoreSpec {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(target, "target");
    paths = List.copyOf(paths);
    target.ifPresent(t -> {
      if (t.isBlank()) {
        throw SnapshotException.invalid("a restore target must not be blank; leave it empty to restore into the workload");
      }
    });
    if (preRestoreSnapshot && mode == RestoreMode.ADDITIVE) {
      throw SnapshotException.invalid("an additive restore overwrites nothing, so it takes no pre-restore snapshot; "
          + "ask for one with a REPLACE restore only");
    }
  }

  /** An additive restore of everything into the workload. */
  public static RestoreSpec additive() {
    return new RestoreSpec(RestoreMode.ADDITIVE, Optional.empty(), List.of(), false);
  }

  /** A replace restore of everything into the workload, with a pre-restore snapshot. */
  public static RestoreSpec replace() {
    return new RestoreSpec(RestoreMode.REPLACE, Optional.empty(), List.of(), true);
  }

  /** The default spec for {@code mode}: {@link #additive()} or {@link #replace()}. */
  public static RestoreSpec of(RestoreMode mode) {
    return Objects.requireNonNull(mode, "mode") == RestoreMode.ADDITIVE ? additive() : replace();
  }

  /** A copy restoring into {@code newTarget} instead of the workload. */
  public RestoreSpec target(String newTarget) {
    return new RestoreSpec(mode, Optional.of(Objects.requireNonNull(newTarget, "target")), paths, preRestoreSnapshot);
  }

  /** A copy restoring only these natural keys or path prefixes. */
  public RestoreSpec paths(List<String> newPaths) {
    return new RestoreSpec(mode, target, newPaths, preRestoreSnapshot);
  }

  /** A copy that takes (or skips) the pre-restore snapshot. */
  public RestoreSpec preRestoreSnapshot(boolean value) {
    return new RestoreSpec(mode, target, paths, value);
  }
}
