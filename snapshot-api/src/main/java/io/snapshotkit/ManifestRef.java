package io.snapshotkit;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Where a READY snapshot's manifest lives, with the small summary every listing can show without
 * loading it: inline in the {@link io.snapshotkit.spi.ManifestStore}, or out of line in the
 * {@link io.snapshotkit.spi.BlobStore} under {@code blobKey}.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param external whether the manifest is a blob
 * @param blobKey the blob's key when external
 * @param counts resources per family
 * @param bytes the manifest's serialized size
 */
public record ManifestRef(boolean external, Optional<String> blobKey, Map<String, Integer> counts, long bytes) {
  /** Validates and copies. */
  public ManifestRef {
    Objects.requireNonNull(blobKey, "blobKey");
    Objects.requireNonNull(counts, "counts");
    if (external != blobKey.isPresent()) {
      throw new IllegalArgumentException("an external manifest has a blob key and an inline one has none");
    }
    counts = Collections.unmodifiableMap(new TreeMap<>(counts));
  }

  /** A manifest stored inline. */
  public static ManifestRef inline(Map<String, Integer> counts, long bytes) {
    return new ManifestRef(false, Optional.empty(), counts, bytes);
  }

  /** A manifest stored as a blob. */
  public static ManifestRef external(String blobKey, Map<String, Integer> counts, long bytes) {
    return new ManifestRef(true, Optional.of(blobKey), counts, bytes);
  }
}
