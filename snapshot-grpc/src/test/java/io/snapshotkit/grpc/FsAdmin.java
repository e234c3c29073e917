package io.snapshotkit.grpc;

import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.FsHostAgent;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** The tests' {@link HostAdmin} over an {@link FsHostAgent}: each call is the agent's own, paths as text. */
final class FsAdmin implements HostAdmin {
  private final FsHostAgent fs;

  FsAdmin(FsHostAgent fs) {
    this.fs = fs;
  }

  @Override
  public Map<String, String> track(WorkloadRef workload, Map<String, String> volumes) {
    Map<String, Path> paths = new TreeMap<>();
    volumes.forEach((name, dir) -> paths.put(name, Path.of(dir)));
    fs.track(workload, paths);
    return volumes(workload).orElseThrow();
  }

  @Override
  public Optional<Map<String, String>> volumes(WorkloadRef workload) {
    return fs.volumes(workload).map(FsAdmin::text);
  }

  @Override
  public boolean untrack(WorkloadRef workload) {
    return fs.untrack(workload);
  }

  @Override
  public GcReport gc() {
    io.snapshotkit.fs.GcReport r = fs.gc();
    return new GcReport(r.snapshots(), r.contentsRemoved(), r.bytesReclaimed());
  }

  @Override
  public CheckReport check(boolean sample) {
    io.snapshotkit.fs.CheckReport r = fs.check(sample);
    return new CheckReport(r.contentsChecked(), r.corrupt(), r.missing(), r.damagedSnapshots());
  }

  private static Map<String, String> text(Map<String, Path> volumes) {
    Map<String, String> out = new TreeMap<>();
    volumes.forEach((name, dir) -> out.put(name, dir.toString()));
    return out;
  }
}
