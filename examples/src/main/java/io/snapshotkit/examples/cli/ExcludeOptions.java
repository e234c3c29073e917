package io.snapshotkit.examples.cli;

import io.snapshotkit.Excludes;
import io.snapshotkit.SnapshotException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The exclude options, shared by {@code track} and {@code capture}: {@code --exclude-file FILE}
 * (a {@code .gitignore}-style file) and {@code --exclude PATTERN}, both repeatable; the files'
 * patterns come first, then the {@code --exclude} ones, so a later {@code !pattern} can re-include.
 *
 * <p><b>Thread-safety:</b> not thread-safe; one instance belongs to one command.
 */
final class ExcludeOptions {
  @Option(names = "--exclude", paramLabel = "PATTERN",
      description = "Leave out what this gitignore-style pattern matches in every volume (node_modules/, *.log, "
          + "/build, **/cache, !keep.log); repeatable.")
  List<String> patterns = new ArrayList<>();

  @Option(names = "--exclude-file", paramLabel = "FILE",
      description = "Read exclude patterns from a .gitignore-style FILE (one per line, # comments); repeatable.")
  List<Path> files = new ArrayList<>();

  /** Whether any option was given. */
  boolean given() {
    return !patterns.isEmpty() || !files.isEmpty();
  }

  /**
   * The patterns the options give (none without options).
   *
   * @throws SnapshotException INVALID_ARGUMENT for a bad pattern (naming it), or a file that cannot be read
   */
  Excludes excludes() {
    Excludes out = Excludes.none();
    for (Path f : files) {
      String text;
      try {
        text = Files.readString(f, StandardCharsets.UTF_8);
      } catch (NoSuchFileException e) {
        throw SnapshotException.invalid("--exclude-file " + f + " does not exist; give a .gitignore-style file");
      } catch (IOException e) {
        throw SnapshotException.invalid("--exclude-file " + f + " cannot be read as UTF-8 text (" + e.getMessage()
            + "); give a .gitignore-style file");
      }
      try {
        out = out.and(Excludes.parse(text));
      } catch (SnapshotException e) {
        throw SnapshotException.invalid("--exclude-file " + f + ": " + e.getMessage());
      }
    }
    return out.and(Excludes.of(patterns));
  }
}
