package io.snapshotkit.examples.cli;

import io.snapshotkit.SnapshotException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The CLI's home directory and what lives in it: {@code snapshotkit.db} (SQLite: snapshot rows,
 * versions, events) and {@code repository/} (the snapshot-fs content store and tracked volumes).
 *
 * <p>Resolution order: the {@code --home} option, then the {@value #ENV} environment variable,
 * then {@code ~/.snapshotkit}.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param dir the home directory, absolute and normalised
 * @param source where it came from, for messages: {@code --home}, the variable's name, or {@code default}
 */
record Home(Path dir, String source) {
  /** The environment variable naming the home directory. */
  static final String ENV = "SNAPSHOTKIT_HOME";

  Home {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(source, "source");
    dir = dir.toAbsolutePath().normalize();
  }

  /**
   * Resolves the home directory.
   *
   * @param option the {@code --home} value, if given
   * @param env the process environment
   * @param userHome the user's home directory ({@code user.home})
   * @throws SnapshotException INVALID_ARGUMENT for a path the platform cannot represent
   */
  static Home resolve(Optional<String> option, Map<String, String> env, String userHome) {
    Objects.requireNonNull(option, "option");
    Objects.requireNonNull(env, "env");
    Objects.requireNonNull(userHome, "userHome");
    if (option.isPresent()) {
      return new Home(path(option.get(), "--home", userHome), "--home");
    }
    String fromEnv = env.get(ENV);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return new Home(path(fromEnv, ENV, userHome), ENV);
    }
    return new Home(path(userHome, "user.home", userHome).resolve(".snapshotkit"), "default");
  }

  private static Path path(String text, String where, String userHome) {
    if (text.isBlank()) {
      throw SnapshotException.invalid(where + " is empty; give it a directory path");
    }
    try {
      return Path.of(expandTilde(text, userHome));
    } catch (InvalidPathException e) {
      throw SnapshotException.invalid(where + " is not a valid path (" + e.getReason() + "): " + text);
    }
  }

  /** A leading {@code ~} means the user's home, as a shell would expand it (for values set in files). */
  private static String expandTilde(String text, String userHome) {
    if (text.equals("~") || text.startsWith("~/")) {
      return userHome + text.substring(1);
    }
    return text;
  }

  /** The SQLite database file. */
  Path database() {
    return dir.resolve("snapshotkit.db");
  }

  /** The snapshot-fs repository directory. */
  Path repository() {
    return dir.resolve("repository");
  }

  /** Whether {@code init} has run here. */
  boolean initialized() {
    return Files.isRegularFile(database()) && Files.isDirectory(repository());
  }

  /**
   * Fails unless {@code init} has run here.
   *
   * @throws SnapshotException NOT_FOUND saying how to initialise
   */
  void requireInitialized() {
    if (!initialized()) {
      throw SnapshotException.notFound("no SnapshotKit home at " + dir + " (" + describeSource()
          + "); run `snapshotkit init` first, or pass --home DIR");
    }
  }

  private String describeSource() {
    return switch (source) {
      case "--home" -> "from --home";
      case "default" -> "the default; set " + ENV + " or --home to use another";
      default -> "from " + source;
    };
  }
}
