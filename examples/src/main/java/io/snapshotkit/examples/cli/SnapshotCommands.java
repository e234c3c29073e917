package io.snapshotkit.examples.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.snapshotkit.DiffResult;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.Excludes;
import io.snapshotkit.Manifest;
import io.snapshotkit.Page;
import io.snapshotkit.RestoreFailure;
import io.snapshotkit.RestoreMode;
import io.snapshotkit.RestoreReport;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.SnapshotOrigin;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.Trigger;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.RestoreSpec;
import io.snapshotkit.examples.internal.JsonViews;
import io.snapshotkit.fs.FsHostAgent;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The commands about snapshots: capture, list, versions, show, diff, restore, rollback, delete,
 * protect.
 *
 * <p><b>Thread-safety:</b> not thread-safe; one instance runs one command.
 */
final class SnapshotCommands {
  private SnapshotCommands() {}

  @Command(name = "capture", description = "Capture a tracked workload's volumes as a new version.")
  static final class Capture extends Base {
    @Parameters(paramLabel = "WORKLOAD", description = "The workload (see `snapshotkit track`).")
    String workload;

    @Option(names = {"-n", "--name"}, paramLabel = "NAME", description = "Display name (default: \"Version N\").")
    String name = "";

    @Option(names = {"-t", "--trigger"}, paramLabel = "WORD", description = "Why it is taken: manual (default), pre_exec, schedule, … or your own word.")
    String trigger = "manual";

    @Option(names = {"-l", "--label"}, paramLabel = "KEY=VALUE", description = "A label to store with it; repeatable.")
    Map<String, String> labels = new LinkedHashMap<>();

    @Option(names = "--protect", description = "Create it protected: delete and retention leave it alone.")
    boolean protect;

    @Option(names = "--full", description = "Re-read every file instead of trusting unchanged file metadata.")
    boolean full;

    @Mixin ExcludeOptions excludeOptions;

    @Override
    void run() {
      Trigger t = Trigger.of(trigger);
      if (t.equals(Trigger.PRE_RESTORE) || t.equals(Trigger.ROLLBACK)) {
        throw SnapshotException.invalid("trigger '" + t + "' is reserved for the safety snapshots restore and rollback "
            + "take themselves; use 'manual' or your own word");
      }
      // in control-plane mode the volumes are tracked on the agent, which answers NOT_FOUND itself
      if (!root.services().remote() && root.services().agent().volumes(workload(workload)).isEmpty()) {
        throw SnapshotException.notFound("workload '" + workload + "' is not tracked; track its directories first: "
            + "snapshotkit track " + workload + " DIR...");
      }
      CaptureSpec spec = CaptureSpec.of(workload(workload)).name(name).trigger(t)
          .labels(labels).protect(protect).fullRescan(full);
      Snapshot s = out().tracking("capture",
          progress -> engine().capture(spec.excludes(excludeOptions.excludes()), progress));
      out().result(JsonViews.snapshot(s));
      out().line("Captured " + label(s) + "  " + s.id().value() + "  " + size(s)
          + (s.partial() ? "  (partial: some files changed while being read)" : ""));
    }
  }

  // "ls" was an alias of list; it now lists inside a snapshot, as restic's and Kopia's do (BrowseCommands.Ls)
  @Command(name = "list", description = "List snapshots, newest first.")
  static final class ListCmd extends Base {
    /** The page size without --limit. */
    private static final int DEFAULT_LIMIT = 50;

    @Option(names = {"-w", "--workload"}, paramLabel = "WORKLOAD", description = "Only this workload's.")
    String workload;

    @Option(names = {"-s", "--status"}, paramLabel = "STATUS", split = ",",
        description = "Only these statuses: ${COMPLETION-CANDIDATES}.")
    Set<SnapshotStatus> statuses = EnumSet.noneOf(SnapshotStatus.class);

    @Option(names = {"-t", "--trigger"}, paramLabel = "WORD", split = ",", description = "Only these triggers (manual, rollback, ...).")
    List<String> triggers = new ArrayList<>();

    @Option(names = {"-l", "--label"}, paramLabel = "KEY=VALUE",
        description = "Only snapshots carrying this label with exactly this value; repeatable (all must match).")
    List<String> labels = new ArrayList<>();

    @Option(names = "--limit", paramLabel = "N",
        description = "At most N per page, 1 to " + SnapshotQuery.MAX_LIMIT + " (default " + DEFAULT_LIMIT + ").")
    Integer limit;

    @Option(names = "--after", paramLabel = "ID", description = "Continue after this id (from the previous page's `next`).")
    String after;

    @Spec CommandSpec spec;

    @Override
    void run() {
      int size = limit == null ? DEFAULT_LIMIT : limit;
      if (size < 1) {
        throw new ParameterException(spec.commandLine(), "--limit must be 1 to " + SnapshotQuery.MAX_LIMIT + ", not " + size);
      }
      if (size > SnapshotQuery.MAX_LIMIT) {
        out().warn("--limit " + size + " is over the maximum; showing at most " + SnapshotQuery.MAX_LIMIT + " per page");
        size = SnapshotQuery.MAX_LIMIT;
      }
      SnapshotQuery q = SnapshotQuery.of(Cli.TENANT).limit(size).statuses(statuses)
          .triggers(triggers.stream().map(Trigger::of).collect(Collectors.toSet()));
      if (workload != null) {
        q = q.workload(workload(workload).id());
      }
      if (after != null) {
        q = q.after(SnapshotId.parse(after));
      }
      for (String pair : labels) {
        q = q.label(pair);
      }
      Page<Snapshot> page = engine().list(q);
      out().result(JsonViews.page(page));
      Table t = Table.of("ID", "SNAPSHOT", "NAME", "TRIGGER", "STATUS", "SIZE", "CREATED").rightAligned(5);
      for (Snapshot s : page.items()) {
        t.row(s.id().value(), label(s), s.displayName(), s.trigger().value(), status(s), size(s), out().ago(s.createdAt()));
      }
      List<String> filters = filters();
      if (!t.isEmpty()) {
        out().table(t, "");
      } else if (after == null) {
        // past the last page (--after) an empty page says nothing
        out().line(filters.isEmpty()
            ? "No snapshots yet. Track a directory and capture it: snapshotkit track app ./my-dir && snapshotkit capture app"
            : "No snapshots match " + String.join(" ", filters) + ".");
      }
      page.nextCursor().ifPresent(c -> out().line("More: " + nextPage(filters, c)));
    }

    /** The filter options as given, in a fixed order, ready to repeat on a command line. */
    private List<String> filters() {
      List<String> words = new ArrayList<>();
      if (workload != null) {
        words.add("--workload");
        words.add(Format.shellWord(workload));
      }
      if (!statuses.isEmpty()) {
        words.add("--status");
        words.add(statuses.stream().map(Enum::name).collect(Collectors.joining(",")));
      }
      if (!triggers.isEmpty()) {
        words.add("--trigger");
        words.add(Format.shellWord(String.join(",", triggers)));
      }
      for (String pair : labels) {
        words.add("--label");
        words.add(Format.shellWord(pair));
      }
      return words;
    }

    /** The command that lists the next page: this one's home, filters and limit, after {@code cursor}. */
    private String nextPage(List<String> filters, SnapshotId cursor) {
      List<String> words = new ArrayList<>(List.of("snapshotkit"));
      Home home = root.home();
      if (home.source().equals("--home")) {
        words.add("--home");
        words.add(Format.shellWord(home.dir().toString()));
      }
      words.add("list");
      words.addAll(filters);
      if (limit != null) {
        words.add("--limit");
        words.add(Integer.toString(Math.min(limit, SnapshotQuery.MAX_LIMIT)));
      }
      words.add("--after");
      words.add(cursor.value());
      return String.join(" ", words);
    }
  }

  @Command(name = "versions", description = "A workload's versions, oldest first.")
  static final class Versions extends Base {
    @Parameters(paramLabel = "WORKLOAD")
    String workload;

    @Override
    void run() {
      List<Snapshot> all = engine().versions(workload(workload));
      out().result(JsonViews.snapshots(all));
      printVersions(out(), all);
    }
  }

  /** The versions table, shared with the demo. */
  static void printVersions(Output out, List<Snapshot> all) {
    Table t = Table.of("VERSION", "ID", "NAME", "TRIGGER", "STATUS", "SIZE", "CREATED").rightAligned(0, 5);
    for (Snapshot s : all) {
      t.row(String.valueOf(s.version()), s.id().value(), s.displayName(), s.trigger().value(), status(s),
          Base.size(s), out.ago(s.createdAt()));
    }
    out.table(t, "No versions yet.");
  }

  static String status(Snapshot s) {
    StringBuilder sb = new StringBuilder(s.status().name());
    if (s.isProtected()) {
      sb.append(",protected");
    }
    if (s.partial()) {
      sb.append(",partial");
    }
    return sb.toString();
  }

  @Command(name = "show", description = "One snapshot's details.")
  static final class Show extends Base {
    @Parameters(paramLabel = "SNAPSHOT", description = "An id, or WORKLOAD@VERSION.")
    String snapshot;

    @Override
    void run() {
      Snapshot s = snapshot(snapshot);
      Optional<SnapshotOrigin> origin = root.services().engine().origin(s.tenant(), s.id());
      ObjectNode json = JsonViews.snapshot(s, origin);
      boolean readOnly = root.services().readOnly(); // its repository cannot be opened: show the row alone
      Optional<Manifest> manifest = s.status() == SnapshotStatus.READY && !readOnly
          ? root.services().agent().manifest(s.workload(), s.id())
          : Optional.empty();
      if (readOnly && !root.services().remote()) {
        out().warn("volume details are not shown: the home is read-only, so its repository cannot be opened");
      }
      manifest.ifPresent(m -> json.set("volumes", volumesJson(m)));
      out().result(json);
      out().line("Snapshot   " + s.id().value() + "  (" + label(s) + ")");
      out().line("Name       " + s.displayName());
      out().line("Status     " + status(s) + s.failure().map(f -> "  " + f).orElse(""));
      out().line("Trigger    " + s.trigger().value());
      out().line("Created    " + s.createdAt() + "  (" + out().ago(s.createdAt()) + ")");
      s.expiresAt().ifPresent(e -> out().line("Expires    " + e + "  (" + out().ago(e) + ")"));
      out().line("Size       " + size(s));
      s.parent().ifPresent(p -> out().line("Parent     " + p.value()));
      origin.ifPresent(o -> out().line("Forked     from " + o.snapshot().value() + " (" + o.workload().id() + ")"));
      s.host().ifPresent(h -> out().line("Host       " + h));
      if (!s.labels().isEmpty()) {
        out().line("Labels     " + s.labels());
      }
      manifest.ifPresent(m -> {
        out().blank();
        Table t = Table.of("VOLUME", "FILES", "DIRS", "SYMLINKS", "BYTES").rightAligned(1, 2, 3, 4);
        m.family(FsHostAgent.FAMILY).forEach(r -> t.row(r.key(),
            r.document().path("files").asText("-"), r.document().path("dirs").asText("-"),
            r.document().path("symlinks").asText("-"), Format.bytes(r.document().path("bytes").asLong())));
        out().table(t, "No volumes.");
      });
    }

    private static ArrayNode volumesJson(Manifest m) {
      ArrayNode a = JsonViews.array();
      m.family(FsHostAgent.FAMILY).forEach(r -> {
        ObjectNode v = a.addObject();
        v.put("volume", r.key());
        v.setAll((ObjectNode) r.document());
      });
      return a;
    }
  }

  @Command(name = "diff", description = {
      "What changed from snapshot A to snapshot B, or to the workload's current files.",
      "Lines start with + (added), - (removed) or ~ (changed); keys are VOLUME:PATH."})
  static final class Diff extends Base {
    @Parameters(index = "0", paramLabel = "A", description = "The older side: an id or WORKLOAD@VERSION.")
    String from;

    @Parameters(index = "1", arity = "0..1", paramLabel = "B", description = "The newer side (default: the current files).")
    String to;

    @Option(names = "--current", description = "Compare with the workload's current files (the default without B).")
    boolean current;

    @Override
    void run() {
      if (to != null && current) {
        throw SnapshotException.invalid("give either B or --current, not both");
      }
      Snapshot a = snapshot(from);
      DiffResult d;
      String toLabel;
      if (to != null) {
        Snapshot b = snapshot(to);
        d = engine().diff(Cli.TENANT, a.id(), b.id());
        toLabel = label(b);
      } else {
        d = engine().diffCurrent(Cli.TENANT, a.id());
        toLabel = "current files";
      }
      out().result(JsonViews.diff(d));
      out().line("Diff " + label(a) + " -> " + toLabel + ":");
      DiffPrinter.print(out(), d);
    }
  }

  @Command(name = "restore", description = {
      "Restore a snapshot. By default ADDITIVE into the workload: re-create what is missing, overwrite nothing.",
      "--replace makes the volumes exactly the snapshot (journaled; a safety snapshot is captured first).",
      "With --registry it runs on the workload's host, whose agent finishes it even if this command is stopped."})
  static final class Restore extends Base {
    @Parameters(paramLabel = "SNAPSHOT", description = "An id, or WORKLOAD@VERSION.")
    String snapshot;

    @Option(names = "--to", paramLabel = "DIR", description = "Restore into DIR instead (each volume into DIR/VOLUME).")
    Path to;

    @Option(names = {"-p", "--path"}, paramLabel = "P", description = "Only VOLUME or VOLUME:PATH (a file or directory prefix); repeatable.")
    List<String> paths = new ArrayList<>();

    @Option(names = "--replace", description = "Make the target exactly the snapshot, removing files it lacks.")
    boolean replace;

    @Option(names = "--no-safety-snapshot", description = "With --replace: do not capture the workload first.")
    boolean noSafety;

    @Override
    void run() {
      if (noSafety && !replace) {
        throw SnapshotException.invalid("--no-safety-snapshot goes with --replace (an additive restore overwrites nothing)");
      }
      Snapshot s = snapshot(snapshot);
      RestoreSpec spec = RestoreSpec.of(replace ? RestoreMode.REPLACE : RestoreMode.ADDITIVE).paths(paths);
      if (replace) {
        spec = spec.preRestoreSnapshot(!noSafety);
      }
      if (to != null) {
        spec = spec.target(to.toAbsolutePath().normalize().toString());
      }
      RestoreSpec finalSpec = spec;
      Supplier<RestoreReport> work = () -> out().tracking("restore",
          progress -> engine().restore(Cli.TENANT, s.id(), finalSpec, progress));
      // in control-plane mode the restore runs on the host's agent, which finishes (or undoes) it
      // whatever happens to this process: there is nothing here to guard
      RestoreReport r = replace && !root.services().remote()
          ? root.guard().during(label(s), volumes(root, s, paths), work) : work.get();
      out().result(JsonViews.restore(r));
      printRestore(out(), label(s), r, to == null ? "the workload" : to.toString());
      failIfIncomplete(r);
    }
  }

  /** The volumes a restore of {@code s} writes: those {@code paths} name, else every one it holds. */
  static List<String> volumes(RootCommand root, Snapshot s, List<String> paths) {
    if (!paths.isEmpty()) {
      return paths.stream().map(p -> p.contains(":") ? p.substring(0, p.indexOf(':')) : p).distinct().toList();
    }
    return root.services().agent().manifest(s.workload(), s.id())
        .map(m -> m.family(FsHostAgent.FAMILY).stream().map(r -> r.key()).toList())
        .orElse(List.of());
  }

  /** The human summary of a restore or rollback, shared with the demo. */
  static void printRestore(Output out, String what, RestoreReport r, String where) {
    List<RestoreFailure> failures = r.failures();
    out.line((failures.isEmpty() ? "Restored " : "Restored part of ") + what + " into " + where + " ("
        + r.mode().name().toLowerCase() + "): " + r.created() + " written, " + r.skipped() + " left as they were"
        + (failures.isEmpty() ? "" : ", " + failures.size() + " failed")
        + r.preRestoreSnapshot().map(id -> "; safety snapshot " + id.value()).orElse(""));
    failures.forEach(f -> out.line("  failed: " + f.line() + " (" + f.code().name() + ")"));
    r.warnings().forEach(w -> out.line("  warning: " + w));
    if (r.partialSnapshot()) {
      out.line("  note: the snapshot is partial; some files were not captured consistently");
    }
  }

  /**
   * Fails the command when a restore did not write everything, after its report was printed: the
   * exit status is the report's {@link RestoreReport#failureCode()} (CORRUPT for damaged content).
   */
  static void failIfIncomplete(RestoreReport r) {
    Optional<ErrorCode> code = r.failureCode();
    if (code.isEmpty()) {
      return;
    }
    List<RestoreFailure> failures = r.failures();
    int attempted = r.created() + failures.size();
    String advice = code.get() == ErrorCode.CORRUPT
        ? "run `snapshotkit check` and restore another snapshot for those files"
        : code.get() == ErrorCode.INSUFFICIENT_STORAGE ? "free some space and run the restore again"
        : "fix the cause and run the restore again (it skips what is already there)";
    throw new SnapshotException(code.get(), "restored " + r.created() + " of " + attempted + " entries; "
        + failures.size() + " failed: " + (failures.get(0).resource().isEmpty() ? failures.get(0).reason()
            : failures.get(0).resource())
        + (failures.size() > 1 ? " and " + (failures.size() - 1) + " more, listed above" : "") + "; " + advice)
        .withSnapshot(r.snapshot());
  }

  @Command(name = "rollback", description = "Make a workload exactly one of its versions (replace restore, safety snapshot first).")
  static final class Rollback extends Base {
    @Parameters(index = "0", paramLabel = "WORKLOAD")
    String workload;

    @Parameters(index = "1", paramLabel = "VERSION")
    int version;

    @Option(names = "--no-safety-snapshot", description = "Do not capture the workload first.")
    boolean noSafety;

    @Override
    void run() {
      WorkloadRef w = workload(workload);
      Snapshot s = SnapshotRef.version(engine(), w, version);
      Supplier<RestoreReport> work = () -> out().tracking("rollback",
          progress -> engine().rollback(w, version, !noSafety, progress));
      // as for restore --replace: in control-plane mode the host's agent runs it to its end
      RestoreReport r = root.services().remote() ? work.get() : root.guard().during(label(s), volumes(root, s, List.of()), work);
      out().result(JsonViews.restore(r));
      printRestore(out(), workload + "@" + version, r, "the workload");
      failIfIncomplete(r);
    }
  }

  @Command(name = "delete", aliases = "rm", description = "Delete a snapshot everywhere (strict: kept if a host does not confirm).")
  static final class Delete extends Base {
    @Parameters(paramLabel = "SNAPSHOT", description = "An id, or WORKLOAD@VERSION.")
    String snapshot;

    @Override
    void run() {
      Snapshot s = snapshot(snapshot);
      engine().delete(Cli.TENANT, s.id());
      ObjectNode n = JsonViews.object();
      n.put("deleted", s.id().value());
      n.put("workload", s.workload().id());
      n.put("version", s.version());
      out().result(n);
      out().line("Deleted " + label(s) + "  " + s.id().value() + "; run `snapshotkit gc` to reclaim its space");
    }
  }

  @Command(name = "protect", description = "Protect a snapshot from delete and retention (or --off to allow them again).")
  static final class Protect extends Base {
    @Parameters(paramLabel = "SNAPSHOT", description = "An id, or WORKLOAD@VERSION.")
    String snapshot;

    @Option(names = "--off", description = "Remove the protection.")
    boolean off;

    @Override
    void run() {
      Snapshot s = engine().protect(Cli.TENANT, snapshot(snapshot).id(), !off);
      out().result(JsonViews.snapshot(s));
      out().line((off ? "Unprotected " : "Protected ") + label(s) + "  " + s.id().value());
    }
  }
}
