package io.snapshotkit.core;

import io.snapshotkit.Manifest;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of reading a stored manifest: the manifest, or one line saying why it could not be
 * read (never its contents).
 */
record ManifestRead(Optional<Manifest> manifest, Optional<String> problem) {
  ManifestRead {
    Objects.requireNonNull(manifest, "manifest");
    Objects.requireNonNull(problem, "problem");
    if (manifest.isPresent() == problem.isPresent()) {
      throw new IllegalArgumentException("a manifest read has either a manifest or a problem");
    }
  }

  static ManifestRead of(Manifest manifest) {
    return new ManifestRead(Optional.of(manifest), Optional.empty());
  }

  static ManifestRead problem(String problem) {
    return new ManifestRead(Optional.empty(), Optional.of(problem));
  }
}
