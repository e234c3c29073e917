package io.snapshotkit.s3;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.fs.store.ObjectStore;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

/**
 * One object being written to the bucket. Bytes are buffered up to the part size; an object that
 * stays smaller is sent with one PUT at {@link #publish()}, a larger one becomes a multipart
 * upload whose parts go out on the store's part executor as they fill (at most {@value
 * #IN_FLIGHT} per upload waiting, so memory stays a few parts), completed at {@link #publish()}
 * and aborted by {@link #close()} otherwise. Nothing is visible under the name before publish. A
 * cached copy is written alongside when the store has a cache.
 *
 * <p>Not thread-safe: one writer.
 */
final class S3Upload implements ObjectStore.Upload {
  private static final Logger LOG = LoggerFactory.getLogger(S3Upload.class);
  private static final int IN_FLIGHT = 2;

  private final S3Uploads store;
  private final S3Bucket bucket;
  private final String name;
  private final String key;
  private final Optional<ObjectCache.Fill> cached;
  /** A name no other writer uses ({@code ObjectStore.uploadUnique}): publish sends no HEAD first. */
  private final boolean unique;
  private byte[] buf;
  private int len;
  private long written;
  private String uploadId;
  private final List<CompletedPart> done = new ArrayList<>();
  private final Deque<Future<CompletedPart>> pending = new ArrayDeque<>();
  private boolean finished;
  private final OutputStream out = new OutputStream() {
    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int n) throws IOException {
      if (finished) {
        throw new IOException("the upload of " + name + " is already published or discarded");
      }
      if (cached.isPresent()) {
        cached.get().out.write(b, off, n);
      }
      written += n;
      while (n > 0) {
        int room = buf.length - len;
        if (room == 0) {
          sendPart();
          continue;
        }
        int k = Math.min(room, n);
        System.arraycopy(b, off, buf, len, k);
        len += k;
        off += k;
        n -= k;
      }
    }
  };

  S3Upload(S3Uploads store, String name, String key, boolean unique) {
    this.store = store;
    this.unique = unique;
    this.bucket = store.bucket();
    this.name = name;
    this.key = key;
    this.buf = new byte[(int) Math.min(store.partSize(), 1 << 16)];
    this.cached = store.cache().fill(name);
  }

  @Override
  public OutputStream out() {
    return out;
  }

  @Override
  public long written() {
    return written;
  }

  /** The buffer is full: grow it up to a part, or send it as the next part. */
  private void sendPart() throws IOException {
    if (buf.length < store.partSize()) {
      buf = Arrays.copyOf(buf, (int) Math.min(store.partSize(), (long) buf.length * 2));
      return;
    }
    if (uploadId == null) {
      uploadId = bucket.write(name, () -> bucket.client().createMultipartUpload(CreateMultipartUploadRequest.builder()
          .bucket(bucket.bucket()).key(key).build()).uploadId());
      store.multipart().opened(uploadId);
    }
    while (pending.size() >= IN_FLIGHT) {
      done.add(await(pending.removeFirst()));
    }
    byte[] part = buf;
    int partLen = len;
    int number = done.size() + pending.size() + 1;
    String id = uploadId;
    pending.addLast(store.partExecutor().submit(() -> bucket.write(name + " part " + number, () -> {
      String etag = bucket.client().uploadPart(UploadPartRequest.builder().bucket(bucket.bucket()).key(key)
          .uploadId(id).partNumber(number).contentLength((long) partLen).build(),
          RequestBody.fromBytes(partLen == part.length ? part : Arrays.copyOf(part, partLen))).eTag();
      return CompletedPart.builder().partNumber(number).eTag(etag).build();
    })));
    buf = new byte[(int) store.partSize()];
    len = 0;
  }

  private CompletedPart await(Future<CompletedPart> f) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while uploading " + name);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof IOException io) {
        throw io;
      }
      if (c instanceof RuntimeException r) {
        throw r;
      }
      throw new SnapshotException(ErrorCode.INTERNAL, "uploading " + name + " failed unexpectedly", c);
    }
  }

  @Override
  public boolean publish() throws IOException {
    if (finished) {
      throw new IllegalStateException("already published or discarded: " + name);
    }
    try {
      if (!unique && store.reads().exists(name)) {
        close();
        return false;
      }
      if (uploadId == null) {
        byte[] body = len == buf.length ? buf : Arrays.copyOf(buf, len);
        bucket.write(name, () -> bucket.client().putObject(PutObjectRequest.builder().bucket(bucket.bucket()).key(key)
            .build(), RequestBody.fromBytes(body)));
      } else {
        if (len > 0) {
          int number = done.size() + pending.size() + 1;
          byte[] last = Arrays.copyOf(buf, len);
          String id = uploadId;
          done.add(bucket.write(name + " part " + number, () -> CompletedPart.builder().partNumber(number)
              .eTag(bucket.client().uploadPart(UploadPartRequest.builder().bucket(bucket.bucket()).key(key)
                  .uploadId(id).partNumber(number).contentLength((long) last.length).build(),
                  RequestBody.fromBytes(last)).eTag()).build()));
        }
        while (!pending.isEmpty()) {
          done.add(await(pending.removeFirst()));
        }
        done.sort((a, b) -> Integer.compare(a.partNumber(), b.partNumber()));
        String id = uploadId;
        bucket.write(name, () -> bucket.client().completeMultipartUpload(CompleteMultipartUploadRequest.builder()
            .bucket(bucket.bucket()).key(key).uploadId(id)
            .multipartUpload(CompletedMultipartUpload.builder().parts(done).build()).build()));
        uploadId = null;
        store.multipart().ended(id);
      }
      finished = true;
      if (cached.isPresent()) {
        try (ObjectCache.Fill f = cached.get()) {
          f.commit();
        } catch (IOException e) {
          LOG.debug("caching {}", name, e);
        }
      }
      return true;
    } finally {
      close();
    }
  }

  /** Discards the upload unless it was published: an open multipart upload is aborted. */
  @Override
  public void close() throws IOException {
    finished = true;
    buf = new byte[0];
    len = 0;
    cached.ifPresent(ObjectCache.Fill::close);
    for (Future<CompletedPart> f : pending) {
      f.cancel(true);
    }
    pending.clear();
    if (uploadId != null) {
      String id = uploadId;
      uploadId = null;
      try {
        bucket.call(name, () -> bucket.client().abortMultipartUpload(AbortMultipartUploadRequest.builder()
            .bucket(bucket.bucket()).key(key).uploadId(id).build()));
      } catch (IOException | RuntimeException e) {
        LOG.warn("could not abort the multipart upload of {}; the next gc aborts it", name, e);
      } finally {
        store.multipart().ended(id);
      }
    }
  }
}
