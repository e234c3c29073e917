package io.snapshotkit.fs.internal.restore;

import io.snapshotkit.Excludes;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.FileType;
import io.snapshotkit.fs.internal.files.RawNames;
import io.snapshotkit.fs.internal.repo.Entry;
import io.snapshotkit.fs.internal.repo.FsRepository;
import io.snapshotkit.fs.internal.repo.TreeReader;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Keeps a replace restore off the paths the snapshot's capture excluded. A replace makes each
 * selected unit (a volume, or a selected path) exactly the snapshot's by swapping it whole; a unit
 * that holds excluded paths on disk is instead split into the largest pieces that hold none:
 * every directory on the way from the unit down to an excluded path is kept where it is (its
 * mode and times too), each of its other children (on disk or in the snapshot) becomes a unit of its
 * own, and the excluded paths are never renamed, overwritten or removed. The existing journaled
 * swap of selected paths then does the rest, with its crash safety unchanged.
 *
 * <p>Costs one walk of each unit's live tree (not descending into excluded directories) and one
 * pass over the snapshot's entries, only when the snapshot has exclude patterns.
 */
public final class ExcludedPaths {
  private ExcludedPaths() {}

  /**
   * What to swap instead of {@code sel}, and what was left alone.
   *
   * @param selection the units to replace; volumes with nothing left to replace are absent
   * @param warnings one line per volume where excluded paths were kept, and per kept directory the
   *     snapshot holds as something else
   */
  public record Refined(Selection selection, List<String> warnings) {
    /** Copies. */
    public Refined {
      warnings = List.copyOf(warnings);
    }
  }

  /**
   * Splits {@code sel}'s units around the excluded paths present in {@code targets}.
   *
   * @throws SnapshotException INTERNAL (cause kept) if a live directory cannot be listed
   */
  public static Refined refine(FsRepository repo, WorkloadRef w, SnapshotId id, Map<String, Path> targets,
      Selection sel, Excludes excludes) {
    if (excludes.isEmpty()) {
      return new Refined(sel, List.of());
    }
    List<String> warnings = new ArrayList<>();
    Map<String, List<String>> out = new TreeMap<>();
    Map<String, Set<String>> kept = new HashMap<>();
    Map<String, Set<String>> excluded = new HashMap<>();
    try {
      for (Map.Entry<String, List<String>> v : sel.volumes().entrySet()) {
        String volume = v.getKey();
        Path root = targets.get(volume);
        List<String> units = v.getValue().isEmpty() ? List.of("") : v.getValue();
        Set<String> keep = new HashSet<>();
        Set<String> found = new HashSet<>();
        List<String> whole = new ArrayList<>();
        for (String unit : units) {
          Path live = unit.isEmpty() ? root : RawNames.resolve(root, unit);
          Optional<BasicFileAttributes> a = Preflight.attributes(live);
          if (!unit.isEmpty() && a.isPresent() && excludes.excludes(unit, a.get().isDirectory())) {
            warnings.add("'" + volume + ":" + unit + "' is excluded from the snapshot's capture; left as it is");
            continue;
          }
          Set<String> x = new HashSet<>();
          if (a.isPresent() && a.get().isDirectory() && !a.get().isSymbolicLink()) {
            walk(live, unit, excludes, x);
          }
          if (x.isEmpty()) {
            whole.add(unit);
            continue;
          }
          found.addAll(x);
          for (String p : x) {
            for (String d = parent(p); d != null; d = d.length() > unit.length() ? parent(d) : null) {
              keep.add(d);
            }
          }
        }
        List<String> pieces = new ArrayList<>(whole);
        for (String d : keep) {
          try (DirectoryStream<Path> children = Files.newDirectoryStream(d.isEmpty() ? root : RawNames.resolve(root, d))) {
            for (Path child : children) {
              String c = join(d, RawNames.name(child));
              if (!keep.contains(c) && !found.contains(c)) {
                pieces.add(c);
              }
            }
          }
        }
        if (!keep.isEmpty()) {
          kept.put(volume, keep);
          excluded.put(volume, found);
          warnings.add("volume '" + volume + "': left " + found.size() + " excluded path(s) as they are (the "
              + "snapshot's exclude patterns " + excludes.patterns() + "); the directories holding them were kept "
              + "and only their other contents replaced");
        }
        out.put(volume, pieces);
      }
      if (!kept.isEmpty()) {
        try (TreeReader r = repo.entries(w, id)) {
          while (r.hasNext()) {
            Entry e = r.next();
            Set<String> keep = kept.get(e.volume());
            if (keep == null) {
              continue;
            }
            String p = e.path();
            if (keep.contains(p)) {
              if (e.type() != FileType.DIRECTORY) {
                warnings.add("'" + e.volume() + ":" + p + "' is a " + e.type().name().toLowerCase(java.util.Locale.ROOT)
                    + " in the snapshot but a directory holding excluded paths on disk; the directory was kept");
              }
            } else if (keep.contains(parentOrRoot(p)) && !excluded.get(e.volume()).contains(p)) {
              out.get(e.volume()).add(p);
            }
          }
        }
      }
    } catch (NoSuchFileException | NotDirectoryException e) {
      throw SnapshotException.invalid("a directory of the restore target changed while the restore was being "
          + "planned (" + e.getMessage() + "); retry when nothing else writes to the volumes");
    } catch (IOException e) {
      throw SnapshotException.wrap("listing the excluded paths of the restore target", e);
    }
    Map<String, List<String>> units = new TreeMap<>();
    out.forEach((volume, pieces) -> {
      if (!pieces.isEmpty()) {
        boolean wholeVolume = pieces.size() == 1 && pieces.get(0).isEmpty();
        units.put(volume, wholeVolume ? List.of() : List.copyOf(new TreeSet<>(pieces)));
      }
    });
    return new Refined(new Selection(units), warnings);
  }

  /** Adds to {@code out} every excluded path under {@code dir}, not descending into excluded directories. */
  private static void walk(Path dir, String prefix, Excludes excludes, Set<String> out) throws IOException {
    try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
      for (Path child : children) {
        String rel = join(prefix, RawNames.name(child));
        boolean isDir = Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS);
        if (excludes.excludesEntry(rel, isDir)) {
          out.add(rel);
        } else if (isDir) {
          walk(child, rel, excludes, out);
        }
      }
    }
  }

  private static String join(String dir, String name) {
    return dir.isEmpty() ? name : dir + "/" + name;
  }

  /** The parent of a path, "" for a top-level one, null for the root. */
  private static String parent(String p) {
    if (p.isEmpty()) {
      return null;
    }
    int slash = p.lastIndexOf('/');
    return slash < 0 ? "" : p.substring(0, slash);
  }

  private static String parentOrRoot(String p) {
    int slash = p.lastIndexOf('/');
    return slash < 0 ? "" : p.substring(0, slash);
  }
}
