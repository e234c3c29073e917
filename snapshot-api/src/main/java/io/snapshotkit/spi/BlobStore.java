package io.snapshotkit.spi;

import java.util.Optional;

/**
 * Storage for manifests too large to keep inline in the {@link ManifestStore}.
 *
 * <p><b>Threading:</b> thread-safe.
 *
 * <p><b>Failure:</b> a failing {@link #put} makes the engine fall back to an inline manifest;
 * a failing {@link #get} makes diffs degraded and restores fail with {@code CORRUPT}.
 */
public interface BlobStore {
  /**
   * Stores {@code data} under {@code key}, replacing what was there.
   *
   * <p><b>Idempotency:</b> putting the same bytes twice is harmless.
   */
  void put(String key, byte[] data);

  /**
   * The bytes under {@code key}, or empty if there are none.
   *
   * <p><b>Idempotency:</b> read-only.
   */
  Optional<byte[]> get(String key);

  /**
   * Removes {@code key}.
   *
   * <p><b>Idempotency:</b> removing a missing key is harmless.
   */
  void delete(String key);
}
