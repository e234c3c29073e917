package io.snapshotkit.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.Change;
import io.snapshotkit.DiffResult;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.Manifest;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.FileEntry;
import io.snapshotkit.fs.FileType;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.fs.SyntheticSnapshots;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.CaptureResult;
import io.snapshotkit.spi.DeleteOutcome;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.spi.HostDiff;
import io.snapshotkit.spi.RestoreOutcome;
import io.snapshotkit.spi.RestoreRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Diffs through RemoteHostAgent: a file-level diff equals the agent's own, and a 200,000-change
 * diff streams — the first change arrives while the agent is still producing, and while the
 * client's consumer pauses the agent stops producing (gRPC flow control), so neither side holds
 * the diff.
 */
class StreamedDiffTest {
  private static final WorkloadRef W = WorkloadRef.of("acme", "big");
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
  private static final int DIRS = 100;
  private static final int LINKS_PER_DIR = 2000;
  @TempDir static Path certs;
  private static TestCerts.Pem cert;
  @TempDir Path dir;
  private FsHostAgent fs;
  private Counting counting;
  private AgentServer server;
  private RemoteHostAgent remote;

  @BeforeAll
  static void certificates() {
    cert = TestCerts.create(certs, "agent");
  }

  /** The agent, counting the changes its streamed diff hands to the server. */
  private static final class Counting implements HostAgent, HostDiff {
    private final FsHostAgent fs;
    final AtomicLong produced = new AtomicLong();

    Counting(FsHostAgent fs) {
      this.fs = fs;
    }

    @Override
    public CaptureResult capture(CaptureRequest request) {
      return fs.capture(request);
    }

    @Override
    public Manifest describe(WorkloadRef workload) {
      return fs.describe(workload);
    }

    @Override
    public RestoreOutcome restore(RestoreRequest request) {
      return fs.restore(request);
    }

    @Override
    public DeleteOutcome delete(WorkloadRef workload, SnapshotId snapshot) {
      return fs.delete(workload, snapshot);
    }

    @Override
    public OptionalLong sizeOf(WorkloadRef workload, SnapshotId snapshot) {
      return fs.sizeOf(workload, snapshot);
    }

    @Override
    public DiffResult diff(WorkloadRef workload, SnapshotId from, Optional<SnapshotId> to) {
      return fs.diff(workload, from, to);
    }

    @Override
    public DiffResult streamDiff(WorkloadRef workload, SnapshotId from, Optional<SnapshotId> to,
        BiConsumer<String, Change> sink) {
      return fs.streamDiff(workload, from, to, (family, change) -> {
        produced.incrementAndGet();
        sink.accept(family, change);
      });
    }
  }

  @BeforeEach
  void start() {
    fs = FsHostAgent.rootedAt(dir.resolve("repo"));
    counting = new Counting(fs);
    server = Loopback.server(counting, "h1", cert).start();
    remote = Loopback.client(server, cert.certificate()).build();
  }

  @AfterEach
  void stop() {
    remote.close();
    server.close();
    fs.close();
  }

  /** {@code dirs} directories of {@link #LINKS_PER_DIR} symlinks each, in path order; no content. */
  private static Iterator<FileEntry> tree(int dirs) {
    return new Iterator<>() {
      private int d;
      private int link = -1;

      @Override
      public boolean hasNext() {
        return d < dirs;
      }

      @Override
      public FileEntry next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        String name = String.format("d%03d", d);
        FileEntry e;
        if (link < 0) {
          e = new FileEntry("data", name, FileType.DIRECTORY, 0755, 0, T, Optional.empty(), Optional.empty());
        } else {
          String target = "target-" + d + "-" + link;
          e = new FileEntry("data", name + "/l" + String.format("%06d", link), FileType.SYMLINK, 0777,
              target.length(), T, Optional.empty(), Optional.of(target));
        }
        if (++link >= LINKS_PER_DIR) {
          link = -1;
          d++;
        }
        return e;
      }
    };
  }

  @Test
  @DisplayName("a remote file-level diff equals the agent's own, for two snapshots and against the current state")
  void remoteDiffEqualsLocal() throws IOException {
    Path data = dir.resolve("live/data");
    Files.createDirectories(data.resolve("sub"));
    Files.writeString(data.resolve("a.txt"), "alpha");
    Files.writeString(data.resolve("sub/b.txt"), "bravo");
    WorkloadRef w = WorkloadRef.of("acme", "small");
    fs.track(w, Map.of("data", data));
    SnapshotId a = SnapshotId.generate(T, new SplittableRandom(1));
    SnapshotId b = SnapshotId.generate(T.plusSeconds(1), new SplittableRandom(2));
    fs.capture(new CaptureRequest(w, a, Optional.empty(), Optional.empty(), false));
    Files.writeString(data.resolve("a.txt"), "alpha, changed");
    Files.delete(data.resolve("sub/b.txt"));
    Files.writeString(data.resolve("c.txt"), "new");
    fs.capture(new CaptureRequest(w, b, Optional.empty(), Optional.empty(), false));
    Files.writeString(data.resolve("d.txt"), "newer");

    DiffResult between = remote.diff(w, a, Optional.of(b));
    assertEquals(text(fs.diff(w, a, Optional.of(b))), text(between));
    assertEquals(3, between.size());
    assertEquals(text(fs.diff(w, b, Optional.empty())), text(remote.diff(w, b, Optional.empty())));
    assertFalse(remote.diff(w, b, Optional.of(b)).degraded());
    assertTrue(remote.diff(w, b, Optional.of(b)).isEmpty());

    SnapshotId missing = SnapshotId.generate(T.plusSeconds(9), new SplittableRandom(9));
    SnapshotException e = assertThrows(SnapshotException.class, () -> remote.diff(w, missing, Optional.of(b)));
    assertEquals(ErrorCode.NOT_FOUND, e.code(), "the engine shows a degraded diff for it");
  }

  @Test
  @DisplayName("a 200,000-change diff streams in bounded memory: changes arrive while the agent produces, and a paused consumer pauses the agent")
  void largeDiffStreamsWithFlowControl() throws Exception {
    SnapshotId a = SnapshotId.generate(T, new SplittableRandom(1));
    SnapshotId b = SnapshotId.generate(T.plusSeconds(1), new SplittableRandom(2));
    SyntheticSnapshots.ingest(fs, W, a, T, tree(0));
    SyntheticSnapshots.ingest(fs, W, b, T, tree(DIRS));
    long total = (long) DIRS * LINKS_PER_DIR + DIRS;

    AtomicLong consumed = new AtomicLong();
    long[] producedAtFirst = {-1};
    long[] producedWhilePaused = {-1};
    DiffResult rest = remote.streamDiff(W, a, Optional.of(b), (family, change) -> {
      assertEquals(FsHostAgent.FILES_FAMILY, family);
      assertTrue(change instanceof Change.Added, change.toString());
      long n = consumed.incrementAndGet();
      if (n == 1) {
        producedAtFirst[0] = counting.produced.get();
      }
      if (n == 20_000) {
        producedWhilePaused[0] = settled(counting.produced);
      }
    });
    assertEquals(total, consumed.get(), "every change arrived, one by one");
    assertEquals(total, counting.produced.get());
    assertEquals(Map.of(), rest.families(), "nothing was collected");
    assertFalse(rest.degraded());
    assertTrue(producedAtFirst[0] < total / 10,
        "the first change arrived after the agent had produced " + producedAtFirst[0] + " of " + total);
    // In flight while paused: one HTTP/2 flow-control window plus a batch: 1 MiB (some 8,000
    // changes here) as measured, at most 8 MiB (some 65,000) should gRPC grow the window. Without
    // flow control the agent would have produced all 200,100.
    assertTrue(producedWhilePaused[0] - 20_000 < total / 2,
        "while the consumer paused at 20,000 the agent stopped at " + producedWhilePaused[0] + " of " + total);
  }

  /**
   * A diff as text: documents compared as JSON, since JSON text does not say whether a number
   * was an int or a long (Jackson's IntNode and LongNode of one value are not equal).
   */
  private static String text(DiffResult r) {
    StringBuilder b = new StringBuilder(r.from() + " " + r.to() + " " + r.degraded() + " " + r.problems() + "\n");
    r.families().forEach((family, diff) -> diff.changes().forEach(c -> {
      b.append(family).append(' ').append(c.getClass().getSimpleName()).append(' ').append(c.key());
      if (c instanceof Change.Added x) {
        b.append(' ').append(x.after().document());
      } else if (c instanceof Change.Removed x) {
        b.append(' ').append(x.before().document());
      } else if (c instanceof Change.Changed x) {
        b.append(' ').append(x.before().document()).append(' ').append(x.after().document());
      }
      b.append('\n');
    }));
    return b.toString();
  }

  /** Waits until {@code counter} stops moving (at most 10 s) and returns where it stopped. */
  private static long settled(AtomicLong counter) {
    long deadline = System.nanoTime() + 10_000_000_000L;
    long last = -1;
    while (System.nanoTime() < deadline) {
      long now = counter.get();
      if (now == last) {
        return now;
      }
      last = now;
      try {
        Thread.sleep(300);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return counter.get();
      }
    }
    return counter.get();
  }
}
