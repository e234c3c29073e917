package io.snapshotkit.testkit;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.spi.HostDirectory;
import io.snapshotkit.spi.HostInfo;
import io.snapshotkit.spi.HostStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link HostDirectory} of {@link FakeHostAgent}s whose statuses, reachability and workload
 * placement a test controls.
 *
 * <pre>{@code
 * FakeHostDirectory hosts = FakeHostDirectory.withHosts(3);   // h1, h2, h3, all ONLINE
 * hosts.place(workload, "h2");
 * hosts.agentFor("h2").put(workload, "users", "alice", doc);
 * hosts.setStatus("h3", HostStatus.OFFLINE);
 * }</pre>
 *
 * <p>{@link #place} only records where a workload runs; create its state on that host's agent.
 * Using an unknown host id in a test helper is a mistake in the test and throws
 * {@link IllegalArgumentException}; {@link #agent} of an unknown host is {@code HOST_UNAVAILABLE},
 * as the SPI requires.
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
public final class FakeHostDirectory implements HostDirectory {

  private static final class Entry {
    final FakeHostAgent agent;
    HostStatus status = HostStatus.ONLINE;
    boolean unreachable;

    Entry(FakeHostAgent agent) {
      this.agent = agent;
    }
  }

  private final Map<String, Entry> hosts = new LinkedHashMap<>();
  private final Map<WorkloadRef, String> placement = new HashMap<>();

  /** An empty directory. */
  public FakeHostDirectory() {}

  /** A directory of {@code n} ONLINE hosts "h1".."hN", each with a new {@link FakeHostAgent}. */
  public static FakeHostDirectory withHosts(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("a directory needs at least one host: " + n);
    }
    FakeHostDirectory directory = new FakeHostDirectory();
    for (int i = 1; i <= n; i++) {
      directory.addHost(new FakeHostAgent("h" + i));
    }
    return directory;
  }

  /**
   * Adds an ONLINE host whose id is the agent's host id; hosts are listed in the order added.
   *
   * @throws IllegalArgumentException if a host with that id exists
   */
  public synchronized FakeHostDirectory addHost(FakeHostAgent agent) {
    Objects.requireNonNull(agent, "agent");
    if (hosts.containsKey(agent.hostId())) {
      throw new IllegalArgumentException("host " + agent.hostId() + " is already in the directory");
    }
    hosts.put(agent.hostId(), new Entry(agent));
    return this;
  }

  /** Sets a host's status as {@link #hosts()} reports it. */
  public synchronized void setStatus(String hostId, HostStatus status) {
    Objects.requireNonNull(status, "status");
    entry(hostId).status = status;
  }

  /** Makes {@link #agent} of this host throw {@code HOST_UNAVAILABLE} (true) or connect again (false). */
  public synchronized void unreachable(String hostId, boolean unreachable) {
    entry(hostId).unreachable = unreachable;
  }

  /** Records that the workload runs on {@code hostId} (what {@link #hostOf} answers). */
  public synchronized void place(WorkloadRef workload, String hostId) {
    Objects.requireNonNull(workload, "workload");
    entry(hostId);
    placement.put(workload, hostId);
  }

  /** Forgets where the workload runs: {@link #hostOf} answers empty, as for a deleted workload. */
  public synchronized void removeWorkload(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    placement.remove(workload);
  }

  /** The fake agent of a host, for scripting and assertions. */
  public synchronized FakeHostAgent agentFor(String hostId) {
    return entry(hostId).agent;
  }

  /** Every fake agent, in the order added. */
  public synchronized List<FakeHostAgent> agents() {
    List<FakeHostAgent> out = new ArrayList<>();
    hosts.values().forEach(e -> out.add(e.agent));
    return out;
  }

  @Override
  public synchronized List<HostInfo> hosts() {
    List<HostInfo> out = new ArrayList<>();
    hosts.forEach((id, e) -> out.add(new HostInfo(id, e.status)));
    return List.copyOf(out);
  }

  @Override
  public synchronized Optional<String> hostOf(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    return Optional.ofNullable(placement.get(workload));
  }

  @Override
  public synchronized HostAgent agent(String hostId) {
    Objects.requireNonNull(hostId, "hostId");
    Entry e = hosts.get(hostId);
    if (e == null) {
      throw new SnapshotException(ErrorCode.HOST_UNAVAILABLE,
          "unknown host '" + hostId + "'; the directory knows " + hosts.keySet());
    }
    if (e.unreachable) {
      throw new SnapshotException(ErrorCode.HOST_UNAVAILABLE,
          "host " + hostId + " cannot be reached (FakeHostDirectory.unreachable); retry when it is back");
    }
    return e.agent;
  }

  private Entry entry(String hostId) {
    Objects.requireNonNull(hostId, "hostId");
    Entry e = hosts.get(hostId);
    if (e == null) {
      throw new IllegalArgumentException("no host '" + hostId + "' in this directory; add it with addHost first");
    }
    return e;
  }
}
