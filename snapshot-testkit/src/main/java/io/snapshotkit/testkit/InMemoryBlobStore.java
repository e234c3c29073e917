package io.snapshotkit.testkit;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.spi.BlobStore;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A {@link BlobStore} in memory, with switches to make it fail and a way to lose a blob behind
 * the engine's back (to prove degraded diffs and {@code CORRUPT} restores).
 *
 * <p>Bytes are copied in and out, so callers cannot change what is stored.
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
public final class InMemoryBlobStore implements BlobStore {
  private final ConcurrentMap<String, byte[]> blobs = new ConcurrentHashMap<>();
  private final AtomicBoolean failPuts = new AtomicBoolean();
  private final AtomicBoolean failGets = new AtomicBoolean();

  /** An empty store that does not fail. */
  public InMemoryBlobStore() {}

  /**
   * {@inheritDoc}
   *
   * @throws SnapshotException {@code INTERNAL} while {@link #failPuts(boolean) failPuts(true)} is set
   */
  @Override
  public void put(String key, byte[] data) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(data, "data");
    if (failPuts.get()) {
      throw new SnapshotException(ErrorCode.INTERNAL,
          "blob put of '" + key + "' failed (injected by InMemoryBlobStore.failPuts)");
    }
    blobs.put(key, data.clone());
  }

  /**
   * {@inheritDoc}
   *
   * @throws SnapshotException {@code INTERNAL} while {@link #failGets(boolean) failGets(true)} is set
   */
  @Override
  public Optional<byte[]> get(String key) {
    Objects.requireNonNull(key, "key");
    if (failGets.get()) {
      throw new SnapshotException(ErrorCode.INTERNAL,
          "blob get of '" + key + "' failed (injected by InMemoryBlobStore.failGets)");
    }
    return Optional.ofNullable(blobs.get(key)).map(byte[]::clone);
  }

  @Override
  public void delete(String key) {
    Objects.requireNonNull(key, "key");
    blobs.remove(key);
  }

  /** Makes every later {@link #put} throw (true) or succeed again (false). */
  public void failPuts(boolean fail) {
    failPuts.set(fail);
  }

  /** Makes every later {@link #get} throw (true) or succeed again (false). */
  public void failGets(boolean fail) {
    failGets.set(fail);
  }

  /**
   * Deletes a blob behind the engine's back, as a lost or garbage-collected object would be.
   *
   * @return whether there was such a blob
   */
  public boolean lose(String key) {
    Objects.requireNonNull(key, "key");
    return blobs.remove(key) != null;
  }

  /** The keys stored now, sorted. */
  public Set<String> keys() {
    return new TreeSet<>(blobs.keySet());
  }
}
