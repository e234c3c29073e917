package io.snapshotkit.fs.internal.files;

import io.snapshotkit.SnapshotException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The parent directories of {@link SafeTree}'s entries: checks, without following links, that
 * every directory between the root and an entry is a real directory, creating the missing ones,
 * and remembers the ones already checked so a later entry beneath them costs one stat per new
 * level only.
 *
 * <p>This tree never deletes or replaces anything and its root is private to it (see
 * {@link SafeTree}'s limitation), so a directory once known stays a real directory.
 *
 * <p><b>Thread-safety:</b> not thread-safe; confined to the thread that adds the tree's entries.
 */
final class RealParents {

  private final Path root;
  /** Words a refusal for the tree's origin (see {@link SafeTree#unsafe}). */
  private final Function<String, SnapshotException> unsafe;
  /** Directories the tree created or found to be real directories. */
  private final Set<Path> known = new HashSet<>();

  RealParents(Path root, Function<String, SnapshotException> unsafe) {
    this.root = root;
    this.unsafe = unsafe;
  }

  /** Records a directory the tree just created or found to be a real directory. */
  void known(Path directory) {
    known.add(directory);
  }

  /** Creates missing parents of {@code target} as real directories; refuses any parent that is not one. */
  void ensure(Path target) {
    Path parent = target.getParent();
    if (parent != null && known.contains(parent)) {
      // a known directory's ancestors were checked when it became known
      return;
    }
    Path relative = root.relativize(target);
    Path current = root;
    for (int i = 0; i < relative.getNameCount() - 1; i++) {
      current = current.resolve(relative.getName(i));
      if (known.contains(current)) {
        continue;
      }
      Optional<BasicFileAttributes> attrs = attributes(current);
      if (attrs.isEmpty()) {
        try {
          Files.createDirectory(current);
        } catch (IOException e) {
          throw SnapshotException.wrap("creating directory " + current, e);
        }
      } else if (attrs.get().isSymbolicLink()) {
        throw unsafe.apply("entry '" + PathRules.printable(relative.toString())
            + "' would be written through the symlink '" + PathRules.printable(root.relativize(current).toString())
            + "'");
      } else if (!attrs.get().isDirectory()) {
        throw unsafe.apply("entry '" + PathRules.printable(relative.toString()) + "' would be written under the file '"
            + PathRules.printable(root.relativize(current).toString()) + "'");
      }
      known.add(current);
    }
  }

  /**
   * Refuses {@code target} unless every parent already exists as a real directory; creates nothing.
   *
   * @param what the entry, for the message ("hard link 'a/b'")
   */
  void check(Path target, String what) {
    Path relative = root.relativize(target);
    Path current = root;
    for (int i = 0; i < relative.getNameCount() - 1; i++) {
      current = current.resolve(relative.getName(i));
      Optional<BasicFileAttributes> attrs = attributes(current);
      if (attrs.isEmpty() || !attrs.get().isDirectory()) {
        throw unsafe.apply(what + " passes through '" + PathRules.printable(root.relativize(current).toString())
            + "', which is not a real directory");
      }
    }
  }

  /** The entry's own attributes, not following a link; empty if nothing is there. */
  static Optional<BasicFileAttributes> attributes(Path path) {
    try {
      return Optional.of(Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw SnapshotException.wrap("reading attributes of " + path, e);
    }
  }
}
