package io.snapshotkit.fs.internal.repo;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Excludes;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.internal.files.AtomicFiles;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Volume maps: validation, and the registry of tracked workloads persisted under the
 * repository's {@code workloads/} directory (one small properties file per workload, written
 * atomically). Thread-safe: writes are serialized on the instance.
 */
public final class Volumes {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final String SUFFIX = ".volumes";
  /** Prefix of the keys holding exclude patterns: no volume name starts with it. */
  private static final String EXCLUDE_KEY = "@exclude.";

  private final Path dir;
  private final Path repositoryRoot;

  public Volumes(Path dir, Path repositoryRoot) {
    this.dir = dir;
    this.repositoryRoot = repositoryRoot;
  }

  /** Whether {@code name} is a valid volume name. */
  public static boolean validName(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  /**
   * Checks and normalizes a volume map: at least one volume, valid names, absolute paths with a
   * parent directory, no volume inside another or inside the repository (and the reverse).
   *
   * @throws SnapshotException INVALID_ARGUMENT listing every problem
   */
  public Map<String, Path> validate(Map<String, Path> volumes) {
    Objects.requireNonNull(volumes, "volumes");
    List<String> problems = new ArrayList<>();
    Map<String, Path> out = new TreeMap<>();
    if (volumes.isEmpty()) {
      problems.add("a workload has at least one volume");
    }
    volumes.forEach((name, path) -> {
      if (!validName(name)) {
        problems.add("volume name '" + name + "' may contain only letters, digits and . _ - (1 to 128, starting "
            + "with a letter or digit)");
        return;
      }
      if (path == null || !path.isAbsolute()) {
        problems.add("volume '" + name + "' needs an absolute directory path, not " + path);
        return;
      }
      Path p = path.normalize();
      if (p.getParent() == null) {
        problems.add("volume '" + name + "' cannot be the filesystem root; its restore stages beside it");
        return;
      }
      if (p.startsWith(repositoryRoot) || repositoryRoot.startsWith(p)) {
        problems.add("volume '" + name + "' at " + p + " overlaps the repository " + repositoryRoot
            + "; keep the repository outside every volume");
        return;
      }
      out.put(name, p);
    });
    List<Map.Entry<String, Path>> list = new ArrayList<>(out.entrySet());
    for (int i = 0; i < list.size(); i++) {
      for (int j = i + 1; j < list.size(); j++) {
        Path a = list.get(i).getValue();
        Path b = list.get(j).getValue();
        if (a.startsWith(b) || b.startsWith(a)) {
          problems.add("volumes '" + list.get(i).getKey() + "' and '" + list.get(j).getKey()
              + "' overlap (" + a + ", " + b + "); give each volume its own directory");
        }
      }
    }
    if (!problems.isEmpty()) {
      throw SnapshotException.invalid(String.join("; ", problems));
    }
    return out;
  }

  private Path file(WorkloadRef w) {
    return dir.resolve(w.tenant().value()).resolve(w.id() + SUFFIX);
  }

  /**
   * Persists {@code w}'s validated volume map and its exclude patterns (keys {@code @exclude.NNNN},
   * which no volume name can be), replacing any earlier ones, unless one of its
   * directories is, contains or is inside a volume another tracked workload (of any tenant) holds:
   * a restore of one would then rewrite the other. Directories are compared by their real paths
   * (links resolved, as far as the directory exists). Maps a {@link io.snapshotkit.fs.VolumeResolver} gives are not
   * seen here: the resolver's owner keeps those apart.
   *
   * @throws SnapshotException CONFLICT naming both workloads and both directories of each overlap
   */
  public synchronized void track(WorkloadRef w, Map<String, Path> volumes, Excludes excludes) {
    checkUnshared(w, volumes);
    Properties p = new Properties();
    volumes.forEach((name, path) -> p.setProperty(name, path.toString()));
    List<String> patterns = excludes.patterns();
    for (int i = 0; i < patterns.size(); i++) {
      p.setProperty(String.format("%s%04d", EXCLUDE_KEY, i), patterns.get(i));
    }
    StringWriter text = new StringWriter();
    try {
      p.store(text, "volumes of workload " + w.key());
      Files.createDirectories(file(w).getParent());
      AtomicFiles.write(file(w), text.toString().getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw SnapshotException.wrap("saving the volumes of " + w, e);
    }
  }

  /**
   * Checks that no tracked workload but {@code w} holds a volume that is, contains or is inside
   * one of {@code volumes}' directories (see {@link #track}).
   *
   * @throws SnapshotException CONFLICT naming both workloads and both directories of each overlap
   */
  public synchronized void checkUnshared(WorkloadRef w, Map<String, Path> volumes) {
    List<String> overlaps = new ArrayList<>();
    Map<String, Path> real = new TreeMap<>();
    volumes.forEach((name, path) -> real.put(name, realPath(path)));
    for (Map.Entry<WorkloadRef, Map<String, Path>> other : others(w).entrySet()) {
      other.getValue().forEach((otherName, otherPath) -> {
        Path otherReal = realPath(otherPath);
        volumes.forEach((name, path) -> {
          Path mine = real.get(name);
          if (mine.startsWith(otherReal) || otherReal.startsWith(mine)) {
            String relation = mine.equals(otherReal) ? "is the same directory as" : mine.startsWith(otherReal) ? "is inside" : "contains";
            overlaps.add("volume '" + name + "' of workload " + w.key() + " at " + shown(path, mine) + " " + relation
                + " volume '" + otherName + "' of workload " + other.getKey().key() + " at " + shown(otherPath, otherReal));
          }
        });
      });
    }
    if (!overlaps.isEmpty()) {
      throw new SnapshotException(ErrorCode.CONFLICT, String.join("; ", overlaps) + "; a restore of one would "
          + "rewrite the other: choose a directory no other workload holds, or untrack the other workload first")
          .withWorkload(w);
    }
  }

  public synchronized boolean untrack(WorkloadRef w) {
    try {
      boolean existed = Files.deleteIfExists(file(w));
      if (existed) {
        AtomicFiles.fsyncDirectory(file(w).getParent());
      }
      return existed;
    } catch (IOException e) {
      throw SnapshotException.wrap("forgetting the volumes of " + w, e);
    }
  }

  /** Every tracked workload but {@code w}, with its map. */
  private Map<WorkloadRef, Map<String, Path>> others(WorkloadRef w) {
    Map<WorkloadRef, Map<String, Path>> out = new TreeMap<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (DirectoryStream<Path> tenants = Files.newDirectoryStream(dir, Files::isDirectory)) {
      for (Path tenant : tenants) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(tenant, "*" + SUFFIX)) {
          for (Path f : files) {
            String name = f.getFileName().toString();
            WorkloadRef other;
            try {
              other = WorkloadRef.of(tenant.getFileName().toString(), name.substring(0, name.length() - SUFFIX.length()));
            } catch (SnapshotException notOurs) {
              continue; // track never writes such a name: not a tracked map
            }
            if (!other.equals(w)) {
              tracked(other).ifPresent(m -> out.put(other, m));
            }
          }
        }
      }
    } catch (IOException e) {
      throw SnapshotException.wrap("listing the tracked workloads in " + dir, e);
    }
    return out;
  }

  /**
   * {@code path} with its links resolved: the real path of its deepest existing ancestor, joined
   * with the part that does not exist yet.
   */
  static Path realPath(Path path) {
    Path p = path.toAbsolutePath().normalize();
    Path rest = p.getFileSystem().getPath("");
    for (Path at = p; at != null; at = at.getParent()) {
      try {
        return at.toRealPath().resolve(rest).normalize();
      } catch (IOException e) {
        Path name = at.getFileName();
        rest = name == null ? rest : name.resolve(rest);
      }
    }
    return p;
  }

  private static String shown(Path given, Path real) {
    return given.normalize().equals(real) ? given.toString() : given + " (really " + real + ")";
  }

  public Optional<Map<String, Path>> tracked(WorkloadRef w) {
    return load(w).map(p -> {
      Map<String, Path> out = new TreeMap<>();
      for (String name : p.stringPropertyNames()) {
        if (!name.startsWith(EXCLUDE_KEY)) {
          out.put(name, Path.of(p.getProperty(name)));
        }
      }
      return out;
    });
  }

  /** The exclude patterns tracked with {@code w}'s volumes; none if it has none or is not tracked. */
  public Excludes trackedExcludes(WorkloadRef w) {
    return load(w).map(p -> {
      List<String> patterns = new ArrayList<>();
      new TreeSet<>(p.stringPropertyNames()).stream().filter(k -> k.startsWith(EXCLUDE_KEY))
          .forEach(k -> patterns.add(p.getProperty(k)));
      return Excludes.of(patterns);
    }).orElse(Excludes.none());
  }

  private Optional<Properties> load(WorkloadRef w) {
    String text;
    try {
      text = Files.readString(file(w), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw SnapshotException.wrap("reading the volumes of " + w, e);
    }
    Properties p = new Properties();
    try {
      p.load(new StringReader(text));
    } catch (IOException | IllegalArgumentException e) {
      throw SnapshotException.wrap("parsing the volumes of " + w, e);
    }
    return Optional.of(p);
  }
}
