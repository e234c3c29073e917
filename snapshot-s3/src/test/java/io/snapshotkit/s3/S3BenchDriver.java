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
 * as restic runs one backup or restore per process.
 *
 * <pre>
 * S3BenchDriver capture s3 ENDPOINT BUCKET LOCAL_DIR DATA_DIR      (credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)
 * S3BenchDriver restore s3 ENDPOINT BUCKET LOCAL_DIR TARGET_DIR    (restores the newest snapshot)
 * S3BenchDriver capture local REPO_DIR DATA_DIR
 * S3BenchDriver restore local REPO_DIR TARGET_DIR
 * </pre>
 */
final class S3BenchDriver {
  private static final WorkloadRef W = WorkloadRef.of("bench", "corpus");

  private S3BenchDriver() {}

  public static void main(String[] args) throws Exception {
    boolean capture = args[0].equals("capture");
    boolean s3 = args[1].equals("s3");
    ExecutorService pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
    S3ObjectStore store = null;
    FsHostAgent.Builder b = FsHostAgent.builder().executor(pool).hostId("bench");
    Path data;
    if (s3) {
      URI endpoint = URI.create(args[2]);
      var creds = StaticCredentialsProvider.create(AwsBasicCredentials.create(System.getenv("AWS_ACCESS_KEY_ID"),
          System.getenv("AWS_SECRET_ACCESS_KEY")));
      try (S3Client c = S3Client.builder().endpointOverride(endpoint).region(Region.US_EAST_1).forcePathStyle(true)
          .credentialsProvider(creds).build()) {
        if (c.listBuckets().buckets().stream().noneMatch(x -> x.name().equals(args[3]))) {
          c.createBucket(CreateBucketRequest.builder().bucket(args[3]).build());
        }
      }
      store = S3ObjectStore.builder().endpoint(endpoint).region("us-east-1").bucket(args[3]).credentials(creds).build();
      b.repository(Path.of(args[4])).objectStore(store);
      data = Path.of(args[5]);
    } else {
      b.repository(Path.of(args[2]));
      data = Path.of(args[3]);
    }
    try (FsHostAgent agent = b.build()) {
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
    } finally {
      pool.shutdown();
      if (store != null) {
        store.close();
      }
    }
  }
}
