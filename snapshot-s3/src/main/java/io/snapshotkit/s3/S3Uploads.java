package io.snapshotkit.s3;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * What the store's {@link S3Upload}s share: the bucket, the reads (to check that a name is free),
 * the cache their copies go to, the part size and the pool multipart parts are sent on (the
 * store's {@linkplain #transferPool transfer pool}) and the register of open multipart uploads.
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
final class S3Uploads {
  private final S3Bucket bucket;
  private final S3Reads reads;
  private final ObjectCache cache;
  private final long partSize;
  private final ExecutorService parts;
  private final MultipartUploads multipart;

  S3Uploads(S3Bucket bucket, S3Reads reads, ObjectCache cache, long partSize, ExecutorService parts,
      MultipartUploads multipart) {
    this.bucket = bucket;
    this.reads = reads;
    this.cache = cache;
    this.partSize = partSize;
    this.parts = parts;
    this.multipart = multipart;
  }

  /**
   * The store's pool for transfers that run beside their caller: multipart parts and whole-object
   * downloads into the cache. Daemon threads, at most {@code threads}, ended when idle.
   */
  static ExecutorService transferPool(int threads) {
    ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "snapshotkit-s3-transfer");
          t.setDaemon(true);
          return t;
        });
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /**
   * Starts writing {@code name}; nothing is visible until the upload is published. With {@code
   * unique} (a name no other writer uses) publishing sends no HEAD to check that the name is free.
   */
  S3Upload start(String name, boolean unique) {
    return new S3Upload(this, name, bucket.key(name), unique);
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

  /** The multipart uploads this process writes, which gc must never abort as abandoned. */
  MultipartUploads multipart() {
    return multipart;
  }
}
