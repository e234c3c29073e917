package io.snapshotkit.reliability;

import io.snapshotkit.RetentionPolicy;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.CaptureResult;
import io.snapshotkit.spi.DeleteOutcome;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.spi.Quiesced;
import io.snapshotkit.spi.QuiescePolicy;
import io.snapshotkit.spi.RestoreOutcome;
import io.snapshotkit.spi.RestoreRequest;
import io.snapshotkit.spi.WorkloadLease;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The child JVM of {@link ProcessKillIT}: opens the world at {@code args[1]} with a seam that
 * stops one operation at a chosen point, writes the marker file {@code args[2]} when it gets
 * there, and waits to be SIGKILLed. {@code args[0]} names the crash point; {@code args[3]} is a
 * snapshot id where one is needed.
 */
public final class CrashChild {
  private CrashChild() {}

  public static void main(String[] args) throws Exception {
    String point = args[0];
    Path base = Path.of(args[1]);
    Path marker = Path.of(args[2]);
    WorkloadRef ws = ProcessKillIT.WS;
    switch (point) {
      case "capture-mid-agent" -> {
        // The agent reads files on this executor: the second read waits until the first one has
        // been stored (published), then the capture stops for good.
        ExecutorService pool = Executors.newSingleThreadExecutor();
        AtomicInteger reads = new AtomicInteger();
        java.util.concurrent.Executor stopping = task -> {
          if (reads.incrementAndGet() == 2) {
            pool.shutdown();
            awaitQuietly(pool);
            stop(marker);
          }
          pool.execute(task);
        };
        FsWorld w = FsWorld.reopen(base, new FsWorld.Hooks(stopping, Lifecycle.none(), a -> a));
        w.engine().capture(CaptureSpec.of(ws).name("killed mid agent capture"));
      }
      case "capture-before-commit" -> {
        // resume runs after the agent committed the snapshot and before the engine marks it READY
        Lifecycle stopOnResume = new Lifecycle() {
          @Override
          public Quiesced quiesce(WorkloadLease lease, QuiescePolicy policy) {
            return Lifecycle.none().quiesce(lease, policy);
          }

          @Override
          public void resume(WorkloadLease lease, Quiesced state) {
            stop(marker);
          }
        };
        FsWorld w = FsWorld.reopen(base, new FsWorld.Hooks(null, stopOnResume, a -> a));
        w.engine().capture(CaptureSpec.of(ws).name("killed before commit"));
      }
      case "delete-before-agent", "delete-after-agent" -> {
        boolean after = point.equals("delete-after-agent");
        FsWorld w = FsWorld.reopen(base, new FsWorld.Hooks(null, Lifecycle.none(),
            a -> new StoppingDeletes(a, 1, after, marker)));
        w.engine().delete(ws.tenant(), SnapshotId.parse(args[3]));
      }
      case "retention-mid" -> {
        FsWorld w = FsWorld.reopen(base, new FsWorld.Hooks(null, Lifecycle.none(),
            a -> new StoppingDeletes(a, 2, false, marker)));
        w.clock.set(java.time.Instant.parse(args[3]));
        w.engine().applyRetention(ws, RetentionPolicy.keepLast(1), false);
      }
      case "gc-once" -> {
        FsWorld w = FsWorld.reopen(base, FsWorld.Hooks.none());
        Files.writeString(marker, "collecting", StandardCharsets.UTF_8);
        w.agent().gc();
        stop(marker.resolveSibling(marker.getFileName() + ".done"));
      }
      default -> throw new IllegalArgumentException("unknown crash point " + point);
    }
    throw new IllegalStateException("the operation finished instead of stopping at " + point);
  }

  /** Writes the marker and blocks until killed. */
  static void stop(Path marker) {
    try {
      Files.writeString(marker, "stopped", StandardCharsets.UTF_8);
      Thread.sleep(Long.MAX_VALUE);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting to be killed", e);
    }
  }

  private static void awaitQuietly(ExecutorService pool) {
    try {
      pool.awaitTermination(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Delegates to the real agent but stops at the {@code nth} delete, before or after it ran. */
  private static final class StoppingDeletes implements HostAgent {
    private final HostAgent real;
    private final int nth;
    private final boolean afterDelegate;
    private final Path marker;
    private final AtomicInteger deletes = new AtomicInteger();

    StoppingDeletes(HostAgent real, int nth, boolean afterDelegate, Path marker) {
      this.real = real;
      this.nth = nth;
      this.afterDelegate = afterDelegate;
      this.marker = marker;
    }

    @Override
    public CaptureResult capture(CaptureRequest request) {
      return real.capture(request);
    }

    @Override
    public io.snapshotkit.Manifest describe(WorkloadRef workload) {
      return real.describe(workload);
    }

    @Override
    public RestoreOutcome restore(RestoreRequest request) {
      return real.restore(request);
    }

    @Override
    public void preflight(RestoreRequest request) {
      real.preflight(request);
    }

    @Override
    public DeleteOutcome delete(WorkloadRef workload, SnapshotId snapshot) {
      boolean stopHere = deletes.incrementAndGet() == nth;
      if (stopHere && !afterDelegate) {
        stop(marker);
      }
      DeleteOutcome outcome = real.delete(workload, snapshot);
      if (stopHere) {
        stop(marker);
      }
      return outcome;
    }

    @Override
    public OptionalLong sizeOf(WorkloadRef workload, SnapshotId snapshot) {
      return real.sizeOf(workload, snapshot);
    }
  }
}
