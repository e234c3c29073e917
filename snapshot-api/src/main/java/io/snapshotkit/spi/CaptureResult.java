package io.snapshotkit.spi;

import io.snapshotkit.Manifest;
import java.util.Objects;

/**
 * What a {@link HostAgent} captured.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param manifest what the snapshot contains; {@link Manifest#partial()} says whether it is complete
 * @param sizeBytes the bytes the snapshot occupies on the host (new bytes, for incremental stores)
 */
public record CaptureResult(Manifest manifest, long sizeBytes) {
  /** Validates. */
  public CaptureResult {
    Objects.requireNonNull(manifest, "manifest");
    if (sizeBytes < 0) {
      throw new IllegalArgumentException("sizeBytes must not be negative: " + sizeBytes);
    }
  }

  /** Whether the capture could not read everything. */
  public boolean partial() {
    return manifest.partial();
  }
}
