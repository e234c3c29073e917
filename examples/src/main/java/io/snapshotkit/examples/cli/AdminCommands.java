package io.snapshotkit.examples.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.Excludes;
import io.snapshotkit.Page;
import io.snapshotkit.RetentionPolicy;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.RetentionResult;
import io.snapshotkit.examples.internal.JsonViews;
import io.snapshotkit.fs.CheckReport;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.fs.GcReport;
import io.snapshotkit.grpc.HostAdmin;
import io.snapshotkit.jdbc.JdbcHostRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The commands about the home directory and its upkeep: init, track, retention, gc, check,
 * events.
 *
 * <p><b>Thread-safety:</b> not thread-safe; one instance runs one command.
 */
final class AdminCommands {
  private AdminCommands() {}

  @Command(name = "init", description = "Create the home directory: the SQLite database and the file repository.")
  static final class Init extends Base {
    @Override
    void run() {
      Home h = root.home();
      boolean existed = h.initialized();
      try {
        Files.createDirectories(h.dir());
      } catch (IOException e) {
        throw SnapshotException.invalid("cannot create the home directory " + h.dir() + " (" + e.getMessage()
            + "); pick another with --home or " + Home.ENV);
      }
      try (Services s = Services.open(h, root.environment().clock(), Optional.empty(), root.lockWait(), () -> { },
          root.restoreSteps())) {
        root.reportRecovery(s);
        ObjectNode n = JsonViews.object();
        n.put("home", h.dir().toString());
        n.put("database", h.database().toString());
        n.put("repository", s.agent().repositoryRoot().toString());
        n.put("alreadyInitialized", existed);
        out().result(n);
      }
      out().line((existed ? "Already initialised: " : "Initialised ") + h.dir());
      out().line("  database    " + h.database());
      out().line("  repository  " + h.repository());
      out().line("Next: snapshotkit track WORKLOAD DIR...   then   snapshotkit capture WORKLOAD");
    }
  }

  @Command(name = "track", description = {
      "Set a workload's volumes: the directories its snapshots hold.",
      "Give each as DIR (the volume is named after the directory) or NAME=DIR. Without DIR, shows the volumes.",
      "With --registry: `track --host ID WORKLOAD` places the workload on that host, and DIRs (absolute paths on "
          + "that host, under its agent's --volume-root) become its volumes there; without --host the workload's "
          + "placed host is used."})
  static final class Track extends Base {
    @Parameters(index = "0", paramLabel = "WORKLOAD", description = "1 to 128 letters, digits, . _ - :")
    String workload;

    @Parameters(index = "1..*", paramLabel = "DIR", description = "A directory, or NAME=DIR.")
    List<String> dirs = new ArrayList<>();

    @Option(names = "--host", paramLabel = "ID", description = "With --registry: the registered host the workload runs on.")
    String host;

    @Mixin ExcludeOptions excludeOptions;

    @Override
    void run() {
      WorkloadRef w = workload(workload);
      if (host != null || root.registry().isPresent()) {
        if (excludeOptions.given()) {
          throw SnapshotException.invalid("--exclude and --exclude-file work on a local repository only for now; "
              + "with --registry, capture without them or track the workload on its host's own repository");
        }
        onHost(w);
        return;
      }
      FsHostAgent agent = root.services().agent();
      Excludes excludes = excludeOptions.excludes();
      if (!dirs.isEmpty()) {
        agent.track(w, volumes(dirs), excludes);
      }
      Map<String, Path> volumes = agent.volumes(w).orElseThrow(() -> SnapshotException.notFound(
          "workload '" + workload + "' is not tracked; track it: snapshotkit track " + workload + " DIR..."));
      if (dirs.isEmpty() && excludeOptions.given()) {
        agent.track(w, volumes, excludes); // new patterns for the volumes already tracked
      }
      Map<String, String> shown = new LinkedHashMap<>();
      volumes.forEach((name, path) -> shown.put(name, path.toString()));
      print(Optional.empty(), shown, agent.excludes(w));
    }

    /**
     * Control-plane mode: places the workload on {@code --host} when given, and sets or shows its
     * volumes on its host through the host's agent.
     */
    private void onHost(WorkloadRef w) {
      JdbcHostRegistry registry = root.hostRegistry();
      String placed = host != null ? host : registry.hostOf(w).orElseThrow(() -> SnapshotException.notFound(
          "workload '" + workload + "' is not placed on any host; place it first: snapshotkit track --host ID "
              + workload + (dirs.isEmpty() ? "" : " " + String.join(" ", dirs))));
      if (host != null && dirs.isEmpty()) {
        registry.place(w, host);
        ObjectNode n = JsonViews.object();
        n.put("workload", workload);
        n.put("host", host);
        out().result(n);
        out().line("Placed " + workload + " on host " + host);
        return;
      }
      if (dirs.isEmpty()) {
        print(Optional.of(placed), ControlPlane.admin(registry, placed).volumes(w).orElseThrow(() ->
            SnapshotException.notFound("workload '" + workload + "' has no volumes on host " + placed
                + "; track them: snapshotkit track " + workload + " NAME=DIR...")));
        return;
      }
      Map<String, String> wanted = hostVolumes(dirs, placed);
      // the host's agent checks the directories first, so a refused track leaves the placement as it was
      Map<String, String> volumes = ControlPlane.admin(registry, placed).track(w, wanted);
      if (host != null) {
        registry.place(w, host);
      }
      print(Optional.of(placed), volumes);
    }

    private void print(Optional<String> onHost, Map<String, String> volumes) {
      print(onHost, volumes, Excludes.none());
    }

    private void print(Optional<String> onHost, Map<String, String> volumes, Excludes excludes) {
      ObjectNode n = JsonViews.object();
      n.put("workload", workload);
      onHost.ifPresent(h -> n.put("host", h));
      ObjectNode v = n.putObject("volumes");
      volumes.forEach(v::put);
      if (!excludes.isEmpty()) {
        excludes.patterns().forEach(n.putArray("excludes")::add);
      }
      out().result(n);
      if (!dirs.isEmpty()) {
        out().line("Tracking " + workload + onHost.map(h -> " on host " + h).orElse("") + ":");
      }
      Table t = Table.of("VOLUME", "DIRECTORY");
      volumes.forEach(t::row);
      out().table(t, "No volumes.");
      if (!excludes.isEmpty()) {
        out().line("Excluding: " + String.join("  ", excludes.patterns()));
      }
    }

    /**
     * DIR or NAME=DIR arguments naming directories on another host: kept as given (absolute paths;
     * the host's agent checks them), names defaulting as for {@link #volumes}.
     */
    static Map<String, String> hostVolumes(List<String> args, String host) {
      Map<String, String> out = new LinkedHashMap<>();
      for (String a : args) {
        int eq = a.indexOf('=');
        String dir = eq > 0 ? a.substring(eq + 1) : a;
        if (!dir.startsWith("/")) {
          throw SnapshotException.invalid("'" + a + "' is not an absolute path; with --registry give directories "
              + "as absolute paths on host " + host + " (DIR or NAME=DIR)");
        }
        String name = eq > 0 ? a.substring(0, eq) : defaultName(Path.of(dir).normalize());
        if (out.putIfAbsent(name, dir) != null) {
          throw SnapshotException.invalid("two volumes are named '" + name + "'; name them: NAME=DIR");
        }
      }
      return out;
    }

    /** A volume's default name: its directory's own name, made a valid volume name. */
    private static String defaultName(Path dir) {
      Path fileName = dir.getFileName();
      String name = fileName == null ? "root" : fileName.toString().replaceAll("[^A-Za-z0-9._-]", "_");
      if (name.startsWith(".") || name.startsWith("_") || name.startsWith("-")) {
        name = "v" + name;
      }
      return name;
    }

    /** DIR or NAME=DIR arguments to a volume map; names default to the directory's own name. */
    static Map<String, Path> volumes(List<String> args) {
      Map<String, Path> out = new LinkedHashMap<>();
      for (String a : args) {
        int eq = a.indexOf('=');
        String name;
        Path dir;
        if (eq > 0) {
          name = a.substring(0, eq);
          dir = Path.of(a.substring(eq + 1));
        } else {
          dir = Path.of(a);
          name = defaultName(dir.toAbsolutePath().normalize());
        }
        dir = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
          throw SnapshotException.invalid("'" + a + "' is not a directory; give an existing directory, or NAME=DIR");
        }
        if (out.putIfAbsent(name, dir) != null) {
          throw SnapshotException.invalid("two volumes are named '" + name + "'; name them: NAME=DIR");
        }
      }
      return out;
    }
  }

  @Command(name = "untrack", description = {"Forget a workload's volumes; its snapshots stay (restore them --to a directory).",
      "With --registry: on the workload's placed host, through its agent."})
  static final class Untrack extends Base {
    @Parameters(paramLabel = "WORKLOAD")
    String workload;

    @Override
    void run() {
      WorkloadRef w = workload(workload);
      Optional<String> host = Optional.empty();
      if (root.registry().isPresent()) {
        JdbcHostRegistry registry = root.hostRegistry();
        String placed = registry.hostOf(w).orElseThrow(() -> SnapshotException.notFound("workload '" + workload
            + "' is not placed on any host; nothing to forget"));
        if (!ControlPlane.admin(registry, placed).untrack(w)) {
          throw SnapshotException.notFound("workload '" + workload + "' has no volumes on host " + placed
              + "; nothing to forget");
        }
        host = Optional.of(placed);
      } else if (!root.services().agent().untrack(w)) {
        throw SnapshotException.notFound("workload '" + workload + "' is not tracked; nothing to forget");
      }
      ObjectNode n = JsonViews.object();
      n.put("untracked", workload);
      host.ifPresent(h -> n.put("host", h));
      out().result(n);
      out().line("Forgot the volumes of " + workload + host.map(h -> " on host " + h).orElse("") + "; its snapshots stay");
    }
  }

  @Command(name = "retention", description = {
      "Delete a workload's READY snapshots that no rule keeps (protected ones are always kept).",
      "Without WORKLOAD, every workload that has snapshots."})
  static final class Retention extends Base {
    @Parameters(paramLabel = "WORKLOAD", arity = "0..1")
    String workload;

    @Mixin RetentionOptions rules;

    @Option(names = {"-n", "--dry-run"}, description = "Only show what would be deleted.")
    boolean dryRun;

    @Override
    void run() {
      RetentionPolicy policy = rules.policy().orElseThrow(() -> SnapshotException.invalid(
          "give at least one of --keep-last N, --hourly N, --daily N, --weekly N, --monthly N, --yearly N (N > 0) "
              + "or --keep-within DURATION; a policy that keeps nothing is refused to prevent accidents"));
      List<String> workloads = workload != null ? List.of(workload(workload).id()) : workloadsWithSnapshots();
      ArrayNode results = JsonViews.array();
      Table t = Table.of("WORKLOAD", "KEPT", dryRun ? "WOULD DELETE" : "DELETED", "FAILED").rightAligned(1, 2, 3);
      List<String> lines = new ArrayList<>();
      for (String w : workloads) {
        RetentionResult r = engine().applyRetention(workload(w), policy, dryRun);
        results.add(JsonViews.retention(w, r));
        t.row(w, String.valueOf(r.kept().size()), String.valueOf(r.deleted().size()), String.valueOf(r.failed().size()));
        r.failed().forEach((id, why) -> lines.add("  failed: " + w + " " + id.value() + ": " + why));
        r.deleted().forEach(id -> lines.add((dryRun ? "  would delete: " : "  deleted: ") + w + " " + id.value()));
      }
      out().result(results);
      out().table(t, "No workloads have snapshots.");
      lines.forEach(out()::line);
      if (dryRun) {
        out().line("Dry run: nothing was deleted.");
      }
    }

    private List<String> workloadsWithSnapshots() {
      Set<String> ids = new TreeSet<>();
      SnapshotQuery q = SnapshotQuery.of(Cli.TENANT).statuses(Set.of(SnapshotStatus.READY)).limit(SnapshotQuery.MAX_LIMIT);
      while (true) {
        Page<Snapshot> page = engine().list(q);
        page.items().forEach(s -> ids.add(s.workload().id()));
        Optional<SnapshotId> next = page.nextCursor();
        if (next.isEmpty()) {
          return List.copyOf(ids);
        }
        q = q.after(next.get());
      }
    }
  }

  @Command(name = "gc", description = {"Reclaim repository space that no snapshot uses any more (safe to run any time).",
      "With --registry: on each registered host's repository (or --host's), through its agent."})
  static final class Gc extends Base {
    @Option(names = "--host", paramLabel = "ID", description = "With --registry: only this host (default: every registered host).")
    String host;

    @Override
    void run() {
      if (host != null || root.registry().isPresent()) {
        onHosts();
        return;
      }
      GcReport r = out().tracking("gc", progress -> root.services().agent().gc(progress));
      ObjectNode n = JsonViews.object();
      n.put("snapshots", r.snapshots());
      n.put("contentsRemoved", r.contentsRemoved());
      n.put("bytesReclaimed", r.bytesReclaimed());
      out().result(n);
      out().line("Reclaimed " + Format.bytes(r.bytesReclaimed()) + " (" + r.contentsRemoved()
          + " unused contents removed; " + r.snapshots() + " snapshots kept theirs)");
    }

    private void onHosts() {
      List<HostRun<HostAdmin.GcReport>> runs = HostRun.each(root, host, HostAdmin::gc);
      ArrayNode a = JsonViews.array();
      Table t = Table.of("HOST", "RECLAIMED", "REMOVED", "SNAPSHOTS").rightAligned(1, 2, 3);
      for (HostRun<HostAdmin.GcReport> run : runs) {
        ObjectNode n = run.json(a);
        run.result().ifPresent(r -> {
          n.put("snapshots", r.snapshots());
          n.put("contentsRemoved", r.contentsRemoved());
          n.put("bytesReclaimed", r.bytesReclaimed());
          t.row(run.host(), Format.bytes(r.bytesReclaimed()), String.valueOf(r.contentsRemoved()),
              String.valueOf(r.snapshots()));
        });
      }
      out().result(a);
      out().table(t, "No host answered.");
      HostRun.throwIfAnyFailed("gc", runs);
    }
  }

  @Command(name = "check", description = {
      "Verify stored content against its digests; exit status 9 (CORRUPT) if anything is damaged.",
      "With --registry: each registered host's repository (or --host's), through its agent."})
  static final class Check extends Base {
    @Option(names = "--sample", description = "Verify a sample instead of everything (faster).")
    boolean sample;

    @Option(names = "--host", paramLabel = "ID", description = "With --registry: only this host (default: every registered host).")
    String host;

    @Override
    void run() {
      if (host != null || root.registry().isPresent()) {
        onHosts();
        return;
      }
      CheckReport r = out().tracking("check", progress -> root.services().agent().check(sample, progress));
      ObjectNode n = JsonViews.object();
      n.put("ok", r.ok());
      n.put("contentsChecked", r.contentsChecked());
      n.set("corrupt", strings(r.corrupt()));
      n.set("missing", strings(r.missing()));
      n.set("damagedSnapshots", strings(r.damagedSnapshots()));
      out().result(n);
      out().line("Checked " + r.contentsChecked() + " stored contents" + (sample ? " (sample)" : "") + ": "
          + (r.ok() ? "all intact." : r.corrupt().size() + " corrupt, " + r.missing().size() + " missing."));
      r.damagedSnapshots().forEach(s -> out().line("  damaged: " + s));
      r.throwIfDamaged();
    }

    private void onHosts() {
      List<HostRun<HostAdmin.CheckReport>> runs = HostRun.each(root, host, admin -> admin.check(sample));
      ArrayNode a = JsonViews.array();
      List<String> damagedHosts = new ArrayList<>();
      for (HostRun<HostAdmin.CheckReport> run : runs) {
        ObjectNode n = run.json(a);
        run.result().ifPresent(r -> {
          n.put("ok", r.ok());
          n.put("contentsChecked", r.contentsChecked());
          n.set("corrupt", strings(r.corrupt()));
          n.set("missing", strings(r.missing()));
          n.set("damagedSnapshots", strings(r.damagedSnapshots()));
          out().line("Host " + run.host() + ": checked " + r.contentsChecked() + " stored contents"
              + (sample ? " (sample)" : "") + ": "
              + (r.ok() ? "all intact." : r.corrupt().size() + " corrupt, " + r.missing().size() + " missing."));
          r.damagedSnapshots().forEach(s -> out().line("  damaged: " + s));
          if (!r.ok()) {
            damagedHosts.add(run.host());
          }
        });
      }
      out().result(a);
      HostRun.throwIfAnyFailed("check", runs);
      if (!damagedHosts.isEmpty()) {
        throw new SnapshotException(ErrorCode.CORRUPT, "damaged snapshots on host(s) " + String.join(", ", damagedHosts)
            + ", listed above; delete them (and restore others), then run gc").withFailedHosts(damagedHosts);
      }
    }

    private static ArrayNode strings(List<String> list) {
      ArrayNode a = JsonViews.array();
      list.forEach(a::add);
      return a;
    }
  }

  @Command(name = "events", description = {
      "Show the snapshot events recorded since the previous `snapshotkit events`.",
      "The CLI reads the outbox through its own durable cursor (event hook 'cli'); the first run shows every retained event.",
      "With --registry: the events of the registry database (its own cursor there)."})
  static final class Events extends Base {
    @Override
    void run() {
      List<SnapshotEvent> events = new ArrayList<>();
      Services s = root.services(events::add);
      // A poll delivers the next due event of each workload; poll until nothing is left.
      while (s.engine().pollEvents() > 0) {
        // keep delivering
      }
      // Events every hook has seen are kept only for the dispatcher's retention period.
      s.engine().pruneEvents();
      // Delivery interleaves workloads; show them in the order they happened.
      events.sort(Comparator.comparing(SnapshotEvent::at));
      ArrayNode a = JsonViews.array();
      events.forEach(e -> a.add(JsonViews.event(e)));
      out().result(a);
      Table t = Table.of("WHEN", "EVENT", "WORKLOAD", "VERSION", "SNAPSHOT", "DETAILS");
      for (SnapshotEvent e : events) {
        t.row(out().ago(e.at()), e.type().wireName(), e.workload().id(), e.version() > 0 ? String.valueOf(e.version()) : "-",
            e.snapshotId().map(SnapshotId::value).orElse("-"), details(e.metadata()));
      }
      out().table(t, "No new events.");
    }

    private static String details(Map<String, String> metadata) {
      StringBuilder sb = new StringBuilder();
      metadata.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : " ").append(k).append('=').append(v));
      String text = sb.toString();
      return text.length() > 60 ? text.substring(0, 57) + "..." : text;
    }
  }
}
