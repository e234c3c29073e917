package io.snapshotkit.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.SnapshotEngine;
import io.snapshotkit.fs.CheckReport;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.fs.store.ObjectStore;
import io.snapshotkit.jdbc.JdbcManifestStore;
import io.snapshotkit.spi.HostDirectory;
import io.snapshotkit.spi.Lifecycle;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.MultipartUpload;

/**
 * The S3 server dies in the middle of a capture the engine runs: a {@link SnapshotEngine} on a
 * real SQLite store, an {@link FsHostAgent} whose repository is a bucket of a real S3Proxy, and
 * the S3Proxy SIGKILLed at a fixed point of the capture (a part of the first pack's multipart
 * upload stored), not after a sleep. It kills its own server, so it does not use {@link
 * SharedS3Proxy}.
 */
class S3EngineFaultIT {
  private static final long PART = 5L << 20;
  /**
   * Long enough that the gcs below run while the failed capture's lease object (its delete failed:
   * the server was down) is still live: this agent's own leftover must not stop its gc.
   */
  private static final Duration LEASE = Duration.ofSeconds(6);
  @TempDir static Path serverDir;
  static S3ProxyServer server;
  @TempDir Path dir;

  @BeforeAll
  static void startServer() throws Exception {
    server = new S3ProxyServer(serverDir).start();
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @Test
  @DisplayName("S3 killed once a part of the capture's first pack is stored: the snapshot is FAILED saying the store is "
      + "unreachable; after a restart no root, check clean, gc aborts the abandoned upload, the next capture succeeds")
  void serverKilledMidCaptureFailsTheSnapshotAtTheEngine() throws Exception {
    String bucket = server.newBucket();
    Path data = dir.resolve("live/data");
    Tree.fill(data, 31, 20, 20_000);
    AtomicBoolean armed = new AtomicBoolean();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (S3ObjectStore s3 = server.store(bucket).partSize(PART).maxAttempts(2).retryBaseDelay(Duration.ofMillis(20))
            .build();
        FsHostAgent agent = FsHostAgent.builder().repository(dir.resolve("host")).hostId("host-a")
            .objectStore(new KillWhenAPartIsStored(s3, bucket, armed)).leaseTime(LEASE).build();
        JdbcManifestStore store = JdbcManifestStore.sqlite(dir.resolve("meta.db"));
        SnapshotEngine engine = SnapshotEngine.builder().manifestStore(store).hosts(HostDirectory.single(agent))
            .lifecycle(Lifecycle.none()).clock(Clock.systemUTC()).executor(pool).random(new SplittableRandom(3))
            .build()) {
      agent.track(S3RepositoryIT.W, Map.of("data", data));
      Snapshot first = engine.capture(CaptureSpec.of(S3RepositoryIT.W));
      assertEquals(SnapshotStatus.READY, first.status());

      Tree.write(data.resolve("large.bin"), Tree.random(32, 24 << 20)); // new content: a multipart pack upload
      armed.set(true);
      SnapshotException e = assertThrows(SnapshotException.class, () -> engine.capture(CaptureSpec.of(S3RepositoryIT.W)));
      assertEquals(ErrorCode.HOST_UNAVAILABLE, e.code(), e.getMessage());
      SnapshotId failedId = e.snapshotId().orElseThrow();
      Snapshot failed = engine.get(S3RepositoryIT.W.tenant(), failedId);
      assertEquals(SnapshotStatus.FAILED, failed.status());
      String reason = failed.failure().orElseThrow();
      assertTrue(reason.contains("object store cannot be reached") && reason.contains("check that it runs"), reason);

      server.start();
      assertEquals(List.of(first.id()), agent.snapshots(S3RepositoryIT.W), "the failed capture published no root");
      assertEquals(1, incompleteUploads(bucket).size(), "the killed capture left its pack's multipart upload");
      CheckReport check = agent.check(false);
      assertTrue(check.ok(), check.toString());

      // S3Proxy lists an upload's start as the time of the listing: the gc that first sees it
      // keeps it, the first gc a lease time later aborts it
      agent.gc();
      Thread.sleep(LEASE.toMillis() + 200);
      agent.gc();
      assertEquals(List.of(), incompleteUploads(bucket), "gc aborted the upload the failed capture left");
      assertEquals(0, agent.gc().bytesReclaimed(), "after one gc nothing unreferenced is left");
      try (S3Client c = server.client()) {
        assertEquals(List.of(), c.listObjectsV2(b -> b.bucket(bucket).prefix("leases/")).contents(),
            "the failed capture's lease expired and gc removed it");
      }

      Snapshot next = engine.capture(CaptureSpec.of(S3RepositoryIT.W));
      assertEquals(SnapshotStatus.READY, next.status());
      Path out = dir.resolve("out");
      S3RepositoryIT.restoreInto(agent, next.id(), out);
      assertEquals(Tree.state(data), Tree.state(out.resolve("data")));
      assertTrue(agent.check(false).ok());
    } finally {
      pool.shutdownNow();
    }
  }

  static List<MultipartUpload> incompleteUploads(String bucket) {
    try (S3Client c = server.client()) {
      return c.listMultipartUploads(b -> b.bucket(bucket)).uploads();
    }
  }

  /**
   * Once armed, blocks the writer of the first pack that grows past one part until the server
   * lists a stored part of a multipart upload, then kills the server: the upload is then certainly
   * under way, and its writer cannot have published it.
   */
  private static final class KillWhenAPartIsStored extends ForwardingObjectStore {
    private final String bucket;
    private final AtomicBoolean armed;

    KillWhenAPartIsStored(ObjectStore inner, String bucket, AtomicBoolean armed) {
      super(inner);
      this.bucket = bucket;
      this.armed = armed;
    }

    @Override
    public Upload upload(String name) throws IOException {
      Upload u = inner.upload(name);
      if (!name.startsWith("packs/")) {
        return u;
      }
      OutputStream watched = new OutputStream() {
        @Override
        public void write(int b) throws IOException {
          write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          u.out().write(b, off, len);
          if (u.written() > PART && armed.get()) {
            awaitStoredPartThenKill();
          }
        }
      };
      return new Upload() {
        @Override
        public OutputStream out() {
          return watched;
        }

        @Override
        public long written() {
          return u.written();
        }

        @Override
        public boolean publish() throws IOException {
          return u.publish();
        }

        @Override
        public void close() throws IOException {
          u.close();
        }
      };
    }

    private void awaitStoredPartThenKill() throws IOException {
      try {
        if (!server.awaitStoredPart(bucket, 60_000)) {
          throw new IllegalStateException("no part of a multipart upload was stored within 60 s");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while waiting for a stored part");
      }
      armed.set(false);
      server.stop();
    }
  }
}
