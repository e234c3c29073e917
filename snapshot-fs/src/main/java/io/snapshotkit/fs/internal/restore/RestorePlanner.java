package io.snapshotkit.fs.internal.restore;

import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.internal.files.PathRules;
import io.snapshotkit.fs.internal.repo.FsRepository;
import io.snapshotkit.fs.internal.repo.Summary;
import io.snapshotkit.spi.RestoreRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Turns a restore request into a checked plan: resolves the snapshot, parses the {@code volume}
 * and {@code volume:path} selections, maps each selected volume to its live directory or to one
 * under the request's target directory, and runs the pre-flight. Touches nothing.
 *
 * <p><b>Thread-safety:</b> immutable; safe for concurrent use.
 */
public final class RestorePlanner {
  private final FsRepository repo;
  private final Restorer restorer;
  private final String hostId;

  /** Plans restores from {@code repo}, checked by {@code restorer}'s pre-flight. */
  public RestorePlanner(FsRepository repo, Restorer restorer, String hostId) {
    this.repo = repo;
    this.restorer = restorer;
    this.hostId = hostId;
  }

  /**
   * A checked restore: where each selected volume goes, what is selected, and what the caller
   * should be told (volumes left as they are).
   *
   * @param targets volume name → directory to restore into
   * @param selection what to restore
   * @param warnings lines for the restore outcome
   */
  /**
   * A checked restore: where each volume goes, what is selected, warnings, and what it will write
   * ({@code entries} and {@code bytes} of file content, the totals of its progress).
   */
  public record Plan(Map<String, Path> targets, Selection selection, List<String> warnings, long entries,
      long bytes) {}

  /**
   * Resolves and checks everything a restore needs, touching nothing: the snapshot is held, the
   * selection names its volumes and safe paths, every selected volume has a directory (the
   * workload's live volume, or one under the request's target directory), and the {@link
   * Preflight} passes.
   *
   * @param liveVolumes the workload's live volume directories (called only without a target)
   */
  public Plan plan(RestoreRequest request, Function<WorkloadRef, Map<String, Path>> liveVolumes) {
    Objects.requireNonNull(request, "request");
    WorkloadRef w = request.workload();
    SnapshotId id = request.snapshotId();
    Summary summary = repo.summary(w, id).orElseThrow(() -> SnapshotException.notFound(
        "snapshot " + id + " of " + w + " is not on host " + hostId + "; restore one this host holds")
        .withSnapshot(id).withWorkload(w));
    Map<String, List<String>> selected = select(request.paths(), summary);
    Map<String, Path> targets = new TreeMap<>();
    List<String> warnings = new ArrayList<>();
    if (request.target().isPresent()) {
      Path root = targetDirectory(request.target().get());
      selected.keySet().forEach(v -> targets.put(v, root.resolve(v)));
    } else {
      Map<String, Path> live = liveVolumes.apply(w);
      List<String> unmapped = new ArrayList<>();
      for (String v : selected.keySet()) {
        Path p = live.get(v);
        if (p == null) {
          unmapped.add(v);
        } else {
          targets.put(v, p);
        }
      }
      if (!unmapped.isEmpty()) {
        throw SnapshotException.invalid("snapshot " + id + " has volumes " + unmapped + " that workload " + w
            + " no longer maps on host " + hostId + "; map them again or restore into a target directory")
            .withSnapshot(id).withWorkload(w);
      }
      live.keySet().stream().filter(v -> !summary.volumes().containsKey(v)).forEach(v ->
          warnings.add("volume '" + v + "' is not in snapshot " + id + " and was left as it is"));
    }
    Selection selection = new Selection(selected);
    Preflight.Plan checked = restorer.preflight(w, id, targets, selection, summary);
    return new Plan(targets, selection, warnings, checked.entries(), checked.bytes());
  }

  private Path targetDirectory(String target) {
    Path root;
    try {
      root = Path.of(target);
    } catch (RuntimeException e) {
      throw SnapshotException.invalid("restore target '" + target + "' is not a path on host " + hostId);
    }
    if (!root.isAbsolute()) {
      throw SnapshotException.invalid("restore target '" + target + "' must be an absolute directory path");
    }
    root = root.normalize();
    if (root.getParent() == null || root.startsWith(repo.root()) || repo.root().startsWith(root)) {
      throw SnapshotException.invalid("restore target " + root + " must not be the filesystem root, nor "
          + "overlap the repository " + repo.root());
    }
    Path existing = root;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing != null && !Files.isDirectory(existing)) {
      throw SnapshotException.invalid("restore target " + root + (existing.equals(root) ? " is" : " is below "
          + existing + ", which is") + " a file, not a directory; restore into a directory (created if missing)");
    }
    return root;
  }

  /** Parses {@code volume} / {@code volume:path} selections: volume → prefixes (empty = whole volume). */
  private static Map<String, List<String>> select(List<String> paths, Summary summary) {
    Map<String, List<String>> out = new TreeMap<>();
    if (paths.isEmpty()) {
      summary.volumes().keySet().forEach(v -> out.put(v, List.of()));
      return out;
    }
    Map<String, List<String>> prefixes = new TreeMap<>();
    List<String> problems = new ArrayList<>();
    for (String sel : paths) {
      int colon = sel.indexOf(':');
      String volume = colon < 0 ? sel : sel.substring(0, colon);
      String path = colon < 0 ? "" : sel.substring(colon + 1);
      while (path.endsWith("/")) {
        path = path.substring(0, path.length() - 1);
      }
      if (!summary.volumes().containsKey(volume)) {
        problems.add("'" + sel + "' names volume '" + volume + "', which the snapshot does not have (it has "
            + summary.volumes().keySet() + ")");
        continue;
      }
      if (!path.isEmpty()) {
        Optional<String> bad = PathRules.pathProblem(path, 4096);
        if (bad.isPresent()) {
          problems.add("'" + sel + "': " + bad.get());
          continue;
        }
      }
      List<String> list = prefixes.computeIfAbsent(volume, v -> new ArrayList<>());
      if (path.isEmpty()) {
        list.add(null);
      } else {
        list.add(path);
      }
    }
    if (!problems.isEmpty()) {
      throw SnapshotException.invalid("bad restore paths: " + String.join("; ", problems)
          + "; select 'volume' or 'volume:relative/path'");
    }
    prefixes.forEach((v, list) -> out.put(v, list.contains(null) ? List.of() : List.copyOf(list)));
    return out;
  }
}
