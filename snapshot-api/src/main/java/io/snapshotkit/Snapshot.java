package io.snapshotkit;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * One snapshot's metadata row, as the {@link io.snapshotkit.spi.ManifestStore} persists it.
 *
 * <p><b>Thread-safety:</b> immutable. Use the {@code with…} methods to derive a changed copy.
 *
 * @param id time-sortable identifier
 * @param workload the workload (and tenant) it belongs to
 * @param version 1, 2, 3… per workload, gap-free and never reused; {@code 0} until the snapshot is
 *     READY (versions are assigned in the transaction that marks it READY)
 * @param name display name, trimmed; empty when none was given (see {@link #displayName()})
 * @param trigger why it was taken
 * @param status where it is in its life
 * @param parent the workload's previous snapshot at capture time (lineage), if any
 * @param createdAt when the capture started
 * @param expiresAt when retention deletes it, if ever
 * @param sizeBytes stored size, when known; resolved from the host lazily otherwise
 * @param partial whether the capture could not read everything
 * @param isProtected protected snapshots cannot be deleted ({@link ErrorCode#FORBIDDEN})
 * @param labels application metadata, copied and sorted
 * @param host the host that captured it, when known
 * @param manifest where its manifest lives, once READY
 * @param failure why the capture failed, for FAILED snapshots; for a DELETING snapshot whose
 *     delete some host did not confirm, which hosts and how to finish it
 */
public record Snapshot(
    SnapshotId id,
    WorkloadRef workload,
    int version,
    String name,
    Trigger trigger,
    SnapshotStatus status,
    Optional<SnapshotId> parent,
    Instant createdAt,
    Optional<Instant> expiresAt,
    OptionalLong sizeBytes,
    boolean partial,
    boolean isProtected,
    Map<String, String> labels,
    Optional<String> host,
    Optional<ManifestRef> manifest,
    Optional<String> failure) {

  /** Validates the components and copies the labels. */
  public Snapshot {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(trigger, "trigger");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(parent, "parent");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(sizeBytes, "sizeBytes");
    Objects.requireNonNull(labels, "labels");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(manifest, "manifest");
    Objects.requireNonNull(failure, "failure");
    if (version < 0) {
      throw new IllegalArgumentException("version must be 0 (unassigned) or positive: " + version);
    }
    if (sizeBytes.isPresent() && sizeBytes.getAsLong() < 0) {
      throw new IllegalArgumentException("sizeBytes must not be negative: " + sizeBytes);
    }
    labels = java.util.Collections.unmodifiableMap(new TreeMap<>(labels));
  }

  /**
   * A new row in {@link SnapshotStatus#CAPTURING} with no version, size or manifest yet.
   */
  public static Snapshot capturing(
      SnapshotId id,
      WorkloadRef workload,
      String name,
      Trigger trigger,
      Optional<SnapshotId> parent,
      Instant createdAt,
      Optional<Instant> expiresAt,
      Map<String, String> labels) {
    return new Snapshot(id, workload, 0, name, trigger, SnapshotStatus.CAPTURING, parent, createdAt,
        expiresAt, OptionalLong.empty(), false, false, labels, Optional.empty(), Optional.empty(),
        Optional.empty());
  }

  /** The tenant that owns it. */
  public TenantId tenant() {
    return workload.tenant();
  }

  /** The name to show: the given name, or "Version N" when none was given. */
  public String displayName() {
    if (!name.isEmpty()) {
      return name;
    }
    return version > 0 ? "Version " + version : "Unnamed snapshot";
  }

  /** A copy with another status. */
  public Snapshot withStatus(SnapshotStatus newStatus) {
    return new Snapshot(id, workload, version, name, trigger, newStatus, parent, createdAt, expiresAt,
        sizeBytes, partial, isProtected, labels, host, manifest, failure);
  }

  /** A copy marked READY with its version, size, partial flag and manifest reference. */
  public Snapshot ready(int newVersion, OptionalLong size, boolean isPartial, ManifestRef ref) {
    if (newVersion < 1) {
      throw new IllegalArgumentException("a READY snapshot has a version of 1 or more: " + newVersion);
    }
    return new Snapshot(id, workload, newVersion, name, trigger, SnapshotStatus.READY, parent, createdAt,
        expiresAt, size, isPartial, isProtected, labels, host, Optional.of(ref), failure);
  }

  /** A copy marked FAILED with the reason. */
  public Snapshot failed(String reason) {
    return new Snapshot(id, workload, version, name, trigger, SnapshotStatus.FAILED, parent, createdAt,
        expiresAt, sizeBytes, partial, isProtected, labels, host, manifest, Optional.of(reason));
  }

  /** A copy with the host that captures it. */
  public Snapshot withHost(String hostId) {
    return new Snapshot(id, workload, version, name, trigger, status, parent, createdAt, expiresAt,
        sizeBytes, partial, isProtected, labels, Optional.of(hostId), manifest, failure);
  }

  /** A copy with a known size. */
  public Snapshot withSize(long bytes) {
    return new Snapshot(id, workload, version, name, trigger, status, parent, createdAt, expiresAt,
        OptionalLong.of(bytes), partial, isProtected, labels, host, manifest, failure);
  }

  /** A copy with the protected flag set or cleared. */
  public Snapshot withProtected(boolean value) {
    return new Snapshot(id, workload, version, name, trigger, status, parent, createdAt, expiresAt,
        sizeBytes, partial, value, labels, host, manifest, failure);
  }
}
