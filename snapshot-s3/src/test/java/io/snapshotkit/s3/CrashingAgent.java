package io.snapshotkit.s3;

import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.spi.CaptureRequest;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * The child JVM of {@link S3CrashIT}: an agent on a bucket that works until it is SIGKILLed.
 * Mode {@code capture} captures new content again and again (uploads in flight most of the time);
 * mode {@code gc} captures, deletes and collects again and again; mode {@code upload} sends the first
 * parts of a multipart pack upload and waits. Prints a line as each step starts.
 *
 * <p>Arguments: mode, endpoint, bucket, local directory, data directory.
 */
final class CrashingAgent {
  private CrashingAgent() {}

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    S3ObjectStore store = S3ObjectStore.builder().endpoint(URI.create(args[1])).region("us-east-1").bucket(args[2])
        .credentials(S3ProxyServer.credentials()).partSize(5L << 20).build();
    if (mode.equals("upload")) {
      // a pack upload whose first parts are sent, then never published: killed here
      var upload = store.upload("packs/p-" + java.util.UUID.randomUUID() + ".pack");
      upload.out().write(Tree.random(5, 12 << 20));
      System.out.println("uploading");
      Thread.sleep(Long.MAX_VALUE);
    }
    FsHostAgent agent = FsHostAgent.builder().repository(Path.of(args[3])).hostId("crashing").objectStore(store)
        .leaseTime(Duration.ofSeconds(3)).build();
    WorkloadRef w = WorkloadRef.of("acme", "crash");
    Path data = Path.of(args[4]);
    agent.track(w, Map.of("data", data));
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; ; i++) {
      Tree.write(data.resolve("changing-" + (i % 3) + ".bin"), Tree.random(random.nextLong(), 3 << 20));
      SnapshotId id = SnapshotId.generate(Instant.now(), random);
      System.out.println("capture " + i);
      agent.capture(new CaptureRequest(w, id, Optional.empty(), Optional.empty(), false));
      if (mode.equals("gc")) {
        agent.delete(w, id);
        System.out.println("gc " + i);
        agent.gc();
      }
    }
  }
}
