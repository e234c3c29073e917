package io.snapshotkit.s3;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.fs.store.ObjectStore;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * An {@link ObjectStore} in a bucket of an S3-compatible service (AWS S3, MinIO, Ceph RGW, R2,
 * S3Proxy), through the AWS SDK for Java v2 and its synchronous JDK-based HTTP client. Give it to
 * {@code FsHostAgent.builder().objectStore(store)}; agents on several hosts may share one bucket
 * and prefix.
 *
 * <pre>{@code
 * try (S3ObjectStore store = S3ObjectStore.builder()
 *         .bucket("snapshots").region("eu-west-1").prefix("prod/")
 *         .cacheDirectory(Path.of("/var/cache/snapshotkit"))
 *         .build();
 *     FsHostAgent agent = FsHostAgent.builder()
 *         .repository(Path.of("/var/lib/snapshotkit")).hostId("host-a").objectStore(store).build()) {
 *   ...
 * }
 * }</pre>
 *
 * <p>Objects are {@code <prefix><name>}. Objects at or above the {@linkplain Builder#partSize part
 * size} are sent as multipart uploads, parts in parallel; an upload is invisible until complete
 * and aborted when discarded. A capture's packs stay under the part size ({@link #packTarget}), so
 * each goes with one PUT. Every request runs within a bound of {@linkplain
 * Builder#maxConcurrency concurrent requests}; throttling (503 SlowDown, 429) and 5xx answers are
 * retried by the SDK's standard strategy with exponential backoff. {@link Builder#build()} checks
 * that the bucket exists and that the credentials may list, write, read and delete under the
 * prefix, so a bucket without permission fails at start-up, not at the first capture.
 *
 * <p>Failures: a missing object is a {@link java.nio.file.NoSuchFileException}; a refused request
 * is {@link SnapshotException} FORBIDDEN, a missing bucket NOT_FOUND, a full bucket or one over its
 * quota INSUFFICIENT_STORAGE, an unreachable store or one still failing after the retries
 * HOST_UNAVAILABLE. The repository's gc aborts the incomplete multipart uploads killed processes
 * left ({@link #discardAbandonedUploads}).
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
public final class S3ObjectStore implements ObjectStore {
  /** The name of the repository's write-once format object ({@code RepositoryFormat} in snapshot-fs). */
  private static final String FORMAT = "format";
  private final S3Bucket bucket;
  private final S3Reads reads;
  private final S3Listing listing;
  private final S3Uploads uploads;
  private final ExecutorService transfers;
  private final MultipartUploads multipart;
  /** The cache directory to delete at close: a temporary one when none was configured. */
  private final Path temporaryCache;
  /**
   * The repository's {@value #FORMAT} object as the start-up check read it, handed to the first
   * {@link #get} of that name (the agent reads it right after opening) and then dropped: the check
   * reads it instead of its probe object when the bucket holds one, so the agent's read costs no
   * second request.
   */
  private final AtomicReference<byte[]> probedFormat = new AtomicReference<>();

  private S3ObjectStore(Builder b, S3Client s3, ObjectCache cache, Path temporaryCache) {
    this.temporaryCache = temporaryCache;
    this.bucket = new S3Bucket(s3, b.bucket, b.prefix, b.maxConcurrency,
        "s3://" + b.bucket + "/" + b.prefix + (b.endpoint == null ? "" : " at " + b.endpoint));
    this.transfers = S3Uploads.transferPool(b.maxConcurrency);
    this.reads = new S3Reads(bucket, cache, transfers);
    this.listing = new S3Listing(bucket, reads, cache);
    this.multipart = new MultipartUploads(bucket);
    this.uploads = new S3Uploads(bucket, reads, cache, b.partSize, transfers, multipart);
  }

  /** A builder; {@link Builder#bucket} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** Aborts the incomplete multipart uploads killed processes left under the prefix ({@link MultipartUploads}). */
  @Override
  public int discardAbandonedUploads(java.time.Instant startedBefore) throws IOException {
    return multipart.abortAbandoned(Objects.requireNonNull(startedBefore, "startedBefore"));
  }

  @Override
  public Upload upload(String name) throws IOException {
    return uploads.start(name, false);
  }

  /** An upload whose publish sends no HEAD to check that the name is free: the caller says it is. */
  @Override
  public Upload uploadUnique(String name) throws IOException {
    return uploads.start(name, true);
  }

  /**
   * Two MiB under the {@linkplain Builder#partSize part size}: a pack ends at most about 1 MiB
   * over its target, so it stays a single PUT rather than a multipart upload (create, parts,
   * complete, which S3Proxy's filesystem backend then copies into one file).
   */
  @Override
  public long packTarget() {
    return uploads.partSize() - (2L << 20);
  }

  @Override
  public byte[] get(String name) throws IOException {
    if (name.equals(FORMAT)) {
      byte[] probed = probedFormat.getAndSet(null);
      if (probed != null) {
        return probed;
      }
    }
    return reads.get(name);
  }

  @Override
  public byte[] getRange(String name, long offset, int length) throws IOException {
    return reads.getRange(name, offset, length);
  }

  @Override
  public long size(String name) throws IOException {
    return reads.size(name);
  }

  @Override
  public List<String> list(String namePrefix) throws IOException {
    Objects.requireNonNull(namePrefix, "prefix");
    return listing.list(namePrefix);
  }

  @Override
  public boolean delete(String name) throws IOException {
    return listing.delete(name);
  }

  /** A DELETE without the HEAD that {@link #delete} sends to say whether the object existed. */
  @Override
  public void discard(String name) throws IOException {
    listing.discard(name);
  }

  /** Stops the transfer threads (part uploads, downloads into the cache) and closes the SDK client. */
  @Override
  public void close() {
    transfers.shutdownNow();
    bucket.close();
    if (temporaryCache != null) {
      ObjectCache.deleteTree(temporaryCache);
    }
  }

  @Override
  public String toString() {
    return bucket.where();
  }

  /**
   * Checks that the bucket exists and that these credentials may list, write, read and delete
   * under the prefix: four requests, a list of {@value #FORMAT} (NOT_FOUND on a missing bucket, so
   * no HEAD of the bucket) and a probe object written, read and deleted. When the list shows the
   * repository's format object, that object is read instead of the probe (the same permission,
   * under the same prefix) and kept for the agent's read of it at open ({@link #probedFormat}):
   * one request fewer per process on an existing repository.
   */
  private void probe() throws IOException {
    boolean formatExists = list(FORMAT).contains(FORMAT);
    String probe = "probe-" + UUID.randomUUID();
    String key = bucket.key(probe);
    byte[] data = "snapshotkit access check\n".getBytes(StandardCharsets.UTF_8);
    try {
      bucket.write("write the probe object " + probe, () -> bucket.client().putObject(PutObjectRequest.builder()
          .bucket(bucket.bucket()).key(key).build(), RequestBody.fromBytes(data)));
    } catch (SnapshotException e) {
      if (e.code() != ErrorCode.INSUFFICIENT_STORAGE) {
        throw e;
      }
      // a full bucket must still open: deleting snapshots and gc are how it gets room again
      org.slf4j.LoggerFactory.getLogger(S3ObjectStore.class).warn("{}; captures fail until there is room", e.getMessage());
      return;
    }
    if (formatExists) {
      probedFormat.set(reads.get(FORMAT));
    } else {
      get(probe);
    }
    bucket.call("delete the probe object " + probe, () -> bucket.client().deleteObject(DeleteObjectRequest.builder()
        .bucket(bucket.bucket()).key(key).build()));
  }

  /**
   * Configures an {@link S3ObjectStore}. Each setting may be given once; a bad value throws
   * {@link IllegalArgumentException} at once.
   *
   * <p><b>Thread-safety:</b> not thread-safe; build on one thread.
   */
  public static final class Builder {
    private URI endpoint;
    private String region;
    private String bucket;
    private String prefix = "";
    private boolean prefixSet;
    private Boolean pathStyle;
    private AwsCredentialsProvider credentials;
    private long partSize = 16L << 20;
    private boolean partSizeSet;
    private int maxConcurrency = 8;
    private boolean concurrencySet;
    private int maxAttempts = 6;
    private boolean attemptsSet;
    private Duration retryBaseDelay = Duration.ofMillis(100);
    private boolean delaySet;
    private Path cacheDirectory;
    private boolean built;

    private Builder() {}

    private void once(boolean set, String name) {
      if (built) {
        throw new IllegalStateException("this builder already built a store; start a new one");
      }
      if (set) {
        throw new IllegalStateException(name + " is already set; set it once");
      }
    }

    /**
     * The service's endpoint, e.g. {@code http://127.0.0.1:9000} for MinIO. Default: the AWS S3
     * endpoint of the region.
     */
    public Builder endpoint(URI endpoint) {
      once(this.endpoint != null, "endpoint");
      this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
      return this;
    }

    /** The region. Default: the SDK's region provider chain (environment, profile, instance metadata). */
    public Builder region(String region) {
      once(this.region != null, "region");
      Objects.requireNonNull(region, "region");
      if (region.isBlank()) {
        throw new IllegalArgumentException("region must not be blank");
      }
      this.region = region;
      return this;
    }

    /** The bucket, which must exist. Required. */
    public Builder bucket(String bucket) {
      once(this.bucket != null, "bucket");
      Objects.requireNonNull(bucket, "bucket");
      if (bucket.isBlank()) {
        throw new IllegalArgumentException("bucket must not be blank");
      }
      this.bucket = bucket;
      return this;
    }

    /**
     * The key prefix of every object, so several repositories share a bucket; empty or ending in
     * {@code /}. Default empty.
     */
    public Builder prefix(String prefix) {
      once(prefixSet, "prefix");
      Objects.requireNonNull(prefix, "prefix");
      if (!prefix.isEmpty()) {
        ObjectStore.checkName(prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix);
        if (!prefix.endsWith("/")) {
          throw new IllegalArgumentException("a prefix ends in '/': " + prefix);
        }
      }
      this.prefix = prefix;
      prefixSet = true;
      return this;
    }

    /**
     * Path-style addressing ({@code endpoint/bucket/key}) instead of virtual-hosted style
     * ({@code bucket.endpoint/key}), as MinIO, Ceph RGW and S3Proxy usually need. Default: true
     * with an {@link #endpoint}, false without.
     */
    public Builder pathStyle(boolean pathStyle) {
      once(this.pathStyle != null, "pathStyle");
      this.pathStyle = pathStyle;
      return this;
    }

    /** Where credentials come from. Default: the SDK's default chain (environment, profile, container, instance). */
    public Builder credentials(AwsCredentialsProvider provider) {
      once(this.credentials != null, "credentials");
      this.credentials = Objects.requireNonNull(provider, "provider");
      return this;
    }

    /**
     * Objects this large or larger are uploaded in parts of this size (S3 allows 5 MiB to 5 GiB),
     * several at once; a capture's packs end 2 MiB under it ({@link S3ObjectStore#packTarget}), so
     * they go up with one PUT each. Default 16 MiB.
     */
    public Builder partSize(long bytes) {
      once(partSizeSet, "partSize");
      if (bytes < (5L << 20) || bytes > (1L << 30)) {
        throw new IllegalArgumentException("partSize must be 5 MiB to 1 GiB, not " + bytes);
      }
      this.partSize = bytes;
      partSizeSet = true;
      return this;
    }

    /** At most this many requests to the bucket at once (so at most as many HTTP connections). Default 8. */
    public Builder maxConcurrency(int requests) {
      once(concurrencySet, "maxConcurrency");
      if (requests < 1 || requests > 256) {
        throw new IllegalArgumentException("maxConcurrency must be 1 to 256, not " + requests);
      }
      this.maxConcurrency = requests;
      concurrencySet = true;
      return this;
    }

    /**
     * Attempts per request, the first included, when the service throttles (503 SlowDown, 429)
     * or fails (5xx, connection reset). Default 6.
     */
    public Builder maxAttempts(int attempts) {
      once(attemptsSet, "maxAttempts");
      if (attempts < 1 || attempts > 20) {
        throw new IllegalArgumentException("maxAttempts must be 1 to 20, not " + attempts);
      }
      this.maxAttempts = attempts;
      attemptsSet = true;
      return this;
    }

    /** The first retry's delay; each next one doubles it (with jitter), up to 20 s. Default 100 ms. */
    public Builder retryBaseDelay(Duration delay) {
      once(delaySet, "retryBaseDelay");
      Objects.requireNonNull(delay, "delay");
      if (delay.isNegative() || delay.isZero() || delay.compareTo(Duration.ofSeconds(20)) > 0) {
        throw new IllegalArgumentException("retryBaseDelay must be over 0 and at most 20 s, not " + delay);
      }
      this.retryBaseDelay = delay;
      delaySet = true;
      return this;
    }

    /**
     * A local directory that keeps a copy of the packs and index files this host uploaded or read
     * (a first range read of one downloads it whole), so later reads do not go to the bucket. A
     * miss reads the bucket; deleting the directory (while no agent uses it) loses nothing.
     * Default: a temporary directory, deleted when the store is closed.
     */
    public Builder cacheDirectory(Path dir) {
      once(this.cacheDirectory != null, "cacheDirectory");
      this.cacheDirectory = Objects.requireNonNull(dir, "dir").toAbsolutePath().normalize();
      return this;
    }

    /**
     * Builds the client and checks the bucket (exists; list, write, read and delete allowed).
     *
     * @throws SnapshotException INVALID_ARGUMENT if the bucket is not set; FORBIDDEN if the
     *     credentials lack a permission; NOT_FOUND if the bucket does not exist; HOST_UNAVAILABLE
     *     if the service cannot be reached. A full bucket opens, with a warning: deleting
     *     snapshots and gc still work on it
     */
    public S3ObjectStore build() {
      if (built) {
        throw new IllegalStateException("this builder already built a store; start a new one");
      }
      if (bucket == null) {
        throw SnapshotException.invalid("cannot build an S3ObjectStore: bucket is required");
      }
      built = true;
      S3Client s3 = S3Clients.create(bucket, endpoint, region, pathStyle, credentials, maxAttempts, retryBaseDelay);
      S3ObjectStore store = null;
      Path temporary = null;
      try {
        if (cacheDirectory == null) {
          temporary = java.nio.file.Files.createTempDirectory("snapshotkit-s3-cache");
        }
        store = new S3ObjectStore(this, s3, new ObjectCache(cacheDirectory == null ? temporary : cacheDirectory),
            temporary);
        store.probe();
        return store;
      } catch (IOException e) {
        close(store, s3, temporary);
        throw SnapshotException.wrap("checking the bucket " + bucket, e);
      } catch (RuntimeException e) {
        close(store, s3, temporary);
        throw e;
      }
    }

    private static void close(S3ObjectStore store, S3Client s3, Path temporary) {
      if (store != null) {
        store.close();
      } else {
        s3.close();
        if (temporary != null) {
          ObjectCache.deleteTree(temporary);
        }
      }
    }
  }
}
