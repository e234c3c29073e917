package io.snapshotkit.s3;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * What the store's {@link S3Upload}s share: the bucket, the reads (to check that a name is free),
 * the cache their copies go to, the part size and the pool multipart parts are sent on.
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
final class S3Uploads implements AutoCloseable {
  private final S3Bucket bucket;
  private final S3Reads reads;
  private final ObjectCache cache;
  private final long partSize;
  private final ExecutorService parts;

  S3Uploads(S3Bucket bucket, S3Reads reads, ObjectCache cache, long partSize, int maxConcurrency) {
    this.bucket = bucket;
    this.reads = reads;
    this.cache = cache;
    this.partSize = partSize;
    ThreadPoolExecutor pool = new ThreadPoolExecutor(maxConcurrency, maxConcurrency, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "snapshotkit-s3-part");
          t.setDaemon(true);
          return t;
        });
    pool.allowCoreThreadTimeOut(true);
    this.parts = pool;
  }

  /** Starts writing {@code name}; nothing is visible until the upload is published. */
  S3Upload start(String name) {
    return new S3Upload(this, name, bucket.key(name));
  }

  S3Bucket bucket() {
    return bucket;
  }

  S3Reads reads() {
    return reads;
  }

  ObjectCache cache() {
    return cache;
  }

  long partSize() {
    return partSize;
  }

  ExecutorService partExecutor() {
    return parts;
  }

  /** Stops the part uploads' threads. */
  @Override
  public void close() {
    parts.shutdownNow();
  }
}
