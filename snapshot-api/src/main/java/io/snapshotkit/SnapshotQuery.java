package io.snapshotkit;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * A page request for snapshots of one tenant, newest first.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param tenant whose snapshots
 * @param workloadId only this workload's, if present
 * @param statuses only these statuses; empty means all
 * @param triggers only these triggers; empty means all
 * @param limit page size, clamped to 1..{@value #MAX_LIMIT}
 * @param cursor continue after this one (from {@link Page#nextCursor()})
 * @param labels only snapshots carrying every one of these labels with exactly this value; empty
 *     means all; at most {@value #MAX_LABELS} pairs, keys non-empty
 */
public record SnapshotQuery(
    TenantId tenant, Optional<String> workloadId, Set<SnapshotStatus> statuses, Set<Trigger> triggers,
    int limit, Optional<SnapshotId> cursor, Map<String, String> labels) {

  /** The page size when none is given. */
  public static final int DEFAULT_LIMIT = 100;
  /** The largest page size. */
  public static final int MAX_LIMIT = 500;
  /** The most label pairs one query may filter by. */
  public static final int MAX_LABELS = 16;

  /**
   * Validates, copies and clamps the limit.
   *
   * @throws SnapshotException INVALID_ARGUMENT for an empty label key or more than
   *     {@value #MAX_LABELS} label pairs
   */
  public SnapshotQuery {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(workloadId, "workloadId");
    Objects.requireNonNull(cursor, "cursor");
    Objects.requireNonNull(labels, "labels");
    statuses = Set.copyOf(statuses);
    triggers = Set.copyOf(triggers);
    limit = Math.max(1, Math.min(MAX_LIMIT, limit));
    labels = checkedLabels(labels);
  }

  /**
   * A query without a label filter: the shape this record had before labels could be filtered by.
   *
   * @param tenant whose snapshots
   * @param workloadId only this workload's, if present
   * @param statuses only these statuses; empty means all
   * @param triggers only these triggers; empty means all
   * @param limit page size, clamped to 1..{@value #MAX_LIMIT}
   * @param cursor continue after this one
   */
  public SnapshotQuery(TenantId tenant, Optional<String> workloadId, Set<SnapshotStatus> statuses,
      Set<Trigger> triggers, int limit, Optional<SnapshotId> cursor) {
    this(tenant, workloadId, statuses, triggers, limit, cursor, Map.of());
  }

  /** Every snapshot of the tenant, default page size. */
  public static SnapshotQuery of(TenantId tenant) {
    return new SnapshotQuery(tenant, Optional.empty(), Set.of(), Set.of(), DEFAULT_LIMIT, Optional.empty(), Map.of());
  }

  /** Every snapshot of one workload, default page size. */
  public static SnapshotQuery of(WorkloadRef workload) {
    return of(workload.tenant()).workload(workload.id());
  }

  /** Only this workload's. */
  public SnapshotQuery workload(String id) {
    return new SnapshotQuery(tenant, Optional.of(id), statuses, triggers, limit, cursor, labels);
  }

  /** Only these statuses. */
  public SnapshotQuery statuses(Set<SnapshotStatus> only) {
    return new SnapshotQuery(tenant, workloadId, only, triggers, limit, cursor, labels);
  }

  /** Only these triggers. */
  public SnapshotQuery triggers(Set<Trigger> only) {
    return new SnapshotQuery(tenant, workloadId, statuses, only, limit, cursor, labels);
  }

  /**
   * Only snapshots carrying every one of these labels with exactly these values (replacing any
   * label filter given before; empty removes it).
   *
   * @throws SnapshotException INVALID_ARGUMENT for an empty key or more than {@value #MAX_LABELS} pairs
   */
  public SnapshotQuery labels(Map<String, String> only) {
    return new SnapshotQuery(tenant, workloadId, statuses, triggers, limit, cursor, only);
  }

  /**
   * Also only snapshots carrying label {@code key} with exactly {@code value}.
   *
   * @throws SnapshotException INVALID_ARGUMENT for an empty key or more than {@value #MAX_LABELS} pairs
   */
  public SnapshotQuery label(String key, String value) {
    Map<String, String> more = new TreeMap<>(labels);
    more.put(Objects.requireNonNull(key, "label key"), Objects.requireNonNull(value, "label value"));
    return labels(more);
  }

  /**
   * Also only snapshots carrying the label written {@code key=value} (as the CLI's {@code --label}
   * and the REST API's {@code ?label=} take it): the key is what comes before the first {@code =},
   * the value everything after it, and may be empty.
   *
   * @throws SnapshotException INVALID_ARGUMENT when there is no {@code =} or the key is empty
   */
  public SnapshotQuery label(String pair) {
    Objects.requireNonNull(pair, "label");
    int eq = pair.indexOf('=');
    if (eq <= 0) {
      throw SnapshotException.invalid("a label filter is written KEY=VALUE, with a non-empty key: '" + pair + "'");
    }
    return label(pair.substring(0, eq), pair.substring(eq + 1));
  }

  /** Another page size (clamped). */
  public SnapshotQuery limit(int size) {
    return new SnapshotQuery(tenant, workloadId, statuses, triggers, size, cursor, labels);
  }

  /** Continue after this snapshot. */
  public SnapshotQuery after(SnapshotId last) {
    return new SnapshotQuery(tenant, workloadId, statuses, triggers, limit, Optional.of(last), labels);
  }

  /** Whether a snapshot matches the filters (not the cursor or limit). */
  public boolean matches(Snapshot s) {
    return s.tenant().equals(tenant)
        && workloadId.map(w -> w.equals(s.workload().id())).orElse(true)
        && (statuses.isEmpty() || statuses.contains(s.status()))
        && (triggers.isEmpty() || triggers.contains(s.trigger()))
        && s.labels().entrySet().containsAll(labels.entrySet());
  }

  private static Map<String, String> checkedLabels(Map<String, String> labels) {
    if (labels.size() > MAX_LABELS) {
      throw SnapshotException.invalid("a query filters by at most " + MAX_LABELS + " labels, not " + labels.size()
          + "; narrow it by workload, status or trigger instead");
    }
    Map<String, String> copy = new TreeMap<>();
    labels.forEach((k, v) -> {
      Objects.requireNonNull(k, "label key");
      Objects.requireNonNull(v, "label value");
      if (k.isEmpty()) {
        throw SnapshotException.invalid("a label filter needs a non-empty key");
      }
      copy.put(k, v);
    });
    return Collections.unmodifiableMap(copy);
  }
}
