package io.snapshotkit.s3;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.fs.store.ObjectStore;
import java.io.IOException;
import java.util.concurrent.Semaphore;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * One bucket and key prefix behind one SDK client: every request of the store goes through
 * {@link #call}, which bounds the requests in flight and turns what the SDK throws into what the
 * repository expects ({@link S3Errors}).
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
final class S3Bucket implements AutoCloseable {
  private final S3Client s3;
  private final String bucket;
  private final String prefix;
  private final Semaphore requests;
  private final String where;

  S3Bucket(S3Client s3, String bucket, String prefix, int maxConcurrency, String where) {
    this.s3 = s3;
    this.bucket = bucket;
    this.prefix = prefix;
    this.requests = new Semaphore(maxConcurrency);
    this.where = where;
  }

  /** The key of an object name: the prefix, then the checked name. */
  String key(String name) {
    return prefix + ObjectStore.checkName(name);
  }

  /** The object name of a key listed under the prefix. */
  String name(String key) {
    return key.substring(prefix.length());
  }

  String prefix() {
    return prefix;
  }

  S3Client client() {
    return s3;
  }

  String bucket() {
    return bucket;
  }

  /** Where the objects are, for messages: {@code s3://bucket/prefix at endpoint}. */
  String where() {
    return where;
  }

  /** One request to the bucket, within the concurrency bound, its failure translated. */
  <T> T call(String what, Request<T> request) throws IOException {
    try {
      requests.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SnapshotException(ErrorCode.HOST_UNAVAILABLE, "interrupted while waiting to " + what + " on " + where);
    }
    try {
      return request.run();
    } catch (SdkException e) {
      if (S3Errors.notFound(e)) {
        throw S3Errors.missing(what);
      }
      throw S3Errors.translate(where, what, e);
    } finally {
      requests.release();
    }
  }

  /** {@link #call} for a request that stores data, whose 5xx may mean a full store ({@link S3Errors#storing}). */
  <T> T write(String what, Request<T> request) throws IOException {
    try {
      return call(what, request);
    } catch (SnapshotException e) {
      throw S3Errors.storing(this, what, e);
    }
  }

  /** A request to the bucket. */
  interface Request<T> {
    T run() throws IOException;
  }

  /** Closes the SDK client. */
  @Override
  public void close() {
    s3.close();
  }
}
