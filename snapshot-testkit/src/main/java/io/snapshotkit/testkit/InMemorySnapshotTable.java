package io.snapshotkit.testkit;

import io.snapshotkit.Page;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotOrigin;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.TenantId;
import io.snapshotkit.WorkloadRef;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The snapshot data of {@link InMemoryManifestStore}: rows by id, manifests, and each workload's
 * highest version. Reads answer the store's queries; each write pushes onto the caller's undo log
 * the step that reverses it, so a transaction can roll back.
 *
 * <p><b>Thread-safety:</b> not thread-safe; every call is made with the store's lock held.
 */
final class InMemorySnapshotTable {

  private final TreeMap<SnapshotId, Snapshot> rows = new TreeMap<>();
  private final Map<SnapshotId, byte[]> manifests = new HashMap<>();
  private final Map<WorkloadRef, Integer> highestVersion = new HashMap<>();
  private final Map<SnapshotId, SnapshotOrigin> origins = new HashMap<>();

  // ---------------------------------------------------------------- writes (undo-logged)

  /** Puts {@code row} in place of any row with its id. */
  void put(Snapshot row, Deque<Runnable> undo) {
    Snapshot before = rows.put(row.id(), row);
    undo.push(() -> {
      if (before == null) {
        rows.remove(row.id());
      } else {
        rows.put(row.id(), before);
      }
    });
  }

  /** The workload's next version, counted from 1 and never reused; the counter keeps it. */
  int nextVersion(WorkloadRef workload, Deque<Runnable> undo) {
    Integer before = highestVersion.get(workload);
    int next = before == null ? 1 : before + 1;
    highestVersion.put(workload, next);
    undo.push(() -> {
      if (before == null) {
        highestVersion.remove(workload);
      } else {
        highestVersion.put(workload, before);
      }
    });
    return next;
  }

  /** Stores a copy of {@code json} as the snapshot's manifest, replacing any earlier one. */
  void putManifest(SnapshotId id, byte[] json, Deque<Runnable> undo) {
    byte[] before = manifests.put(id, json.clone());
    undo.push(() -> {
      if (before == null) {
        manifests.remove(id);
      } else {
        manifests.put(id, before);
      }
    });
  }

  /** Records a forked snapshot's origin; NOT_FOUND if the row is missing. */
  void putOrigin(SnapshotId id, SnapshotOrigin origin, Deque<Runnable> undo) {
    if (!rows.containsKey(id)) {
      throw SnapshotException.notFound("snapshot " + id + " does not exist; its origin cannot be recorded");
    }
    SnapshotOrigin before = origins.put(id, origin);
    undo.push(() -> {
      if (before == null) {
        origins.remove(id);
      } else {
        origins.put(id, before);
      }
    });
  }

  /** Removes the row, its manifest and origin if the row is in status {@code expected}; false if not. */
  boolean remove(SnapshotId id, SnapshotStatus expected, Deque<Runnable> undo) {
    Snapshot row = rows.get(id);
    if (row == null || row.status() != expected) {
      return false;
    }
    rows.remove(id);
    byte[] manifest = manifests.remove(id);
    SnapshotOrigin origin = origins.remove(id);
    undo.push(() -> {
      rows.put(id, row);
      if (manifest != null) {
        manifests.put(id, manifest);
      }
      if (origin != null) {
        origins.put(id, origin);
      }
    });
    return true;
  }

  // ---------------------------------------------------------------- reads

  /** The row with this id, if any. */
  Optional<Snapshot> find(SnapshotId id) {
    return Optional.ofNullable(rows.get(id));
  }

  /** Whether a row with this id exists. */
  boolean contains(SnapshotId id) {
    return rows.containsKey(id);
  }

  /** How many of the workload's rows count against its quota. */
  long countingAgainstQuota(WorkloadRef workload) {
    return rows.values().stream()
        .filter(s -> s.workload().equals(workload) && s.status().countsAgainstQuota())
        .count();
  }

  /** A page of matching rows, newest id first, after the query's cursor. */
  Page<Snapshot> list(SnapshotQuery query) {
    Map<SnapshotId, Snapshot> candidates = query.cursor()
        .map(c -> (Map<SnapshotId, Snapshot>) rows.headMap(c, false).descendingMap())
        .orElse(rows.descendingMap());
    List<Snapshot> items = new ArrayList<>();
    boolean more = false;
    for (Snapshot s : candidates.values()) {
      if (!query.matches(s)) {
        continue;
      }
      if (items.size() == query.limit()) {
        more = true;
        break;
      }
      items.add(s);
    }
    Optional<SnapshotId> next = more ? Optional.of(items.get(items.size() - 1).id()) : Optional.empty();
    return new Page<>(items, next);
  }

  /** The workload's versioned rows, by version. */
  List<Snapshot> versions(WorkloadRef workload) {
    return rows.values().stream()
        .filter(s -> s.workload().equals(workload) && s.version() > 0)
        .sorted(Comparator.comparingInt(Snapshot::version))
        .toList();
  }

  /** Unprotected READY or DELETING rows expired at {@code now}, soonest expiry first. */
  List<Snapshot> expired(Instant now, int limit) {
    return rows.values().stream()
        .filter(s -> (s.status() == SnapshotStatus.READY || s.status() == SnapshotStatus.DELETING) && !s.isProtected()
            && s.expiresAt().map(t -> !t.isAfter(now)).orElse(false))
        .sorted(Comparator.comparing((Snapshot s) -> s.expiresAt().orElseThrow()).thenComparing(Snapshot::id))
        .limit(limit)
        .toList();
  }

  /** CAPTURING rows created before {@code before}, oldest first. */
  List<Snapshot> capturingSince(Instant before, int limit) {
    return rows.values().stream()
        .filter(s -> s.status() == SnapshotStatus.CAPTURING && s.createdAt().isBefore(before))
        .sorted(Comparator.comparing(Snapshot::createdAt).thenComparing(Snapshot::id))
        .limit(limit)
        .toList();
  }

  /** The summed known sizes of the tenant's READY and DELETING rows. */
  long usageBytes(TenantId tenant) {
    return rows.values().stream()
        .filter(s -> s.tenant().equals(tenant)
            && (s.status() == SnapshotStatus.READY || s.status() == SnapshotStatus.DELETING))
        .mapToLong(s -> s.sizeBytes().orElse(0L))
        .sum();
  }

  /** A copy of the snapshot's manifest, if one is stored. */
  Optional<byte[]> manifest(SnapshotId id) {
    return Optional.ofNullable(manifests.get(id)).map(byte[]::clone);
  }

  /** A forked snapshot's origin, if it has one. */
  Optional<SnapshotOrigin> origin(SnapshotId id) {
    return Optional.ofNullable(origins.get(id));
  }

  /** How many rows there are, in every status and tenant. */
  int size() {
    return rows.size();
  }
}
