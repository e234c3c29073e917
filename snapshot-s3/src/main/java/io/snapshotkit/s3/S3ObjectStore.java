package io.snapshotkit.s3;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.fs.store.ObjectStore;
import java.io.EOFException;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadBucketRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Object;

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
 * and aborted when discarded. Every request runs within a bound of {@linkplain
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
  private final S3Client s3;
  private final String bucket;
  private final String prefix;
  private final long partSize;
  private final Semaphore requests;
  private final ExecutorService parts;
  private final ObjectCache cache;
  /** The cache directory to delete at close: a temporary one when none was configured. */
  private final Path temporaryCache;
  private final ConcurrentHashMap<String, CompletableFuture<Boolean>> fetching = new ConcurrentHashMap<>();
  private final String where;
  private final MultipartUploads multipart;

  private S3ObjectStore(Builder b, S3Client s3, ObjectCache cache, Path temporaryCache) {
    this.temporaryCache = temporaryCache;
    this.s3 = s3;
    this.bucket = b.bucket;
    this.prefix = b.prefix;
    this.partSize = b.partSize;
    this.requests = new Semaphore(b.maxConcurrency);
    this.cache = cache;
    this.where = "s3://" + b.bucket + "/" + b.prefix + (b.endpoint == null ? "" : " at " + b.endpoint);
    this.multipart = new MultipartUploads(this, b.prefix);
    ThreadPoolExecutor pool = new ThreadPoolExecutor(b.maxConcurrency, b.maxConcurrency, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "snapshotkit-s3-part");
          t.setDaemon(true);
          return t;
        });
    pool.allowCoreThreadTimeOut(true);
    this.parts = pool;
  }

  /** A builder; {@link Builder#bucket} is required. */
  public static Builder builder() {
    return new Builder();
  }

  String key(String name) {
    return prefix + ObjectStore.checkName(name);
  }

  S3Client client() {
    return s3;
  }

  String bucket() {
    return bucket;
  }

  Optional<ObjectCache> cache() {
    return Optional.of(cache);
  }

  long partSize() {
    return partSize;
  }

  ExecutorService partExecutor() {
    return parts;
  }

  MultipartUploads multipart() {
    return multipart;
  }

  /** Aborts the incomplete multipart uploads killed processes left under the prefix ({@link MultipartUploads}). */
  @Override
  public int discardAbandonedUploads(java.time.Instant startedBefore) throws IOException {
    return multipart.abortAbandoned(Objects.requireNonNull(startedBefore, "startedBefore"));
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

  @Override
  public Upload upload(String name) throws IOException {
    return new S3Upload(this, name, key(name));
  }

  /** Whether an object of this name exists. */
  boolean exists(String name) throws IOException {
    try {
      size(name);
      return true;
    } catch (java.nio.file.NoSuchFileException e) {
      return false;
    }
  }

  @Override
  public byte[] get(String name) throws IOException {
    String key = key(name);
    Optional<byte[]> hit = cache.get(name);
    if (hit.isPresent()) {
      return hit.get();
    }
    byte[] bytes = call(name, () -> s3.getObjectAsBytes(GetObjectRequest.builder().bucket(bucket).key(key).build())
        .asByteArray());
    {
      cache.fill(name).ifPresent(f -> {
        try (f) {
          f.out.write(bytes);
          f.commit();
        } catch (IOException e) {
          // only a copy: the next read goes to the bucket
        }
      });
    }
    return bytes;
  }

  @Override
  public byte[] getRange(String name, long offset, int length) throws IOException {
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException("bad range " + offset + "+" + length + " of " + name);
    }
    String key = key(name);
    if (length == 0) {
      size(name);
      return new byte[0];
    }
    Optional<byte[]> hit = cache.getRange(name, offset, length);
    if (hit.isEmpty() && ObjectCache.cacheable(name) && fetchWhole(name, key)) {
      hit = cache.getRange(name, offset, length);
    }
    if (hit.isPresent()) {
      return hit.get();
    }
    String range = "bytes=" + offset + "-" + (offset + length - 1);
    byte[] bytes = call(name, () -> s3.getObjectAsBytes(GetObjectRequest.builder().bucket(bucket).key(key)
        .range(range).build()).asByteArray());
    if (bytes.length != length) {
      throw new EOFException(name + " ends before " + (offset + length));
    }
    return bytes;
  }

  /**
   * Downloads a whole pack or index file into the cache on its first range read: a restore or an
   * index lookup then reads it locally instead of sending one request per content or index page.
   * Concurrent first reads of one object share the download.
   *
   * @return whether the cache now holds it
   */
  private boolean fetchWhole(String name, String key) throws IOException {
    CompletableFuture<Boolean> mine = new CompletableFuture<>();
    CompletableFuture<Boolean> running = fetching.putIfAbsent(name, mine);
    if (running != null) {
      try {
        return running.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while " + name + " was downloaded");
      } catch (ExecutionException e) {
        return false; // the other reader failed: this one reads its range from the bucket
      }
    }
    try {
      Optional<ObjectCache.Fill> fill = cache.fill(name);
      if (fill.isEmpty()) {
        mine.complete(false);
        return false;
      }
      try (ObjectCache.Fill f = fill.get()) {
        call(name, () -> {
          try (ResponseInputStream<GetObjectResponse> in = s3.getObject(GetObjectRequest.builder().bucket(bucket)
              .key(key).build())) {
            in.transferTo(f.out);
          }
          return null;
        });
        f.commit();
      }
      mine.complete(true);
      return true;
    } catch (IOException | RuntimeException e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      fetching.remove(name, mine);
    }
  }

  @Override
  public long size(String name) throws IOException {
    String key = key(name);
    return call(name, () -> s3.headObject(HeadObjectRequest.builder().bucket(bucket).key(key).build())
        .contentLength());
  }

  @Override
  public List<String> list(String namePrefix) throws IOException {
    Objects.requireNonNull(namePrefix, "prefix");
    String full = prefix + namePrefix;
    List<String> out = call("list " + namePrefix, () -> {
      List<String> names = new ArrayList<>();
      for (S3Object o : s3.listObjectsV2Paginator(ListObjectsV2Request.builder().bucket(bucket).prefix(full).build())
          .contents()) {
        names.add(o.key().substring(prefix.length()));
      }
      return names;
    });
    out.sort(null);
    cache.retainOnly(namePrefix, out);
    return out;
  }

  @Override
  public boolean delete(String name) throws IOException {
    String key = key(name);
    boolean existed = exists(name);
    call(name, () -> s3.deleteObject(DeleteObjectRequest.builder().bucket(bucket).key(key).build()));
    cache.remove(name);
    return existed;
  }

  /** Stops the part uploads' threads and closes the SDK client. */
  @Override
  public void close() {
    parts.shutdownNow();
    s3.close();
    if (temporaryCache != null) {
      ObjectCache.deleteTree(temporaryCache);
    }
  }

  @Override
  public String toString() {
    return where;
  }

  /**
   * Checks that the bucket exists and that these credentials may list, write, read and delete
   * under the prefix (a probe object, deleted again).
   */
  private void probe() throws IOException {
    call("check the bucket", () -> s3.headBucket(HeadBucketRequest.builder().bucket(bucket).build()));
    list("format");
    String probe = "probe-" + UUID.randomUUID();
    byte[] data = "snapshotkit access check\n".getBytes(StandardCharsets.UTF_8);
    try {
      write("write the probe object " + probe, () -> s3.putObject(PutObjectRequest.builder().bucket(bucket)
          .key(key(probe)).build(), RequestBody.fromBytes(data)));
    } catch (SnapshotException e) {
      if (e.code() != ErrorCode.INSUFFICIENT_STORAGE) {
        throw e;
      }
      // a full bucket must still open: deleting snapshots and gc are how it gets room again
      org.slf4j.LoggerFactory.getLogger(S3ObjectStore.class).warn("{}; captures fail until there is room", e.getMessage());
      return;
    }
    get(probe);
    delete(probe);
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
     * several at once. Default 16 MiB.
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
      var client = S3Client.builder()
          .httpClientBuilder(UrlConnectionHttpClient.builder()
              .connectionTimeout(Duration.ofSeconds(5)).socketTimeout(Duration.ofSeconds(60)))
          .overrideConfiguration(ClientOverrideConfiguration.builder()
              .retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder().maxAttempts(maxAttempts)
                  .backoffStrategy(BackoffStrategy.exponentialDelay(retryBaseDelay, Duration.ofSeconds(20)))
                  .throttlingBackoffStrategy(BackoffStrategy.exponentialDelay(retryBaseDelay, Duration.ofSeconds(20)))
                  .circuitBreakerEnabled(false).build())
              .build())
          // S3-compatible services do not all take the SDK's default trailing checksums; the
          // repository verifies every content against its SHA-256 anyway
          .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
          .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
          .forcePathStyle(pathStyle != null ? pathStyle : endpoint != null)
          .credentialsProvider(credentials != null ? credentials : DefaultCredentialsProvider.builder().build());
      if (endpoint != null) {
        client.endpointOverride(endpoint);
      }
      if (region != null) {
        client.region(Region.of(region));
      }
      S3Client s3;
      try {
        s3 = client.build();
      } catch (SdkException e) {
        throw new SnapshotException(ErrorCode.INVALID_ARGUMENT, "cannot configure the S3 client for bucket " + bucket
            + " (" + e.getMessage() + "); set the region and credentials", e);
      }
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
