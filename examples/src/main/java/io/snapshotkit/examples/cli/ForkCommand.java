package io.snapshotkit.examples.cli;

import io.snapshotkit.Snapshot;
import io.snapshotkit.core.ForkOptions;
import io.snapshotkit.examples.internal.JsonViews;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code snapshotkit fork SNAPSHOT NEW_WORKLOAD [--to DIR]}: a snapshot becomes version 1 of a new
 * workload, sharing its content in the repository (the fork stores a few hundred bytes).
 *
 * <p><b>Thread-safety:</b> not thread-safe; one instance runs one command.
 */
@Command(name = "fork", description = {
    "Fork a snapshot into a new workload: its version 1 holds exactly the snapshot's files and shares their "
        + "content in the repository (the fork stores metadata only).",
    "--to DIR also puts the files in DIR (each volume in DIR/VOLUME, DIR new or empty) and tracks the new "
        + "workload there, so it can be captured and restored like any other."})
final class ForkCommand extends Base {
  @Parameters(index = "0", paramLabel = "SNAPSHOT", description = "An id, or WORKLOAD@VERSION.")
  String snapshot;

  @Parameters(index = "1", paramLabel = "NEW_WORKLOAD", description = "The new workload's id (must not exist).")
  String newWorkload;

  @Option(names = "--to", paramLabel = "DIR", description = "Materialise the new workload's files in DIR and track it there.")
  Path to;

  @Option(names = {"-n", "--name"}, paramLabel = "NAME", description = "Display name of the new workload's version 1.")
  String name = "";

  @Option(names = {"-l", "--label"}, paramLabel = "KEY=VALUE", description = "A label to store with it; repeatable.")
  Map<String, String> labels = new LinkedHashMap<>();

  @Override
  void run() {
    Snapshot source = snapshot(snapshot);
    ForkOptions options = ForkOptions.defaults().name(name).labels(labels);
    if (to != null) {
      options = options.target(to.toAbsolutePath().normalize().toString());
    }
    ForkOptions chosen = options;
    Snapshot child = out().tracking("fork", progress -> engine().fork(Cli.TENANT, source.id(), workload(newWorkload),
        chosen, progress));
    out().result(JsonViews.snapshot(child));
    out().line("Forked " + label(source) + " into " + label(child) + "  " + child.id().value()
        + (to == null ? " (metadata only; restore it with --to DIR, or fork again with --to)"
            : " at " + to.toAbsolutePath().normalize()));
  }
}
