package io.snapshotkit;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The differences between a snapshot ({@code from}, the older side) and another snapshot or the
 * workload's current state ({@code to}, the newer side), per family. Computed on demand, never stored.
 *
 * <p>A diff is {@code degraded} when one side could not be read completely (an external manifest
 * whose blob is missing, say): its families then show only what could be compared, and
 * {@link #problems()} says what was missing. A degraded diff is never silently empty.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param from the older side
 * @param to the newer side; empty means the workload's current state
 * @param families per-family differences, only families with a difference; sorted by name
 * @param degraded whether a side could not be read completely
 * @param problems what could not be read, for people (never manifest contents)
 */
public record DiffResult(
    SnapshotId from, Optional<SnapshotId> to, Map<String, FamilyDiff> families, boolean degraded,
    List<String> problems) {

  /** Validates and copies. */
  public DiffResult {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(families, "families");
    problems = List.copyOf(problems);
    TreeMap<String, FamilyDiff> copy = new TreeMap<>();
    families.forEach((name, diff) -> {
      if (!diff.changes().isEmpty()) {
        copy.put(name, diff);
      }
    });
    families = Collections.unmodifiableMap(copy);
    if (degraded && problems.isEmpty()) {
      throw new IllegalArgumentException("a degraded diff says what could not be read");
    }
  }

  /** Whether the two sides are the same (and both were read completely). */
  public boolean isEmpty() {
    return !degraded && families.isEmpty();
  }

  /** Total number of differences across families. */
  public long size() {
    return families.values().stream().mapToLong(f -> f.changes().size()).sum();
  }
}
