package io.snapshotkit.fs.internal.restore;

import io.snapshotkit.SnapshotException;
import io.snapshotkit.fs.internal.files.PathRules;
import io.snapshotkit.fs.internal.repo.Entry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which entries a restore covers: per volume, path prefixes (an empty list: the whole volume).
 * Volumes not in the map are not restored. Immutable.
 */
public record Selection(Map<String, List<String>> volumes) {
  public Selection {
    Map<String, List<String>> copy = new TreeMap<>();
    volumes.forEach((v, prefixes) -> copy.put(v, normalize(v, prefixes)));
    volumes = Collections.unmodifiableMap(copy);
  }

  /** Every volume, whole. */
  public static Selection all(Collection<String> volumes) {
    Map<String, List<String>> m = new TreeMap<>();
    volumes.forEach(v -> m.put(v, List.of()));
    return new Selection(m);
  }

  /**
   * Parses {@code RestoreRequest.paths()}: {@code "vol"} selects a whole volume, {@code
   * "vol:dir/file"} one path (and everything under it) in it; no items selects every volume.
   *
   * @throws SnapshotException INVALID_ARGUMENT for an unknown volume or an unsafe path
   */
  static Selection parse(List<String> items, Collection<String> volumes) {
    if (items.isEmpty()) {
      return all(volumes);
    }
    Map<String, List<String>> m = new TreeMap<>();
    for (String item : items) {
      int colon = item.indexOf(':');
      String volume = colon < 0 ? item : item.substring(0, colon);
      if (!volumes.contains(volume)) {
        throw SnapshotException.invalid("'" + item + "' names volume '" + volume + "', which the snapshot does "
            + "not have; its volumes are " + new TreeSet<>(volumes) + "; select 'volume' or 'volume:path'");
      }
      String path = colon < 0 ? "" : item.substring(colon + 1);
      List<String> prefixes = m.computeIfAbsent(volume, v -> new ArrayList<>());
      if (path.isEmpty() || path.equals("/")) {
        m.put(volume, new ArrayList<>(List.of("")));
      } else if (!(prefixes.size() == 1 && prefixes.get(0).isEmpty())) {
        prefixes.add(path);
      }
    }
    m.replaceAll((v, p) -> p.size() == 1 && p.get(0).isEmpty() ? List.of() : p);
    return new Selection(m);
  }

  private static List<String> normalize(String volume, List<String> prefixes) {
    TreeSet<String> sorted = new TreeSet<>();
    for (String p : prefixes) {
      String s = p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
      Optional<String> problem = PathRules.pathProblem(s, 4096);
      if (problem.isPresent()) {
        throw SnapshotException.invalid("cannot restore '" + volume + ":" + p + "': " + problem.get()
            + "; select paths relative to the volume, without '..'");
      }
      sorted.add(s);
    }
    List<String> out = new ArrayList<>();
    for (String s : sorted) {
      if (out.stream().noneMatch(o -> s.startsWith(o + "/"))) {
        out.add(s);
      }
    }
    return List.copyOf(out);
  }

  /** Whether an additive restore writes the entry: selected, under a selected path, or a parent of one. */
  boolean covers(Entry e) {
    List<String> prefixes = volumes.get(e.volume());
    if (prefixes == null) {
      return false;
    }
    if (prefixes.isEmpty()) {
      return true;
    }
    for (String p : prefixes) {
      if (e.path().equals(p) || e.path().startsWith(p + "/") || p.startsWith(e.path() + "/")) {
        return true;
      }
    }
    return false;
  }

  /** The selected path an entry belongs to ("" for a whole volume), or empty if not selected. */
  Optional<String> unitOf(Entry e) {
    List<String> prefixes = volumes.get(e.volume());
    if (prefixes == null) {
      return Optional.empty();
    }
    if (prefixes.isEmpty()) {
      return Optional.of("");
    }
    for (String p : prefixes) {
      if (e.path().equals(p) || e.path().startsWith(p + "/")) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }
}
