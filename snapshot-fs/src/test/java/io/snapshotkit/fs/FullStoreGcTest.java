package io.snapshotkit.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Manifest;
import io.snapshotkit.RestoreMode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.internal.store.LocalObjectStore;
import io.snapshotkit.fs.store.ObjectStore;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.DeleteOutcome;
import io.snapshotkit.spi.RestoreRequest;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deleting and collecting when the object store has almost no space left: strict delete writes
 * nothing, and gc deletes whole dead packs before it rewrites partly dead ones, skipping a rewrite
 * the store has no room for, so a full store can always be emptied. The store here is the local
 * one behind a wrapper that refuses, as a full filesystem does (ENOSPC), any upload larger than a
 * few KiB once set full; {@code S3QuotaIT} shows the same on a real S3 server on a full tmpfs.
 */
class FullStoreGcTest {
  private static final WorkloadRef W = WorkloadRef.of("acme", "full");
  @TempDir Path dir;

  @Test
  @DisplayName("on a store with only a few KiB left, delete and gc succeed: whole dead packs go, a partly dead pack "
      + "whose rewrite does not fit is kept until there is room, and every kept snapshot stays whole")
  void gcOnANearlyFullStoreDeletesWholePacksAndSkipsRewritesThatDoNotFit() throws IOException {
    NearlyFull objects = new NearlyFull(new LocalObjectStore(dir.resolve("objects")));
    Path data = dir.resolve("live/data");
    try (FsHostAgent agent = FsHostAgent.builder().repository(dir.resolve("host")).hostId("h").objectStore(objects)
        .build()) {
      agent.track(W, Map.of("data", data));
      write(data.resolve("big.bin"), 900 << 10, 1);
      SnapshotId s0 = capture(agent, 0); // its pack holds only big.bin v0: wholly dead once s0 and s1 go
      write(data.resolve("keep.bin"), 400 << 10, 2);
      write(data.resolve("big.bin"), 900 << 10, 3);
      SnapshotId s1 = capture(agent, 1); // keep.bin and big.bin v1 in one pack: partly dead later (400 of 1,300 KiB)
      write(data.resolve("big.bin"), 900 << 10, 4);
      SnapshotId s2 = capture(agent, 2); // keeps keep.bin alive
      Map<String, String> kept = Trees.state(data, false);

      objects.full = true;
      write(data.resolve("big.bin"), 900 << 10, 5);
      SnapshotException e = assertThrows(SnapshotException.class, () -> capture(agent, 3));
      assertEquals(ErrorCode.INSUFFICIENT_STORAGE, e.code(), e.getMessage());

      assertEquals(DeleteOutcome.DELETED, agent.delete(W, s0), "strict delete writes nothing");
      assertEquals(DeleteOutcome.DELETED, agent.delete(W, s1));
      GcReport report = agent.gc();
      assertTrue(report.bytesReclaimed() >= 900 << 10, "the wholly dead pack of s0 was deleted: " + report);
      assertEquals(List.of(s2), agent.snapshots(W));
      assertTrue(agent.check(false).ok(), "the partly dead pack whose rewrite did not fit is intact");

      objects.full = false;
      assertTrue(agent.gc().bytesReclaimed() >= 900 << 10, "with room again, the partly dead pack is rewritten");
      Path out = dir.resolve("out");
      Manifest m = agent.manifest(W, s2).orElseThrow();
      agent.restore(new RestoreRequest(W, s2, m, RestoreMode.REPLACE, Optional.of(out.toString()), List.of()));
      assertEquals(kept, Trees.state(out.resolve("data"), false));
    }
  }

  private static SnapshotId capture(FsHostAgent agent, int n) {
    SnapshotId id = SnapshotId.generate(Instant.parse("2026-04-01T00:00:00Z").plusSeconds(n), new SplittableRandom(n));
    agent.capture(new CaptureRequest(W, id, Optional.empty(), Optional.empty(), false));
    return id;
  }

  private static void write(Path file, int size, long seed) throws IOException {
    byte[] b = new byte[size];
    new SplittableRandom(seed).nextBytes(b);
    Files.createDirectories(file.getParent());
    Files.write(file, b);
  }

  /** Once {@link #full}, an upload that grows past 8 KiB fails as on a full filesystem. */
  private static final class NearlyFull implements ObjectStore {
    private static final int LEFT = 8 << 10;
    private final ObjectStore inner;
    volatile boolean full;

    NearlyFull(ObjectStore inner) {
      this.inner = inner;
    }

    @Override
    public Upload upload(String name) throws IOException {
      Upload u = inner.upload(name);
      OutputStream limited = new OutputStream() {
        @Override
        public void write(int b) throws IOException {
          write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          if (full && u.written() + len > LEFT) {
            throw new IOException("No space left on device");
          }
          u.out().write(b, off, len);
        }
      };
      return new Upload() {
        @Override
        public OutputStream out() {
          return limited;
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

    @Override
    public byte[] get(String name) throws IOException {
      return inner.get(name);
    }

    @Override
    public byte[] getRange(String name, long offset, int length) throws IOException {
      return inner.getRange(name, offset, length);
    }

    @Override
    public long size(String name) throws IOException {
      return inner.size(name);
    }

    @Override
    public List<String> list(String prefix) throws IOException {
      return inner.list(prefix);
    }

    @Override
    public boolean delete(String name) throws IOException {
      return inner.delete(name);
    }

    @Override
    public void close() throws IOException {
      inner.close();
    }
  }
}
