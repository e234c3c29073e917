package io.snapshotkit.s3;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The store's listing and deletes, which keep the {@link ObjectCache} in step with the bucket: a
 * listing drops cached copies the bucket no longer has (another host's gc deleted them), a delete
 * drops the deleted object's copy.
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
final class S3Listing {
  private final S3Bucket bucket;
  private final S3Reads reads;
  private final ObjectCache cache;

  S3Listing(S3Bucket bucket, S3Reads reads, ObjectCache cache) {
    this.bucket = bucket;
    this.reads = reads;
    this.cache = cache;
  }

  List<String> list(String namePrefix) throws IOException {
    String full = bucket.prefix() + namePrefix;
    List<String> out = bucket.call("list " + namePrefix, () -> {
      List<String> names = new ArrayList<>();
      for (S3Object o : bucket.client().listObjectsV2Paginator(ListObjectsV2Request.builder()
          .bucket(bucket.bucket()).prefix(full).build()).contents()) {
        names.add(bucket.name(o.key()));
      }
      return names;
    });
    out.sort(null);
    cache.retainOnly(namePrefix, out);
    return out;
  }

  boolean delete(String name) throws IOException {
    String key = bucket.key(name);
    boolean existed = reads.exists(name);
    bucket.call(name, () -> bucket.client().deleteObject(DeleteObjectRequest.builder().bucket(bucket.bucket())
        .key(key).build()));
    cache.remove(name);
    return existed;
  }
}
