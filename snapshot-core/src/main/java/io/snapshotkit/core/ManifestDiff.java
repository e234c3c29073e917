package io.snapshotkit.core;

import io.snapshotkit.Change;
import io.snapshotkit.DiffResult;
import io.snapshotkit.FamilyDiff;
import io.snapshotkit.Manifest;
import io.snapshotkit.Resource;
import io.snapshotkit.SnapshotId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Diffs two manifests family by family, matching resources by natural key. Pure and stateless;
 * linear in the number of resources, so a million-entry family diffs in one pass.
 */
final class ManifestDiff {
  private ManifestDiff() {}

  /**
   * The diff of two sides, each either a readable manifest or a problem. If either side has a
   * problem the result is degraded with no families: an unreadable side is never shown as "no
   * differences".
   */
  static DiffResult diff(SnapshotId from, Optional<SnapshotId> to, ManifestRead older, ManifestRead newer) {
    List<String> problems = new ArrayList<>();
    older.problem().ifPresent(problems::add);
    newer.problem().ifPresent(problems::add);
    if (!problems.isEmpty()) {
      return new DiffResult(from, to, Map.of(), true, problems);
    }
    return new DiffResult(from, to, families(older.manifest().orElseThrow(), newer.manifest().orElseThrow()),
        false, List.of());
  }

  /** Per-family differences from {@code older} to {@code newer}, families sorted by name. */
  static Map<String, FamilyDiff> families(Manifest older, Manifest newer) {
    TreeSet<String> names = new TreeSet<>(older.families().keySet());
    names.addAll(newer.families().keySet());
    Map<String, FamilyDiff> result = new TreeMap<>();
    for (String family : names) {
      List<Change> changes = changes(older.family(family), newer.family(family));
      if (!changes.isEmpty()) {
        result.put(family, new FamilyDiff(changes));
      }
    }
    return result;
  }

  private static List<Change> changes(List<Resource> older, List<Resource> newer) {
    Map<String, Resource> before = new HashMap<>(older.size() * 2);
    for (Resource r : older) {
      before.put(r.key(), r);
    }
    List<Change> changes = new ArrayList<>();
    for (Resource after : newer) {
      Resource was = before.remove(after.key());
      if (was == null) {
        changes.add(new Change.Added(after));
      } else if (!was.sameDocument(after)) {
        changes.add(new Change.Changed(was, after));
      }
    }
    for (Resource gone : before.values()) {
      changes.add(new Change.Removed(gone));
    }
    return changes;
  }
}
