package io.snapshotkit.examples.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.snapshotkit.DiffResult;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.RestoreReport;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.RestoreSpec;
import io.snapshotkit.core.SnapshotEngine;
import io.snapshotkit.examples.internal.JsonViews;
import io.snapshotkit.fs.FsHostAgent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A narrated tour on a throw-away workspace: capture, change, diff, restore, rollback, versions.
 * It uses its own temporary home, so the user's snapshots are never touched.
 *
 * <p><b>Thread-safety:</b> not thread-safe; one instance runs one demo.
 */
@Command(name = "demo", description = {
    "A narrated tour in a temporary directory: capture a workspace, change it, diff, restore, roll back, list versions.",
    "Uses its own temporary home (your snapshots are not touched) and removes it afterwards unless --keep."})
final class DemoCommand extends Base {
  private static final String WORKLOAD = "demo-app";

  @Option(names = "--keep", description = "Keep the temporary workspace and home to explore them afterwards.")
  boolean keep;

  @Override
  void run() {
    Path base;
    try {
      base = Files.createTempDirectory("snapshotkit-demo-");
    } catch (IOException e) {
      throw SnapshotException.wrap("creating the demo's temporary directory", e);
    }
    Home home = new Home(base.resolve("home"), "demo");
    Path workspace = base.resolve("workspace");
    try {
      runIn(home, workspace);
    } catch (IOException e) {
      throw SnapshotException.wrap("changing the demo workspace", e);
    } finally {
      if (keep) {
        out().blank();
        out().line("Kept: workspace " + workspace + ", home " + home.dir());
        out().line("Explore: snapshotkit --home " + home.dir() + " versions " + WORKLOAD);
      } else {
        ArchiveCommands.deleteTree(base);
      }
    }
  }

  private void runIn(Home home, Path workspace) throws IOException {
    Output o = out();
    write(workspace.resolve("README.md"), "# demo-app\nA tiny project to snapshot.\n");
    write(workspace.resolve("src/app.py"), "print('hello, world')\n");
    write(workspace.resolve("config/settings.json"), "{\"debug\": false, \"workers\": 2}\n");
    Files.createDirectories(workspace.resolve("data"));

    o.line("SnapshotKit demo: a workspace in " + workspace);
    o.line("(temporary home " + home.dir() + ": SQLite metadata + file repository)");
    Files.createDirectories(home.dir());
    try (Services s = Services.open(home, root.environment().clock(), Optional.empty())) {
      SnapshotEngine engine = s.engine();
      FsHostAgent agent = s.agent();
      WorkloadRef w = workload(WORKLOAD);
      Output in = o.indented("    ");

      step(1, "Track the workspace as workload '" + WORKLOAD + "' (one volume, 'workspace')");
      agent.track(w, Map.of("workspace", workspace));
      in.line("$ snapshotkit track " + WORKLOAD + " workspace=" + workspace);

      step(2, "Capture it");
      Snapshot v1 = engine.capture(CaptureSpec.of(w).name("initial"));
      in.line("Captured " + label(v1) + "  " + v1.id().value() + "  " + size(v1));

      step(3, "Make a risky change: edit the config, delete the README, add a file");
      write(workspace.resolve("config/settings.json"), "{\"debug\": true, \"workers\": 64, \"experimental\": true}\n");
      Files.delete(workspace.resolve("README.md"));
      write(workspace.resolve("data/cache.bin"), "x".repeat(4096));
      in.line("edited config/settings.json, deleted README.md, added data/cache.bin");

      step(4, "Diff version 1 against the current files");
      in.line("$ snapshotkit diff " + WORKLOAD + "@1 --current");
      DiffResult diff = engine.diffCurrent(Cli.TENANT, v1.id());
      DiffPrinter.print(in, diff);

      step(5, "Capture the changed state too");
      Snapshot v2 = engine.capture(CaptureSpec.of(w).name("after risky change"));
      in.line("Captured " + label(v2) + "  " + v2.id().value() + "  " + size(v2));

      step(6, "Additive restore of version 1: bring back what is missing, overwrite nothing");
      in.line("$ snapshotkit restore " + WORKLOAD + "@1");
      RestoreReport additive = engine.restore(Cli.TENANT, v1.id(), RestoreSpec.additive());
      SnapshotCommands.printRestore(in, label(v1), additive, "the workspace");
      in.line("README.md is back: " + Files.exists(workspace.resolve("README.md"))
          + "; config/settings.json still has the change: " + read(workspace.resolve("config/settings.json")).contains("64"));

      step(7, "Roll back to version 1: the workspace becomes exactly version 1 (a safety snapshot is taken first)");
      in.line("$ snapshotkit rollback " + WORKLOAD + " 1");
      RestoreReport rollback = engine.rollback(w, 1);
      SnapshotCommands.printRestore(in, WORKLOAD + "@1", rollback, "the workspace");
      DiffResult after = engine.diffCurrent(Cli.TENANT, v1.id());
      in.line("Diff " + WORKLOAD + "@1 against the current files now:");
      DiffPrinter.print(in, after);

      step(8, "List the versions");
      in.line("$ snapshotkit versions " + WORKLOAD);
      List<Snapshot> versions = engine.versions(w);
      SnapshotCommands.printVersions(in, versions);
      o.blank();
      o.line(after.isEmpty()
          ? "Done: the workspace is byte-for-byte version 1 again, and every version is kept."
          : "Done, but the workspace still differs from version 1 (see above).");
      o.line("Try it on your own directory: snapshotkit init && snapshotkit track myproj ./my-project && snapshotkit capture myproj");

      ObjectNode json = JsonViews.object();
      json.put("workspace", workspace.toString());
      json.set("diff", JsonViews.diff(diff));
      json.set("restore", JsonViews.restore(additive));
      json.set("rollback", JsonViews.restore(rollback));
      json.put("matchesVersion1", after.isEmpty());
      json.set("versions", JsonViews.snapshots(versions));
      o.result(json);
      if (!after.isEmpty()) {
        throw new SnapshotException(ErrorCode.INTERNAL,
            "the rollback left differences; please report this with the output above");
      }
    }
  }

  private void step(int n, String text) {
    out().blank();
    out().line(n + ". " + text);
  }

  private static void write(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }

  private static String read(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.UTF_8);
  }
}
