package io.snapshotkit.s3;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;

/**
 * The store's reads: whole objects, byte ranges and sizes, through the local {@link ObjectCache}.
 * The first range read of a pack or index file downloads it whole into the cache (concurrent
 * reads share one download and each returns once the download passed its range); later ranges
 * are read locally.
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
final class S3Reads {
  private static final Logger LOG = LoggerFactory.getLogger(S3Reads.class);
  private final S3Bucket bucket;
  private final ObjectCache cache;
  private final Executor executor;
  private final ConcurrentHashMap<String, Download> fetching = new ConcurrentHashMap<>();
  /** Sizes of packs and index files as the last listing of their prefix gave them. */
  private final ConcurrentHashMap<String, Long> listed = new ConcurrentHashMap<>();

  S3Reads(S3Bucket bucket, ObjectCache cache, Executor executor) {
    this.bucket = bucket;
    this.cache = cache;
    this.executor = executor;
  }

  /**
   * Whether the bucket holds an object of this name: always a request, never the cache, so a
   * put-if-absent and a delete's answer are exact even when another host deleted a cached object.
   */
  boolean exists(String name) throws IOException {
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
    if (hit.isEmpty() && ObjectCache.cacheable(name)) {
      hit = fetched(name, key, offset, length);
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
   * The object's size: for a pack or index file (write-once) the cached copy's size or the size
   * the last listing of its prefix gave; a HEAD request otherwise.
   */
  long size(String name) throws IOException {
    OptionalLong cached = cache.size(name);
    if (cached.isPresent()) {
      return cached.getAsLong();
    }
    Long listedSize = listed.get(name);
    return listedSize != null ? listedSize : head(name);
  }

  /**
   * Remembers the sizes a listing of {@code prefix} gave for packs and index files, and forgets
   * those under {@code prefix} it no longer names (deleted).
   */
  void listed(String prefix, Map<String, Long> sizes) {
    listed.keySet().removeIf(n -> n.startsWith(prefix) && !sizes.containsKey(n));
    sizes.forEach((n, size) -> {
      if (ObjectCache.cacheable(n)) {
        listed.put(n, size);
      }
    });
  }

  /** Forgets what a listing said about a deleted object. */
  void deleted(String name) {
    listed.remove(name);
  }

  private long head(String name) throws IOException {
    String key = bucket.key(name);
    return bucket.call(name, () -> bucket.client().headObject(HeadObjectRequest.builder().bucket(bucket.bucket())
        .key(key).build()).contentLength());
  }

  /**
   * Reads a range of a pack or index file missing from the cache through a download of the whole
   * object into the cache, started by its first range read on the executor: a restore or an index
   * lookup then reads locally instead of sending one request per content or index page. Every
   * reader of the object (the first included) gets its range as soon as the download has passed
   * the range's end, so reading overlaps the download rather than waiting for all of it.
   *
   * @return the range, or empty if it must be read from the bucket (no cache, or the download
   *     failed or ended before the range)
   */
  private Optional<byte[]> fetched(String name, String key, long offset, int length) throws IOException {
    Download d = new Download();
    Download running = fetching.putIfAbsent(name, d);
    if (running != null) {
      d = running;
    } else {
      Optional<byte[]> now = cache.getRange(name, offset, length); // a download may have just ended
      if (now.isPresent()) {
        d.end(true);
        fetching.remove(name, d);
        return now;
      }
      Optional<ObjectCache.Fill> fill = cache.fill(name);
      if (fill.isEmpty()) {
        d.end(false);
        fetching.remove(name, d);
        return Optional.empty();
      }
      d.partial = fill.get().partial();
      Download mine = d;
      try {
        executor.execute(() -> download(name, key, fill.get(), mine));
      } catch (RuntimeException e) { // the executor is shut down: the store is closing
        fill.get().close();
        mine.end(false);
        fetching.remove(name, mine);
        return Optional.empty();
      }
    }
    if (!d.await(offset + length)) {
      return d.ok() ? cache.getRange(name, offset, length) : Optional.empty();
    }
    // the bytes are in the partial file, or in the cached copy if the download was just committed
    Optional<byte[]> r = ObjectCache.readRange(d.partial, offset, length);
    return r.isPresent() ? r : cache.getRange(name, offset, length);
  }

  private void download(String name, String key, ObjectCache.Fill fill, Download d) {
    boolean ok = false;
    try (fill) {
      bucket.call(name, () -> {
        try (ResponseInputStream<GetObjectResponse> in = bucket.client().getObject(GetObjectRequest.builder()
            .bucket(bucket.bucket()).key(key).build())) {
          byte[] buf = new byte[1 << 17];
          for (int n; (n = in.read(buf)) > 0; ) {
            fill.out.write(buf, 0, n);
            d.advance(n);
          }
        }
        return null;
      });
      fill.commit();
      ok = true;
    } catch (IOException | RuntimeException e) {
      LOG.debug("downloading {} into the cache failed; its ranges are read from the bucket", name, e);
    } finally {
      d.end(ok);
      fetching.remove(name, d);
    }
  }

  /** A whole-object download in progress: how many bytes the partial file holds so far. */
  private static final class Download {
    private volatile Path partial;
    private long done;
    private boolean ended;
    private boolean ok;

    synchronized void advance(long n) {
      done += n;
      notifyAll();
    }

    synchronized void end(boolean ok) {
      this.ok = ok;
      ended = true;
      notifyAll();
    }

    synchronized boolean ok() {
      return ok;
    }

    /** Waits until the partial file holds {@code end} bytes (true) or the download ended short of it (false). */
    synchronized boolean await(long end) throws InterruptedIOException {
      while (done < end && !ended) {
        try {
          wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while waiting for a download");
        }
      }
      return done >= end;
    }
  }
}
