package io.snapshotkit.s3;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.NoSuchFileException;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;

/**
 * The store's reads: whole objects, byte ranges and sizes, through the local {@link ObjectCache}.
 * The first range read of a pack or index file downloads it whole into the cache (concurrent
 * first reads share one download); later ranges are read locally.
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
final class S3Reads {
  private final S3Bucket bucket;
  private final ObjectCache cache;
  private final ConcurrentHashMap<String, CompletableFuture<Boolean>> fetching = new ConcurrentHashMap<>();

  S3Reads(S3Bucket bucket, ObjectCache cache) {
    this.bucket = bucket;
    this.cache = cache;
  }

  /**
   * Whether an object of this name exists. A pack or index file in the cache exists without a
   * request, as {@link #get} and {@link #getRange} read it from there.
   */
  boolean exists(String name) throws IOException {
    return cache.size(name).isPresent() || existsInBucket(name);
  }

  /** Whether the bucket holds an object of this name: always a request. */
  boolean existsInBucket(String name) throws IOException {
    try {
      head(name);
      return true;
    } catch (NoSuchFileException e) {
      return false;
    }
  }

  byte[] get(String name) throws IOException {
    String key = bucket.key(name);
    Optional<byte[]> hit = cache.get(name);
    if (hit.isPresent()) {
      return hit.get();
    }
    byte[] bytes = bucket.call(name, () -> bucket.client().getObjectAsBytes(GetObjectRequest.builder()
        .bucket(bucket.bucket()).key(key).build()).asByteArray());
    cache.fill(name).ifPresent(f -> {
      try (f) {
        f.out.write(bytes);
        f.commit();
      } catch (IOException e) {
        // only a copy: the next read goes to the bucket
      }
    });
    return bytes;
  }

  byte[] getRange(String name, long offset, int length) throws IOException {
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException("bad range " + offset + "+" + length + " of " + name);
    }
    String key = bucket.key(name);
    if (length == 0) {
      size(name);
      return new byte[0];
    }
    Optional<byte[]> hit = cache.getRange(name, offset, length);
    if (hit.isEmpty() && ObjectCache.cacheable(name) && fetchWhole(name, key)) {
      hit = cache.getRange(name, offset, length);
    }
    if (hit.isPresent()) {
      return hit.get();
    }
    String range = "bytes=" + offset + "-" + (offset + length - 1);
    byte[] bytes = bucket.call(name, () -> bucket.client().getObjectAsBytes(GetObjectRequest.builder()
        .bucket(bucket.bucket()).key(key).range(range).build()).asByteArray());
    if (bytes.length != length) {
      throw new EOFException(name + " ends before " + (offset + length));
    }
    return bytes;
  }

  /**
   * The object's size: from the cache for a cached pack or index file (write-once, so the copy's
   * size is the object's), from a HEAD request otherwise.
   */
  long size(String name) throws IOException {
    OptionalLong cached = cache.size(name);
    return cached.isPresent() ? cached.getAsLong() : head(name);
  }

  private long head(String name) throws IOException {
    String key = bucket.key(name);
    return bucket.call(name, () -> bucket.client().headObject(HeadObjectRequest.builder().bucket(bucket.bucket())
        .key(key).build()).contentLength());
  }

  /**
   * Downloads a whole pack or index file into the cache on its first range read: a restore or an
   * index lookup then reads it locally instead of sending one request per content or index page.
   * Concurrent first reads of one object share the download.
   *
   * @return whether the cache now holds it
   */
  private boolean fetchWhole(String name, String key) throws IOException {
    CompletableFuture<Boolean> mine = new CompletableFuture<>();
    CompletableFuture<Boolean> running = fetching.putIfAbsent(name, mine);
    if (running != null) {
      try {
        return running.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while " + name + " was downloaded");
      } catch (ExecutionException e) {
        return false; // the other reader failed: this one reads its range from the bucket
      }
    }
    try {
      Optional<ObjectCache.Fill> fill = cache.fill(name);
      if (fill.isEmpty()) {
        mine.complete(false);
        return false;
      }
      try (ObjectCache.Fill f = fill.get()) {
        bucket.call(name, () -> {
          try (ResponseInputStream<GetObjectResponse> in = bucket.client().getObject(GetObjectRequest.builder()
              .bucket(bucket.bucket()).key(key).build())) {
            in.transferTo(f.out);
          }
          return null;
        });
        f.commit();
      }
      mine.complete(true);
      return true;
    } catch (IOException | RuntimeException e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      fetching.remove(name, mine);
    }
  }
}
