package io.snapshotkit.examples.cli;

import io.snapshotkit.Snapshot;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.SnapshotEngine;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/**
 * What every subcommand shares: the root's options and services, and naming helpers.
 *
 * <p><b>Thread-safety:</b> not thread-safe; one instance runs one command.
 */
// -V/--version on a subcommand prints the tool's version too (without a provider it printed nothing)
@Command(mixinStandardHelpOptions = true, versionProvider = RootCommand.Version.class, sortOptions = false,
    usageHelpAutoWidth = true)
abstract class Base implements Callable<Integer> {
  @ParentCommand RootCommand root;

  /** The output layer. */
  final Output out() {
    return root.output();
  }

  /** The engine on the home directory. */
  final SnapshotEngine engine() {
    return root.services().engine();
  }

  /** A workload of the CLI's tenant. */
  static WorkloadRef workload(String id) {
    return WorkloadRef.of(Cli.TENANT, id);
  }

  /** Looks up a snapshot named by id or WORKLOAD@VERSION. */
  final Snapshot snapshot(String name) {
    SnapshotRef ref = SnapshotRef.parse(name);
    return ref.resolve(engine(), Cli.TENANT);
  }

  /** WORKLOAD@VERSION, or the id while it has no version. */
  static String label(Snapshot s) {
    return s.version() > 0 ? s.workload().id() + "@" + s.version() : s.workload().id() + "@-";
  }

  /** The size, or "-" while unknown. */
  static String size(Snapshot s) {
    return s.sizeBytes().isPresent() ? Format.bytes(s.sizeBytes().getAsLong()) : "-";
  }

  @Override
  public final Integer call() {
    run();
    return ExitCodes.OK;
  }

  /** Runs the command; failures are thrown and mapped to exit statuses by the root. */
  abstract void run();
}
