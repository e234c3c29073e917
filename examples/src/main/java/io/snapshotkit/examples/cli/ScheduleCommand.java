package io.snapshotkit.examples.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import io.snapshotkit.Schedule;
import io.snapshotkit.ScheduleState;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.ScheduleReport;
import io.snapshotkit.core.ScheduleRun;
import io.snapshotkit.core.Schedules;
import io.snapshotkit.examples.internal.JsonViews;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * Per-workload capture schedules: {@code schedule set}, {@code list}, {@code rm} and {@code run}
 * (what is due now, once). {@code snapshotkit serve} runs them while it serves.
 *
 * <p><b>Thread-safety:</b> not thread-safe; one instance runs one command.
 */
@Command(name = "schedule", description = {
    "Capture workloads on a schedule: a 5-field cron expression (UTC) or a fixed interval, with optional jitter "
        + "and a retention policy applied after each scheduled capture.",
    "Schedules run while `snapshotkit serve` runs, or once with `schedule run` (from cron or a systemd timer). "
        + "Slots missed while nothing ran are caught up with one capture, never a burst.",
    "Without a subcommand, lists the schedules."},
    subcommands = {ScheduleCommand.Set.class, ScheduleCommand.ListCmd.class, ScheduleCommand.Remove.class,
        ScheduleCommand.Run.class})
final class ScheduleCommand extends Base {
  @Override
  void run() {
    list(root.output(), engine().schedules());
  }

  /** Prints the CLI tenant's schedules. */
  static void list(Output out, Schedules schedules) {
    List<ScheduleState> all = schedules.list(Cli.TENANT);
    ArrayNode a = JsonViews.array();
    Table t = Table.of("WORKLOAD", "WHEN", "RETENTION", "RUNS", "SKIPS", "NEXT DUE").rightAligned(3, 4);
    for (ScheduleState s : all) {
      Optional<Instant> next = schedules.nextDue(s);
      a.add(JsonViews.schedule(s, next));
      t.row(s.workload().id(), when(s.schedule()),
          s.schedule().retention().map(RetentionOptions::describe).orElse("-"),
          String.valueOf(s.runs()), String.valueOf(s.skips()), next.map(Instant::toString).orElse("never"));
    }
    out.result(a);
    out.table(t, "No schedules; add one: snapshotkit schedule set WORKLOAD --every 1h");
  }

  private static String when(Schedule s) {
    String when = s.cron().map(c -> "cron '" + c + "'").orElseGet(() -> "every " + Format.duration(s.interval().get()));
    return s.jitter().isZero() ? when : when + " +" + Format.duration(s.jitter()) + " jitter";
  }

  /** What every schedule subcommand shares: the parent's root and the engine's schedules. */
  private abstract static class Sub implements Callable<Integer> {
    @ParentCommand ScheduleCommand parent;

    Output out() {
      return parent.root.output();
    }

    Schedules schedules() {
      return parent.engine().schedules();
    }

    @Override
    public Integer call() {
      run();
      return ExitCodes.OK;
    }

    abstract void run();
  }

  /** {@code schedule set WORKLOAD (--cron EXPR | --every DURATION) [--jitter DURATION] [retention]}. */
  @Command(name = "set", mixinStandardHelpOptions = true, sortOptions = false, description = {
      "Set WORKLOAD's schedule, replacing the one it had (slots that already ran do not run again).",
      "Give exactly one of --cron or --every. Retention options, if any, are applied after each scheduled capture."})
  static final class Set extends Sub {
    @Parameters(index = "0", paramLabel = "WORKLOAD")
    String workload;

    @Option(names = "--cron", paramLabel = "EXPR",
        description = "A 5-field Unix cron expression in UTC: minute hour day-of-month month day-of-week, "
            + "e.g. '0 3 * * *' (03:00 every day) or '*/15 * * * *'.")
    String cron;

    @Option(names = "--every", paramLabel = "DURATION",
        description = "A fixed interval, e.g. 30m, 6h, 1d (s, m, h, d, w); slots fall on multiples of it since 1970 UTC.")
    String every;

    @Option(names = "--jitter", paramLabel = "DURATION",
        description = "Delay each slot by a fixed pseudo-random amount below DURATION (the same on every instance), "
            + "to spread many workloads; shorter than the interval.")
    String jitter;

    @Mixin RetentionOptions rules;

    @Override
    void run() {
      WorkloadRef w = workload(workload);
      if ((cron == null) == (every == null)) {
        throw SnapshotException.invalid("give exactly one of --cron EXPR (e.g. --cron '0 3 * * *') or --every DURATION "
            + "(e.g. --every 1h)");
      }
      Schedule s = cron != null ? Schedule.cron(w, cron) : Schedule.every(w, Format.parseDuration(every, "--every"));
      if (jitter != null) {
        s = s.jitter(Format.parseDuration(jitter, "--jitter"));
      }
      Optional<io.snapshotkit.RetentionPolicy> retention = rules.policy();
      if (retention.isPresent()) {
        s = s.retention(retention.get());
      }
      Schedules schedules = schedules();
      ScheduleState stored = schedules.set(s);
      Optional<Instant> next = schedules.nextDue(stored);
      out().result(JsonViews.schedule(stored, next));
      out().line("Scheduled " + workload + ": " + when(s)
          + retention.map(r -> ", then retention " + RetentionOptions.describe(r)).orElse(""));
      out().line("Next capture due " + next.map(Instant::toString).orElse("never")
          + ". Schedules run while `snapshotkit serve` runs, or with `snapshotkit schedule run`.");
    }
  }

  /** {@code schedule list}. */
  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the schedules with their runs, skips and next due time.")
  static final class ListCmd extends Sub {
    @Override
    void run() {
      list(out(), schedules());
    }
  }

  /** {@code schedule rm WORKLOAD}. */
  @Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove WORKLOAD's schedule (its snapshots stay).")
  static final class Remove extends Sub {
    @Parameters(index = "0", paramLabel = "WORKLOAD")
    String workload;

    @Override
    void run() {
      if (!schedules().remove(workload(workload))) {
        throw SnapshotException.notFound("workload '" + workload + "' has no schedule; see: snapshotkit schedule list");
      }
      out().result(JsonViews.object().put("workload", workload).put("removed", true));
      out().line("Removed the schedule of " + workload + " (its snapshots stay).");
    }
  }

  /** {@code schedule run}. */
  @Command(name = "run", mixinStandardHelpOptions = true, description = {
      "Run what is due now, once, and exit: for each schedule, its most recent due slot that has not run.",
      "Call it every minute or so from cron or a systemd timer when `snapshotkit serve` is not running.",
      "If a scheduled capture failed, exits with the status of its error (see Exit status)."})
  static final class Run extends Sub {
    @Override
    void run() {
      ScheduleReport report = schedules().runDue();
      out().result(JsonViews.scheduleReport(report));
      Table t = Table.of("WORKLOAD", "SLOT", "OUTCOME", "SNAPSHOT");
      for (ScheduleRun r : report.runs()) {
        t.row(r.workload().id(), r.slot().toString(),
            r.outcome().name().toLowerCase(java.util.Locale.ROOT) + (r.caughtUp() ? " (caught up)" : ""),
            r.snapshot().map(s -> s.workload().id() + "@" + s.version()).orElse("-"));
        r.failure().ifPresent(f -> out().line("  " + r.workload().id() + ": " + f.code() + ": " + f.getMessage()));
      }
      out().table(t, "Nothing was due.");
      List<ScheduleRun> failed = report.with(ScheduleRun.Outcome.FAILED);
      if (!failed.isEmpty()) {
        SnapshotException first = failed.get(0).failure().orElseThrow();
        throw new SnapshotException(first.code(), failed.size() + " scheduled capture(s) failed; the first: "
            + first.getMessage() + " (the next slot runs normally once the cause is fixed)", first);
      }
    }
  }
}
