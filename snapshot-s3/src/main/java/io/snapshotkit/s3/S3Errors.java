package io.snapshotkit.s3;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.Set;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Turns what the SDK throws into what the repository expects from an {@code ObjectStore}: a
 * missing object is a {@link NoSuchFileException}; a refused, unreachable or failing bucket is a
 * {@link SnapshotException} that says what to do (the SDK has already retried throttling and 5xx
 * answers by then).
 */
final class S3Errors {
  private S3Errors() {}

  /** A call to the bucket. */
  interface Call<T> {
    T run() throws IOException;
  }

  /**
   * The answers of services that say the bucket or its storage is full: 507 Insufficient Storage,
   * Ceph RGW's {@code QuotaExceeded} (a 403), MinIO's {@code XMinioStorageFull} and bucket quota.
   */
  private static final Set<String> FULL = Set.of("QuotaExceeded", "XMinioStorageFull",
      "XMinioAdminBucketQuotaExceeded", "InsufficientStorage");

  private static final String FREE_SPACE = "delete snapshots you no longer need and run gc (both work on a full "
      + "bucket), or raise the bucket's quota, then retry";

  static SnapshotException translate(String where, String what, SdkException e) {
    if (e instanceof S3Exception s3) {
      int status = s3.statusCode();
      String code = s3.awsErrorDetails() == null || s3.awsErrorDetails().errorCode() == null ? ""
          : s3.awsErrorDetails().errorCode();
      if (status == 507 || FULL.contains(code)) {
        return new SnapshotException(ErrorCode.INSUFFICIENT_STORAGE, what + " on " + where + " was refused: the "
            + "bucket is full or over its quota (" + status + " " + code + "); " + FREE_SPACE, e);
      }
      if (status == 403) {
        return new SnapshotException(ErrorCode.FORBIDDEN, what + " on " + where + " was refused (403 " + code
            + "); give these credentials read, write, list and delete permission on the bucket and prefix", e);
      }
      if (status == 404 && "NoSuchBucket".equals(code)) {
        return new SnapshotException(ErrorCode.NOT_FOUND, "the bucket of " + where
            + " does not exist; create it, or name an existing bucket", e);
      }
      if (status >= 500 || status == 429) {
        return new SnapshotException(ErrorCode.HOST_UNAVAILABLE, what + " on " + where + " failed with " + status
            + " " + code + " after retries; the object store is unavailable or throttling, retry later", e);
      }
      return new SnapshotException(ErrorCode.INTERNAL, what + " on " + where + " failed with " + status + " " + code
          + "; see the cause and report it to the maintainers", e);
    }
    if (e instanceof SdkClientException) {
      return new SnapshotException(ErrorCode.HOST_UNAVAILABLE, what + " on " + where
          + " failed: the object store cannot be reached (" + e.getMessage() + "); check that it runs and "
          + "that the endpoint is right, then retry", e);
    }
    return new SnapshotException(ErrorCode.HOST_UNAVAILABLE, what + " on " + where + " failed (" + e.getMessage()
        + "); retry later", e);
  }

  /**
   * A request that stores data failed {@code e}: if that is a 5xx other than 503 after every
   * retry while the bucket still answers a HEAD, the server stores nothing more, which is how a
   * server on a full filesystem answers (S3Proxy's filesystem backend gives a bare 500 on ENOSPC,
   * with no error code): INSUFFICIENT_STORAGE, saying that the server's log has the cause. An
   * unreachable server stays HOST_UNAVAILABLE.
   */
  static SnapshotException storing(S3Bucket store, String what, SnapshotException e) {
    if (e.code() != ErrorCode.HOST_UNAVAILABLE || !(e.getCause() instanceof S3Exception s3)
        || s3.statusCode() < 500 || s3.statusCode() == 503) {
      return e;
    }
    try {
      store.call("check the bucket", () -> store.client().headBucket(b -> b.bucket(store.bucket())));
    } catch (IOException | RuntimeException unreachable) {
      e.addSuppressed(unreachable);
      return e;
    }
    return new SnapshotException(ErrorCode.INSUFFICIENT_STORAGE, what + " on " + store.where() + " failed with "
        + s3.statusCode() + " after retries while the bucket still answers reads: the object store is most likely "
        + "full or over its quota (its log says); " + FREE_SPACE, e);
  }

  static boolean notFound(SdkException e) {
    return e instanceof S3Exception s3 && s3.statusCode() == 404 && (s3.awsErrorDetails() == null
        || !"NoSuchBucket".equals(s3.awsErrorDetails().errorCode()));
  }

  static NoSuchFileException missing(String name) {
    return new NoSuchFileException(name);
  }
}
