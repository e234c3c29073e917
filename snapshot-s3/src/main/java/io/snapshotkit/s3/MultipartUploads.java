package io.snapshotkit.s3;

import io.snapshotkit.SnapshotException;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsRequest;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The incomplete multipart uploads under one store's prefix: which ones this process still
 * writes ({@link S3Upload} registers each between create and complete or abort), and the abort
 * of those a killed process left behind ({@link #abortAbandoned}), whose parts would otherwise
 * stay stored, and billed, invisible to every list and read. The repository's gc calls it under
 * its exclusive lease (see the module README for why that is safe with several hosts).
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
final class MultipartUploads {
  private static final Logger LOG = LoggerFactory.getLogger(MultipartUploads.class);

  private final S3Bucket store;
  private final String prefix;
  private final Set<String> open = ConcurrentHashMap.newKeySet();
  /** When this store first listed each upload of another process, by this host's clock. */
  private final Map<String, Instant> firstSeen = new ConcurrentHashMap<>();

  MultipartUploads(S3Bucket store) {
    this.store = store;
    this.prefix = store.prefix();
  }

  /** An upload of this process was created: never abort it as abandoned. */
  void opened(String uploadId) {
    open.add(uploadId);
  }

  /** An upload of this process was completed or aborted (or its abort failed: then it is abandoned). */
  void ended(String uploadId) {
    open.remove(uploadId);
  }

  /**
   * Aborts every multipart upload under the prefix that this process does not write and that is
   * known to exist since before {@code startedBefore}: initiated before it, or first listed by
   * this store before it. The second rule is for servers whose listing does not give the true
   * initiation time (S3Proxy's filesystem backends answer the time of the listing): there the
   * upload goes at the first gc at least a lease time after a gc of this process first saw it. A
   * server without ListMultipartUploads (501) is logged and skipped.
   *
   * @return how many were aborted
   */
  int abortAbandoned(Instant startedBefore) throws IOException {
    List<MultipartUpload> found;
    try {
      found = store.call("list the incomplete multipart uploads", () -> {
        List<MultipartUpload> all = new ArrayList<>();
        store.client().listMultipartUploadsPaginator(ListMultipartUploadsRequest.builder().bucket(store.bucket())
            .prefix(prefix).build()).uploads().forEach(all::add);
        return all;
      });
    } catch (SnapshotException e) {
      if (e.getCause() instanceof S3Exception s3 && s3.statusCode() == 501) {
        LOG.warn("{} cannot list incomplete multipart uploads (501); a bucket lifecycle rule that aborts them must "
            + "remove what killed uploads left", store.where());
        return 0;
      }
      throw e;
    }
    Instant now = Instant.now();
    firstSeen.keySet().retainAll(found.stream().map(MultipartUpload::uploadId).toList());
    int aborted = 0;
    for (MultipartUpload u : found) {
      if (open.contains(u.uploadId()) || !u.key().startsWith(prefix)) {
        continue;
      }
      Instant seen = firstSeen.computeIfAbsent(u.uploadId(), k -> now);
      boolean old = u.initiated() != null && u.initiated().isBefore(startedBefore) || seen.isBefore(startedBefore);
      if (!old) {
        continue;
      }
      try {
        store.call(u.key(), () -> store.client().abortMultipartUpload(AbortMultipartUploadRequest.builder()
            .bucket(store.bucket()).key(u.key()).uploadId(u.uploadId()).build()));
        aborted++;
      } catch (java.nio.file.NoSuchFileException e) {
        // aborted or completed meanwhile (404 NoSuchUpload)
      }
      firstSeen.remove(u.uploadId());
    }
    if (aborted > 0) {
      LOG.info("aborted {} multipart uploads in {} that writers which died left unfinished", aborted, store.where());
    }
    return aborted;
  }
}
