package io.snapshotkit.examples.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.snapshotkit.examples.internal.JsonViews;
import io.snapshotkit.jdbc.JdbcHostRegistry;
import io.snapshotkit.jdbc.JdbcHostRegistry.RegisteredHost;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.BiConsumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Parameters;

/**
 * Control-plane mode: the hosts in the registry ({@code --registry}) with their agents' addresses
 * and their status, and the operator's drain and undrain.
 *
 * <p><b>Thread-safety:</b> not thread-safe; one instance runs one command.
 */
@Command(name = "hosts", description = {
    "List the hosts in the registry (--registry) with their agent's address, their last heartbeat and their status: ONLINE, "
        + "DRAINING (takes no new workloads) or OFFLINE (no heartbeat for 2 intervals).",
    "`hosts drain ID` stops placing workloads on a host; `hosts undrain ID` undoes it."},
    subcommands = {HostsCommand.Drain.class, HostsCommand.Undrain.class})
final class HostsCommand extends Base {
  @Override
  void run() {
    List<RegisteredHost> hosts = root.hostRegistry().registeredHosts();
    ArrayNode a = JsonViews.array();
    Table t = Table.of("HOST", "ADDRESS", "STATUS", "HEARTBEAT");
    Instant now = Instant.now();
    for (RegisteredHost h : hosts) {
      ObjectNode n = a.addObject();
      n.put("id", h.id());
      n.put("address", h.address());
      n.put("status", h.status().name());
      n.put("lastHeartbeat", h.lastHeartbeat().map(Instant::toString).orElse(null));
      t.row(h.id(), h.address(), h.status().name(),
          h.lastHeartbeat().map(beat -> Format.relative(beat, now)).orElse("never"));
    }
    out().result(a);
    out().table(t, "No hosts registered; start one: snapshotkit agent --registry ... --host-id ID --listen HOST:PORT");
  }

  /** Runs an operator call on one host and reports it. */
  private abstract static class OperatorCall implements Callable<Integer> {
    @ParentCommand HostsCommand hosts;

    @Parameters(paramLabel = "ID", description = "A registered host id.")
    String id;

    /** Applies the call. */
    abstract BiConsumer<JdbcHostRegistry, String> action();

    /** The past-tense verb for the report. */
    abstract String done();

    @Override
    public Integer call() {
      Output out = hosts.root.output();
      action().accept(hosts.root.hostRegistry(), id);
      ObjectNode n = JsonViews.object();
      n.put("id", id);
      n.put("action", done());
      out.result(n);
      out.line("Host " + id + " " + done());
      return ExitCodes.OK;
    }
  }

  /** {@code hosts drain ID}. */
  @Command(name = "drain", mixinStandardHelpOptions = true,
      description = "Place no new workloads on host ID (those placed there stay; strict deletes still ask it).")
  static final class Drain extends OperatorCall {
    @Override
    BiConsumer<JdbcHostRegistry, String> action() {
      return JdbcHostRegistry::drain;
    }

    @Override
    String done() {
      return "drained";
    }
  }

  /** {@code hosts undrain ID}. */
  @Command(name = "undrain", mixinStandardHelpOptions = true, description = "Let host ID take workloads again.")
  static final class Undrain extends OperatorCall {
    @Override
    BiConsumer<JdbcHostRegistry, String> action() {
      return JdbcHostRegistry::undrain;
    }

    @Override
    String done() {
      return "undrained";
    }
  }
}
