package io.snapshotkit.s3;

import io.snapshotkit.Manifest;
import io.snapshotkit.RestoreMode;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.RestoreRequest;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;

/**
 * The whole-process driver of {@code bench/s3-bench.sh}: one capture or one restore per process,
 * as restic runs one backup or restore per process. Prints how long each phase took to stderr.
 *
 * <pre>
 * S3BenchDriver init s3 ENDPOINT BUCKET                                  (creates the bucket and the repository, as
 *                                                                         restic init; untimed)
 * S3BenchDriver capture s3 ENDPOINT BUCKET LOCAL_DIR CACHE_DIR DATA_DIR
 * S3BenchDriver restore s3 ENDPOINT BUCKET LOCAL_DIR CACHE_DIR TARGET_DIR (restores the newest snapshot)
 * S3BenchDriver capture local REPO_DIR DATA_DIR
 * S3BenchDriver restore local REPO_DIR TARGET_DIR
 * S3BenchDriver train s3 ENDPOINT BUCKET WORK_DIR                        (every step above on a small tree, in one
 *                                                                         process: the run that records the class
 *                                                                         data sharing archive; untimed)
 * S3BenchDriver serve                                                    (one long-lived process: reads capture and
 *                                                                         restore command lines as above from stdin,
 *                                                                         one per line, runs each, answers "ok" or
 *                                                                         "failed MESSAGE" on stdout)
 * </pre>
 *
 * <p>{@code serve} is the warm JVM of {@code bench/s3-bench.sh --warm}: an application that embeds
 * the agent, or the agent daemon a platform runs on each host, captures again and again in one
 * process, whose classes are loaded and whose hot code is compiled after the first captures. Each
 * step still builds its store and agent and closes them, as the cold steps do.
 *
 * Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. {@code CACHE_DIR} is the
 * store's {@linkplain S3ObjectStore.Builder#cacheDirectory cache directory}: the bench keeps one
 * per host across captures, as restic keeps its local cache, and gives a restore an empty one.
 */
final class S3BenchDriver {
  private static final WorkloadRef W = WorkloadRef.of("bench", "corpus");

  private S3BenchDriver() {}

  /** Prints how long a phase took to stderr, which the bench keeps in its run log. */
  private static void phase(String what, long nanos) {
    System.err.printf("phase %-32s %7.1f ms%n", what, nanos / 1e6);
  }

  public static void main(String[] args) throws Exception {
    long t0 = System.nanoTime();
    // the bench passes the time it launched the JVM; ProcessHandle's start instant is off by up to a
    // second on Linux (the boot time it adds is in whole seconds)
    String launched = System.getenv("S3_BENCH_LAUNCH_NS");
    long sinceLaunch = launched != null
        ? System.currentTimeMillis() * 1_000_000L - Long.parseLong(launched)
        : Duration.between(ProcessHandle.current().info().startInstant().orElse(Instant.now()), Instant.now()).toNanos();
    phase("jvm start to main", sinceLaunch);
    if (args.length == 1 && args[0].equals("serve")) {
      serve();
      return;
    }
    step(args);
    phase("main total", System.nanoTime() - t0);
  }

  /** Runs one capture, restore, init or train command line. */
  private static void step(String[] args) throws Exception {
    switch (args[0] + " " + args[1]) {
      case "init s3" -> init(URI.create(args[2]), args[3]);
      case "train s3" -> train(args[2], args[3], Path.of(args[4]));
      case "capture s3", "restore s3" ->
          run(args[0].equals("capture"), Optional.of(args[2]), args[3], Path.of(args[4]), Path.of(args[5]),
              Path.of(args[6]));
      case "capture local", "restore local" ->
          run(args[0].equals("capture"), Optional.empty(), null, Path.of(args[2]), null, Path.of(args[3]));
      default -> throw new IllegalArgumentException("unknown command " + String.join(" ", args));
    }
  }

  /** Runs the command lines read from stdin, one at a time, answering each on stdout. */
  private static void serve() throws java.io.IOException {
    java.io.BufferedReader in = new java.io.BufferedReader(
        new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isBlank()) {
        continue;
      }
      long t = System.nanoTime();
      try {
        step(line.trim().split(" "));
        phase("step total", System.nanoTime() - t);
        System.out.println("ok");
      } catch (Exception | AssertionError e) {
        e.printStackTrace();
        System.out.println("failed " + e);
      }
      System.out.flush();
    }
  }

  private static StaticCredentialsProvider credentials() {
    return StaticCredentialsProvider.create(AwsBasicCredentials.create(System.getenv("AWS_ACCESS_KEY_ID"),
        System.getenv("AWS_SECRET_ACCESS_KEY")));
  }

  private static void createBucket(URI endpoint, String bucket) {
    try (S3Client c = S3Client.builder().endpointOverride(endpoint).region(Region.US_EAST_1).forcePathStyle(true)
        .credentialsProvider(credentials()).build()) {
      if (c.listBuckets().buckets().stream().noneMatch(x -> x.name().equals(bucket))) {
        c.createBucket(CreateBucketRequest.builder().bucket(bucket).build());
      }
    }
  }

  /**
   * Creates the bucket and the repository in it (its format object, which an agent writes at its
   * first open), as {@code restic init} creates the bucket and the repository's config and keys.
   */
  private static void init(URI endpoint, String bucket) throws Exception {
    createBucket(endpoint, bucket);
    java.nio.file.Path local = java.nio.file.Files.createTempDirectory("s3-bench-init");
    try (S3ObjectStore store = S3ObjectStore.builder().endpoint(endpoint).region("us-east-1").bucket(bucket)
        .credentials(credentials()).build()) {
      FsHostAgent.builder().hostId("init").repository(local).objectStore(store).build().close();
    } finally {
      ObjectCache.deleteTree(local);
    }
  }

  /** Runs every kind of step once on a small tree, so one process loads every class the bench needs. */
  private static void train(String endpoint, String bucket, Path work) throws Exception {
    createBucket(URI.create(endpoint), bucket);
    Path data = work.resolve("data");
    Tree.fill(data, 3, 20, 300_000);
    for (Optional<String> s3 : List.of(Optional.of(endpoint), Optional.<String>empty())) {
      String kind = s3.isPresent() ? "s3" : "local";
      run(true, s3, bucket, work.resolve(kind + "-host"), work.resolve(kind + "-cache"), data);
      Tree.write(data.resolve("d0/next.txt"), "version 2".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      run(true, s3, bucket, work.resolve(kind + "-host"), work.resolve(kind + "-cache"), data);
      run(false, s3, bucket, work.resolve(kind + "-host"), work.resolve(kind + "-restore-cache"),
          work.resolve(kind + "-out"));
    }
  }

  private static void run(boolean capture, Optional<String> endpoint, String bucket, Path local, Path cache, Path data)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
    S3ObjectStore store = null;
    FsHostAgent.Builder b = FsHostAgent.builder().executor(pool).hostId("bench").repository(local);
    long t = System.nanoTime();
    try {
      if (endpoint.isPresent()) {
        store = S3ObjectStore.builder().endpoint(URI.create(endpoint.get())).region("us-east-1").bucket(bucket)
            .credentials(credentials()).cacheDirectory(cache).build();
        phase("S3 store built (client, probe)", System.nanoTime() - t);
        b.objectStore(store);
      }
      t = System.nanoTime();
      try (FsHostAgent agent = b.build()) {
        phase("agent built", System.nanoTime() - t);
        t = System.nanoTime();
        if (capture) {
          agent.track(W, Map.of("data", data));
          SnapshotId id = SnapshotId.generate(Instant.now(), new SplittableRandom());
          agent.capture(new CaptureRequest(W, id, Optional.empty(), Optional.empty(), false));
        } else {
          List<SnapshotId> ids = agent.snapshots(W);
          SnapshotId id = ids.get(ids.size() - 1);
          Manifest m = agent.manifest(W, id).orElseThrow();
          agent.restore(new RestoreRequest(W, id, m, RestoreMode.REPLACE, Optional.of(data.toString()), List.of()));
        }
        phase(capture ? "capture" : "restore", System.nanoTime() - t);
        t = System.nanoTime();
      }
    } finally {
      pool.shutdown();
      if (store != null) {
        store.close();
      }
    }
    phase("closed", System.nanoTime() - t);
  }
}
