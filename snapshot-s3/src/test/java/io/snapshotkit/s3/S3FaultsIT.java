package io.snapshotkit.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.fs.CheckReport;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.fs.store.ObjectStore;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bucket's server fails: stopped in the middle of a capture, or throttling. */
class S3FaultsIT {
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
  @DisplayName("the S3 server stopped mid-capture fails the capture HOST_UNAVAILABLE, publishes no root, and leaves check clean")
  void serverStoppedMidCaptureFailsCleanly() throws Exception {
    String bucket = server.newBucket();
    Path data = dir.resolve("live/data");
    Tree.fill(data, 11, 40, 200_000);
    SnapshotId kept = S3RepositoryIT.nextId();
    SnapshotId failed = S3RepositoryIT.nextId();
    AtomicBoolean armed = new AtomicBoolean();
    try (S3ObjectStore s3 = server.store(bucket).maxAttempts(2).build();
        FsHostAgent agent = FsHostAgent.builder().repository(dir.resolve("a")).hostId("a")
            .objectStore(new StopOnFirstPack(s3, armed)).build()) {
      agent.track(S3RepositoryIT.W, Map.of("data", data));
      S3RepositoryIT.capture(agent, kept);
      Tree.fill(data, 12, 40, 200_000); // new content: the next capture uploads packs
      armed.set(true);
      SnapshotException e = assertThrows(SnapshotException.class, () -> S3RepositoryIT.capture(agent, failed));
      assertEquals(ErrorCode.HOST_UNAVAILABLE, e.code(), e.getMessage());
      assertTrue(e.getMessage().contains("cannot be reached"), e.getMessage());
    }
    server.start();
    try (S3ObjectStore s3 = server.store(bucket).build();
        FsHostAgent agent = S3RepositoryIT.agent(dir.resolve("b"), s3, "b")) {
      assertEquals(List.of(kept), agent.snapshots(S3RepositoryIT.W), "nothing of the failed capture was published");
      CheckReport check = agent.check(false);
      assertTrue(check.ok(), check.toString());
      agent.gc();
      assertEquals(0, agent.gc().bytesReclaimed(), "after one gc nothing unreferenced is left");
      Path out = dir.resolve("out");
      S3RepositoryIT.restoreInto(agent, kept, out);
    }
  }

  @Test
  @DisplayName("503 SlowDown answers are retried with backoff: start-up and a capture succeed through a throttling proxy")
  void slowDownIsRetried() throws Exception {
    String bucket = server.newBucket();
    Path data = dir.resolve("live/data");
    Tree.fill(data, 13, 10, 30_000);
    try (SlowDownProxy proxy = new SlowDownProxy(server.port())) {
      proxy.failNext.set(3);
      try (S3ObjectStore s3 = S3ObjectStore.builder().endpoint(proxy.endpoint()).region("us-east-1").bucket(bucket)
              .credentials(S3ProxyServer.credentials()).maxAttempts(6).build();
          FsHostAgent agent = S3RepositoryIT.agent(dir.resolve("a"), s3, "a")) {
        assertEquals(3, proxy.injected.get(), "three 503 SlowDown answers were given and retried");
        agent.track(S3RepositoryIT.W, Map.of("data", data));
        SnapshotId id = S3RepositoryIT.nextId();
        S3RepositoryIT.capture(agent, id);
        Path out = dir.resolve("out");
        S3RepositoryIT.restoreInto(agent, id, out);
        assertEquals(Tree.state(data), Tree.state(out.resolve("data")));
      }
    }
  }

  /** Kills the S3 server just before the first pack of an armed capture is published. */
  private static final class StopOnFirstPack extends ForwardingObjectStore {
    private final AtomicBoolean armed;

    StopOnFirstPack(ObjectStore inner, AtomicBoolean armed) {
      super(inner);
      this.armed = armed;
    }

    @Override
    public Upload upload(String name) throws IOException {
      Upload u = inner.upload(name);
      if (!name.startsWith("packs/")) {
        return u;
      }
      return new Upload() {
        @Override
        public OutputStream out() {
          return u.out();
        }

        @Override
        public long written() {
          return u.written();
        }

        @Override
        public boolean publish() throws IOException {
          if (armed.getAndSet(false)) {
            server.stop();
          }
          return u.publish();
        }

        @Override
        public void close() throws IOException {
          u.close();
        }
      };
    }
  }
}
