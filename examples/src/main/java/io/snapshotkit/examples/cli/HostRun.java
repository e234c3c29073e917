package io.snapshotkit.examples.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.grpc.HostAdmin;
import io.snapshotkit.jdbc.JdbcHostRegistry;
import io.snapshotkit.spi.HostInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * One host's outcome of a repository command run through the hosts' agents in control-plane mode
 * ({@code gc}, {@code check}): its result, or why it failed. A failing host does not stop the
 * others; the command reports every host, then fails naming those that did.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param host the host id
 * @param result what the host's agent answered, when it did
 * @param failure why it did not
 * @param <R> the result's type
 */
record HostRun<R>(String host, Optional<R> result, Optional<SnapshotException> failure) {
  /**
   * Runs {@code work} on the agent of {@code only}, else of every registered host, in the
   * registry's order.
   *
   * @throws SnapshotException NOT_FOUND if {@code only} is not registered, or no host is
   */
  static <R> List<HostRun<R>> each(RootCommand root, String only, Function<HostAdmin, R> work) {
    JdbcHostRegistry registry = root.hostRegistry();
    List<String> registered = registry.hosts().stream().map(HostInfo::id).toList();
    if (only != null && !registered.contains(only)) {
      throw SnapshotException.notFound("host " + only + " is not registered; `snapshotkit hosts` lists the hosts");
    }
    if (registered.isEmpty()) {
      throw SnapshotException.notFound("no host is registered; start agents with `snapshotkit agent ... --registry`");
    }
    List<HostRun<R>> runs = new ArrayList<>();
    for (String h : only != null ? List.of(only) : registered) {
      try {
        runs.add(new HostRun<>(h, Optional.of(work.apply(ControlPlane.admin(registry, h))), Optional.empty()));
      } catch (SnapshotException e) {
        runs.add(new HostRun<>(h, Optional.empty(), Optional.of(e)));
      }
    }
    return runs;
  }

  /** Adds this host's JSON object to {@code array}: its id, and its failure's code and message when it failed. */
  ObjectNode json(ArrayNode array) {
    ObjectNode n = array.addObject();
    n.put("host", host);
    failure.ifPresent(e -> {
      n.put("error", e.code().name());
      n.put("message", e.getMessage());
    });
    return n;
  }

  /**
   * Fails if any host failed: with its own exception when it is the only one, else with the first
   * one's code, naming every failed host and why.
   */
  static <R> void throwIfAnyFailed(String command, List<HostRun<R>> runs) {
    List<HostRun<R>> failed = runs.stream().filter(r -> r.failure().isPresent()).toList();
    if (failed.isEmpty()) {
      return;
    }
    if (runs.size() == 1) {
      throw failed.get(0).failure().get();
    }
    StringBuilder why = new StringBuilder();
    for (HostRun<R> r : failed) {
      why.append(why.length() == 0 ? "" : "; ").append(r.host()).append(": ").append(r.failure().get().getMessage());
    }
    throw new SnapshotException(failed.get(0).failure().get().code(), command + " failed on " + failed.size() + " of "
        + runs.size() + " hosts (" + why + "); the other hosts' results are above; run it again with --host ID once "
        + "those hosts are back").withFailedHosts(failed.stream().map(HostRun::host).toList());
  }
}
