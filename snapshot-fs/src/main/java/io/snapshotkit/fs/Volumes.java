package io.snapshotkit.fs;

import io.snapshotkit.SnapshotException;
import io.snapshotkit.WorkloadRef;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
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
import java.util.regex.Pattern;

/**
 * Volume maps: validation, and the registry of tracked workloads persisted under the
 * repository's {@code workloads/} directory (one small properties file per workload, written
 * atomically). Thread-safe: writes are serialized on the instance.
 */
final class Volumes {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final String SUFFIX = ".volumes";

  private final Path dir;
  private final Path repositoryRoot;

  Volumes(Path dir, Path repositoryRoot) {
    this.dir = dir;
    this.repositoryRoot = repositoryRoot;
  }

  /** Whether {@code name} is a valid volume name. */
  static boolean validName(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  /**
   * Checks and normalizes a volume map: at least one volume, valid names, absolute paths with a
   * parent directory, no volume inside another or inside the repository (and the reverse).
   *
   * @throws SnapshotException INVALID_ARGUMENT listing every problem
   */
  Map<String, Path> validate(Map<String, Path> volumes) {
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

  synchronized void track(WorkloadRef w, Map<String, Path> volumes) {
    Properties p = new Properties();
    volumes.forEach((name, path) -> p.setProperty(name, path.toString()));
    StringWriter text = new StringWriter();
    try {
      p.store(text, "volumes of workload " + w.key());
      Files.createDirectories(file(w).getParent());
      AtomicFiles.write(file(w), text.toString().getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw SnapshotException.wrap("saving the volumes of " + w, e);
    }
  }

  synchronized boolean untrack(WorkloadRef w) {
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

  Optional<Map<String, Path>> tracked(WorkloadRef w) {
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
    Map<String, Path> out = new TreeMap<>();
    for (String name : p.stringPropertyNames()) {
      out.put(name, Path.of(p.getProperty(name)));
    }
    return Optional.of(out);
  }
}
