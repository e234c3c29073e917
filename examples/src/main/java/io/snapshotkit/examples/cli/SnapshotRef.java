package io.snapshotkit.examples.cli;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.TenantId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.SnapshotEngine;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * How a person names a snapshot on the command line: by its id ({@code 01JD3…}, 26 characters,
 * any case), or as {@code WORKLOAD@VERSION} ({@code app@3}), or {@code WORKLOAD@latest} for the
 * workload's newest version.
 *
 * <p><b>Thread-safety:</b> immutable.
 */
sealed interface SnapshotRef {
  /** Parses the text, without looking anything up. */
  static SnapshotRef parse(String text) {
    Objects.requireNonNull(text, "text");
    String t = text.trim();
    int at = t.lastIndexOf('@');
    if (at < 0) {
      if (t.length() == 26) {
        try {
          return new ById(SnapshotId.parse(t));
        } catch (SnapshotException e) {
          throw bad(text, e.getMessage());
        }
      }
      throw bad(text, "it is neither an id (26 characters) nor WORKLOAD@VERSION");
    }
    String workload = t.substring(0, at);
    String version = t.substring(at + 1);
    if (workload.isEmpty()) {
      throw bad(text, "the workload before '@' is missing");
    }
    try {
      WorkloadRef.of(Cli.TENANT, workload);
    } catch (SnapshotException e) {
      throw bad(text, e.getMessage());
    }
    if (version.equalsIgnoreCase("latest")) {
      return new ByVersion(workload, OptionalInt.empty());
    }
    if (!version.matches("[0-9]{1,9}") || Integer.parseInt(version) < 1) {
      throw bad(text, "the version after '@' must be a number from 1, or 'latest'");
    }
    return new ByVersion(workload, OptionalInt.of(Integer.parseInt(version)));
  }

  private static SnapshotException bad(String text, String why) {
    return SnapshotException.invalid("'" + text + "' does not name a snapshot: " + why
        + "; use an id from `snapshotkit list` or WORKLOAD@VERSION such as app@3");
  }

  /** Looks the snapshot up. */
  Snapshot resolve(SnapshotEngine engine, TenantId tenant);

  /**
   * The workload's snapshot with this version. The engine answers a version past the newest with
   * INVALID_ARGUMENT (naming the range); for the CLI that is no such version, NOT_FOUND (exit 3),
   * while a version below 1 stays INVALID_ARGUMENT.
   *
   * @throws SnapshotException NOT_FOUND for a version the workload does not have
   */
  static Snapshot version(SnapshotEngine engine, WorkloadRef workload, int version) {
    try {
      return engine.version(workload, version);
    } catch (SnapshotException e) {
      if (e.code() == ErrorCode.INVALID_ARGUMENT && version >= 1) {
        throw new SnapshotException(ErrorCode.NOT_FOUND, e.getMessage() + "; see `snapshotkit versions "
            + workload.id() + "`", e).withWorkload(workload);
      }
      throw e;
    }
  }

  /**
   * A snapshot named by id.
   *
   * @param id the id
   */
  record ById(SnapshotId id) implements SnapshotRef {
    public ById {
      Objects.requireNonNull(id, "id");
    }

    @Override
    public Snapshot resolve(SnapshotEngine engine, TenantId tenant) {
      return engine.get(tenant, id);
    }

    @Override
    public String toString() {
      return id.value();
    }
  }

  /**
   * A snapshot named by workload and version; no version means the newest.
   *
   * @param workload the workload id
   * @param version the version, or empty for the newest
   */
  record ByVersion(String workload, OptionalInt version) implements SnapshotRef {
    public ByVersion {
      Objects.requireNonNull(workload, "workload");
      Objects.requireNonNull(version, "version");
    }

    @Override
    public Snapshot resolve(SnapshotEngine engine, TenantId tenant) {
      WorkloadRef w = WorkloadRef.of(tenant, workload);
      if (version.isPresent()) {
        return SnapshotRef.version(engine, w, version.getAsInt());
      }
      List<Snapshot> all = engine.versions(w);
      if (all.isEmpty()) {
        throw SnapshotException.notFound("workload '" + workload + "' has no versions yet; capture it first: snapshotkit capture " + workload);
      }
      return all.get(all.size() - 1);
    }

    @Override
    public String toString() {
      return workload + "@" + (version.isPresent() ? String.valueOf(version.getAsInt()) : "latest");
    }
  }
}
