package io.snapshotkit.core;

import io.snapshotkit.Manifest;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of reading a stored manifest: the manifest, or one line saying why it could not be
 * read (never its contents), and whether that is because it was reached but is damaged
 * ({@code corrupt}) rather than unreachable.
 */
record ManifestRead(Optional<Manifest> manifest, Optional<String> problem, boolean corrupt) {
  ManifestRead {
    Objects.requireNonNull(manifest, "manifest");
    Objects.requireNonNull(problem, "problem");
    if (manifest.isPresent() == problem.isPresent()) {
      throw new IllegalArgumentException("a manifest read has either a manifest or a problem");
    }
    if (corrupt && problem.isEmpty()) {
      throw new IllegalArgumentException("a corrupt manifest read has a problem");
    }
  }

  static ManifestRead of(Manifest manifest) {
    return new ManifestRead(Optional.of(manifest), Optional.empty(), false);
  }

  /** A manifest that could not be reached: missing, or its store unreadable. */
  static ManifestRead problem(String problem) {
    return new ManifestRead(Optional.empty(), Optional.of(problem), false);
  }

  /** A manifest that was read but fails its integrity check (not valid manifest JSON). */
  static ManifestRead corrupt(String problem) {
    return new ManifestRead(Optional.empty(), Optional.of(problem), true);
  }
}
