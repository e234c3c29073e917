package io.snapshotkit.s3;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.fs.store.ObjectStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
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
 * One object being written to the bucket. Its bytes wait in a {@link Spool}: the cache file being
 * filled when the store caches such objects (packs and index files), so a pack never sits in the
 * Java heap, or memory otherwise (roots, leases, {@code format}; or when the cache cannot take the
 * file). An object that stays under the part size is sent with one PUT at {@link #publish()}; a
 * larger one becomes a multipart upload whose parts go out on the store's part executor as they
 * fill (at most {@value #IN_FLIGHT} per upload waiting), completed at {@link #publish()} and
 * aborted by {@link #close()} otherwise. Nothing is visible under the name before publish.
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
  private final Spool spool;
  /** A name no other writer uses ({@code ObjectStore.uploadUnique}): publish sends no HEAD first. */
  private final boolean unique;
  private final long partSize;
  private long written;
  /** Where the bytes not yet sent as a part start. */
  private long sent;
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
      while (n > 0) {
        if (written - sent == partSize) {
          sendPart(); // a whole part waits and more follows: this is a multipart upload
        }
        int k = (int) Math.min(n, partSize - (written - sent));
        spool.write(b, off, k);
        written += k;
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
    this.partSize = store.partSize();
    this.cached = store.cache().fill(name);
    this.spool = cached.<Spool>map(FileSpool::new).orElseGet(() -> new MemorySpool((int) partSize));
  }

  @Override
  public OutputStream out() {
    return out;
  }

  @Override
  public long written() {
    return written;
  }

  /** A whole part waits: sends it on the part executor, starting the multipart upload if needed. */
  private void sendPart() throws IOException {
    if (uploadId == null) {
      uploadId = bucket.write(name, () -> bucket.client().createMultipartUpload(CreateMultipartUploadRequest.builder()
          .bucket(bucket.bucket()).key(key).build()).uploadId());
      store.multipart().opened(uploadId);
    }
    while (pending.size() >= IN_FLIGHT) {
      done.add(await(pending.removeFirst()));
    }
    int number = done.size() + pending.size() + 1;
    RequestBody body = spool.take(sent, written);
    long length = written - sent;
    sent = written;
    String id = uploadId;
    pending.addLast(store.partExecutor().submit(() -> uploadPart(id, number, length, body)));
  }

  private CompletedPart uploadPart(String id, int number, long length, RequestBody body) throws IOException {
    return bucket.write(name + " part " + number, () -> CompletedPart.builder().partNumber(number)
        .eTag(bucket.client().uploadPart(UploadPartRequest.builder().bucket(bucket.bucket()).key(key).uploadId(id)
            .partNumber(number).contentLength(length).build(), body).eTag()).build());
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
        RequestBody body = spool.take(0, written);
        bucket.write(name, () -> bucket.client().putObject(PutObjectRequest.builder().bucket(bucket.bucket()).key(key)
            .build(), body));
      } else {
        if (written > sent) {
          int number = done.size() + pending.size() + 1;
          done.add(uploadPart(uploadId, number, written - sent, spool.take(sent, written)));
          sent = written;
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
    spool.release();
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

  /**
   * Where an upload's bytes wait until they are sent. {@link #take} hands out the bytes from a
   * position to the end written so far as a request body, which the SDK may read more than once
   * (it hashes the payload to sign it, then sends it, and again on a retry); the spool may drop
   * them once taken.
   */
  private interface Spool {
    void write(byte[] b, int off, int n) throws IOException;

    RequestBody take(long from, long to) throws IOException;

    /** Frees what the spool holds; the upload is over. */
    void release();
  }

  /**
   * The cache file being filled ({@link ObjectCache.Fill}): written once, read back by range for
   * each request, then renamed to the cached copy at publish. Holds nothing in the heap.
   */
  private static final class FileSpool implements Spool {
    private final ObjectCache.Fill fill;

    FileSpool(ObjectCache.Fill fill) {
      this.fill = fill;
    }

    @Override
    public void write(byte[] b, int off, int n) throws IOException {
      fill.out.write(b, off, n);
    }

    @Override
    public RequestBody take(long from, long to) throws IOException {
      fill.out.flush();
      Path file = fill.partial();
      long length = to - from;
      return RequestBody.fromContentProvider(() -> {
        try {
          return FileRange.open(file, from, length);
        } catch (IOException e) {
          throw new UncheckedIOException("reading back " + file, e);
        }
      }, length, "application/octet-stream");
    }

    @Override
    public void release() {
      // the file is the cache's: ObjectCache.Fill commits or deletes it
    }
  }

  /** Memory, up to one part: a buffer that grows as it fills and is handed over whole. */
  private static final class MemorySpool implements Spool {
    private final int max;
    private byte[] buf;
    private int len;

    MemorySpool(int max) {
      this.max = max;
      this.buf = new byte[Math.min(max, 1 << 16)];
    }

    @Override
    public void write(byte[] b, int off, int n) {
      if (len + n > buf.length) {
        buf = Arrays.copyOf(buf, (int) Math.min(max, Math.max((long) buf.length * 2, (long) len + n)));
      }
      System.arraycopy(b, off, buf, len, n);
      len += n;
    }

    @Override
    public RequestBody take(long from, long to) {
      byte[] data = buf;
      int length = len;
      buf = new byte[Math.min(max, 1 << 16)];
      len = 0;
      return RequestBody.fromContentProvider(() -> new ByteArrayInputStream(data, 0, length), length,
          "application/octet-stream");
    }

    @Override
    public void release() {
      buf = new byte[0];
      len = 0;
    }
  }
}
