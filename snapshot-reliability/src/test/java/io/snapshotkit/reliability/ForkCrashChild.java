package io.snapshotkit.reliability;

import io.snapshotkit.Manifest;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotOrigin;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.ForkOptions;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.CaptureResult;
import io.snapshotkit.spi.DeleteOutcome;
import io.snapshotkit.spi.ForkRequest;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.spi.HostFork;
import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.spi.QuiescePolicy;
import io.snapshotkit.spi.Quiesced;
import io.snapshotkit.spi.RestoreOutcome;
import io.snapshotkit.spi.RestoreRequest;
import io.snapshotkit.spi.WorkloadLease;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The child JVM of {@link ForkProcessKillIT}: opens the world at {@code args[1]} and forks
 * snapshot {@code args[3]} of {@link ProcessKillIT#WS} into {@link ForkProcessKillIT#CHILD} at
 * target {@code args[4]}, stopping for good at the point {@code args[0]} names (writing the marker
 * {@code args[2]} first): {@code fork-before-agent} (the child's row is admitted, the host not yet
 * asked) or {@code fork-after-agent} (the host wrote the child's root file, its target and its
 * tracking; the engine has not committed).
 */
public final class ForkCrashChild {
  private ForkCrashChild() {}

  public static void main(String[] args) throws Exception {
    String point = args[0];
    Path base = Path.of(args[1]);
    Path marker = Path.of(args[2]);
    SnapshotId source = SnapshotId.parse(args[3]);
    String target = args[4];
    FsWorld.Hooks hooks = switch (point) {
      case "fork-before-agent" -> new FsWorld.Hooks(null, Lifecycle.none(), a -> new StoppingFork(a, marker));
      case "fork-after-agent" -> new FsWorld.Hooks(null, new StoppingPrepare(marker), a -> a);
      default -> throw new IllegalArgumentException("unknown crash point " + point);
    };
    FsWorld w = FsWorld.reopen(base, hooks);
    w.engine().fork(ProcessKillIT.WS.tenant(), source, ForkProcessKillIT.CHILD,
        ForkOptions.defaults().target(target).name("killed fork"));
    throw new IllegalStateException("the fork finished instead of stopping at " + point);
  }

  /** A lifecycle that stops in prepareFork: after the host's fork, before the engine's commit. */
  private record StoppingPrepare(Path marker) implements Lifecycle {
    @Override
    public Quiesced quiesce(WorkloadLease lease, QuiescePolicy policy) {
      return Lifecycle.none().quiesce(lease, policy);
    }

    @Override
    public void resume(WorkloadLease lease, Quiesced state) {
      Lifecycle.none().resume(lease, state);
    }

    @Override
    public void prepareFork(WorkloadLease child, SnapshotOrigin origin) {
      CrashChild.stop(marker);
    }
  }

  /** The real agent, except that its fork stops before it runs. */
  private record StoppingFork(HostAgent real, Path marker) implements HostAgent, HostFork {
    @Override
    public CaptureResult fork(ForkRequest request) {
      CrashChild.stop(marker);
      return ((HostFork) real).fork(request);
    }

    @Override
    public CaptureResult capture(CaptureRequest request) {
      return real.capture(request);
    }

    @Override
    public Manifest describe(WorkloadRef workload) {
      return real.describe(workload);
    }

    @Override
    public RestoreOutcome restore(RestoreRequest request) {
      return real.restore(request);
    }

    @Override
    public DeleteOutcome delete(WorkloadRef workload, SnapshotId snapshot) {
      return real.delete(workload, snapshot);
    }

    @Override
    public OptionalLong sizeOf(WorkloadRef workload, SnapshotId snapshot) {
      return real.sizeOf(workload, snapshot);
    }
  }
}
