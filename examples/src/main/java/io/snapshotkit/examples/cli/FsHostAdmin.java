package io.snapshotkit.examples.cli;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.grpc.HostAdmin;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What {@code snapshotkit agent} serves to control planes besides the HostAgent calls: its
 * {@link FsHostAgent}'s volumes (track, list, untrack), gc and check. A control plane may make a directory a volume only
 * if it exists on this host and lies (links resolved) under one of the agent's {@code --volume-root}
 * directories; without any, volumes are set on the host itself ({@code --track}).
 *
 * <p><b>Thread-safety:</b> thread-safe, as the agent is.
 */
final class FsHostAdmin implements HostAdmin {
  private final FsHostAgent agent;
  private final String hostId;
  /** The volume roots, real paths. */
  private final List<Path> roots;

  /**
   * @param roots the directories under which control planes may track volumes; each must exist
   * @throws SnapshotException INVALID_ARGUMENT if a root is not an existing directory
   */
  FsHostAdmin(FsHostAgent agent, String hostId, List<Path> roots) {
    this.agent = Objects.requireNonNull(agent, "agent");
    this.hostId = Objects.requireNonNull(hostId, "hostId");
    this.roots = roots.stream().map(FsHostAdmin::realRoot).toList();
  }

  private static Path realRoot(Path root) {
    try {
      return root.toAbsolutePath().toRealPath();
    } catch (IOException e) {
      throw SnapshotException.invalid("--volume-root " + root + " is not an existing directory (" + e.getMessage()
          + "); create it or give another");
    }
  }

  @Override
  public Map<String, String> track(WorkloadRef workload, Map<String, String> volumes) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(volumes, "volumes");
    if (roots.isEmpty()) {
      throw new SnapshotException(ErrorCode.FORBIDDEN, "host " + hostId + " takes no volumes from control planes: "
          + "its agent was started without --volume-root; restart it with --volume-root DIR (control planes may then "
          + "track directories under DIR), or track the workload on the host (snapshotkit agent --track)")
          .withWorkload(workload);
    }
    Map<String, Path> paths = new TreeMap<>();
    volumes.forEach((name, directory) -> paths.put(name, allowed(name, directory)));
    agent.track(workload, paths);
    return volumes(workload).orElseThrow(() -> new SnapshotException(ErrorCode.INTERNAL, "host " + hostId
        + " tracked " + workload + " but does not list its volumes; see the agent's log"));
  }

  /** The directory of volume {@code name}, once it is found to be an existing directory under a volume root. */
  private Path allowed(String name, String directory) {
    Path path;
    try {
      path = Path.of(directory);
    } catch (InvalidPathException e) {
      throw SnapshotException.invalid("volume '" + name + "': '" + directory + "' is not a path on host " + hostId);
    }
    if (!path.isAbsolute()) {
      throw SnapshotException.invalid("volume '" + name + "' needs an absolute directory path on host " + hostId
          + ", not " + directory);
    }
    Path real;
    try {
      real = path.toRealPath();
    } catch (IOException e) {
      throw SnapshotException.invalid("volume '" + name + "': " + directory + " does not exist on host " + hostId
          + "; create it there first");
    }
    if (!Files.isDirectory(real)) {
      throw SnapshotException.invalid("volume '" + name + "': " + directory + " is not a directory on host " + hostId);
    }
    if (roots.stream().noneMatch(real::startsWith)) {
      throw new SnapshotException(ErrorCode.FORBIDDEN, "volume '" + name + "': " + directory
          + (real.equals(path.normalize()) ? "" : " (" + real + ")") + " is outside the volume roots of host " + hostId
          + " (" + roots.stream().map(Path::toString).collect(Collectors.joining(", "))
          + "); give a directory under one of them, or restart its agent with another --volume-root");
    }
    return path.normalize();
  }

  @Override
  public Optional<Map<String, String>> volumes(WorkloadRef workload) {
    return agent.volumes(workload).map(v -> {
      Map<String, String> out = new TreeMap<>();
      v.forEach((name, dir) -> out.put(name, dir.toString()));
      return out;
    });
  }

  @Override
  public boolean untrack(WorkloadRef workload) {
    return agent.untrack(workload);
  }

  @Override
  public GcReport gc() {
    io.snapshotkit.fs.GcReport r = agent.gc();
    return new GcReport(r.snapshots(), r.contentsRemoved(), r.bytesReclaimed());
  }

  @Override
  public CheckReport check(boolean sample) {
    io.snapshotkit.fs.CheckReport r = agent.check(sample);
    return new CheckReport(r.contentsChecked(), r.corrupt(), r.missing(), r.damagedSnapshots());
  }
}
