package io.snapshotkit.s3;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The store's listing and deletes, which keep the {@link ObjectCache} in step with the bucket: a
 * listing drops cached copies the bucket no longer has (another host's gc deleted them), a delete
 * drops the deleted object's copy. A listing also hands the sizes it got to {@link S3Reads}, so
 * opening a listed index file costs no HEAD.
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
    Map<String, Long> sizes = bucket.call("list " + namePrefix, () -> {
      Map<String, Long> names = new HashMap<>();
      for (S3Object o : bucket.client().listObjectsV2Paginator(ListObjectsV2Request.builder()
          .bucket(bucket.bucket()).prefix(full).build()).contents()) {
        names.put(bucket.name(o.key()), o.size());
      }
      return names;
    });
    List<String> out = new ArrayList<>(sizes.keySet());
    out.sort(null);
    cache.retainOnly(namePrefix, out);
    reads.listed(namePrefix, sizes);
    return out;
  }

  boolean delete(String name) throws IOException {
    boolean existed = reads.exists(name);
    discard(name);
    return existed;
  }

  /** Deletes the object if it exists: one DELETE (S3 answers it the same either way), the cached copy dropped. */
  void discard(String name) throws IOException {
    String key = bucket.key(name);
    try {
      bucket.call(name, () -> bucket.client().deleteObject(DeleteObjectRequest.builder().bucket(bucket.bucket())
          .key(key).build()));
    } catch (NoSuchFileException e) {
      // a server that answers 404 for a missing object: nothing to delete
    }
    cache.remove(name);
    reads.deleted(name);
  }
}
