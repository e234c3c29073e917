package io.snapshotkit.examples.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotFile;
import io.snapshotkit.examples.internal.JsonViews;
import java.io.IOException;
import java.io.OutputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code ls} and {@code dump}: look inside a stored snapshot without restoring it, through the
 * engine's browse calls (the host streams; nothing is staged on disk).
 *
 * <p><b>Thread-safety:</b> not thread-safe; one instance runs one command.
 */
final class BrowseCommands {
  private BrowseCommands() {}

  /** {@code ls SNAPSHOT [VOLUME[/PATH]]}. */
  @Command(name = "ls", description = {
      "List a directory inside a snapshot without restoring it: the snapshot's volumes, or the entries "
          + "directly inside VOLUME/PATH. Symlinks are shown, never followed."})
  static final class Ls extends Base {
    @Parameters(index = "0", arity = "0..1", paramLabel = "SNAPSHOT", description = "An id, or WORKLOAD@VERSION.")
    String snapshot;

    @Parameters(index = "1", arity = "0..1", paramLabel = "VOLUME[/PATH]",
        description = "The directory to list; omitted: the snapshot's volumes.")
    String path = "";

    @Override
    void run() {
      if (snapshot == null) {
        throw SnapshotException.invalid("ls lists what a snapshot holds: snapshotkit ls SNAPSHOT [VOLUME[/PATH]]; "
            + "to list the snapshots themselves, run snapshotkit list (ls was its alias in earlier releases)");
      }
      Snapshot s = snapshot(snapshot);
      ArrayNode json = JsonViews.array();
      long[] count = {0};
      engine().listFiles(s.workload().tenant(), s.id(), path, f -> {
        count[0]++;
        if (out().json()) {
          json.add(JsonViews.file(f));
        } else {
          out().line(line(f));
        }
      });
      out().result(json);
      if (count[0] == 0) {
        out().line("(empty directory)");
      }
    }

    /** {@code drwxr-xr-x     12.0 KiB  2026-01-01T00:00:00Z  name/}, a symlink with {@code -> target}. */
    private static String line(SnapshotFile f) {
      String size = f.type() == SnapshotFile.Type.FILE ? Format.bytes(f.size()) : "-";
      String name = switch (f.type()) {
        case DIRECTORY -> f.name() + "/";
        case SYMLINK -> f.name() + " -> " + f.linkTarget().orElse("");
        case FILE -> f.name();
      };
      return mode(f) + "  " + " ".repeat(Math.max(0, 10 - size.length())) + size + "  " + f.modified() + "  " + name;
    }

    private static String mode(SnapshotFile f) {
      StringBuilder b = new StringBuilder(switch (f.type()) {
        case DIRECTORY -> "d";
        case SYMLINK -> "l";
        case FILE -> "-";
      });
      String rwx = "rwxrwxrwx";
      for (int i = 0; i < 9; i++) {
        b.append((f.mode() & (0400 >> i)) != 0 ? rwx.charAt(i) : '-');
      }
      return b.toString();
    }
  }

  /** {@code dump SNAPSHOT VOLUME/PATH}. */
  @Command(name = "dump", description = {
      "Write one file of a snapshot to stdout, or a directory (or a whole volume) as a tar, without "
          + "restoring it: snapshotkit dump app@3 data/config.yml > config.yml, or "
          + "snapshotkit dump app@3 data/src | tar -x. Streamed and verified as it goes."})
  static final class Dump extends Base {
    @Parameters(index = "0", paramLabel = "SNAPSHOT", description = "An id, or WORKLOAD@VERSION.")
    String snapshot;

    @Parameters(index = "1", paramLabel = "VOLUME/PATH", description = "The file or directory to write.")
    String path;

    @Override
    void run() {
      Snapshot s = snapshot(snapshot);
      OutputStream stdout = out().raw();
      try {
        engine().dump(s.workload().tenant(), s.id(), path, stdout);
        stdout.flush();
      } catch (IOException e) {
        throw SnapshotException.wrap("writing " + path + " of " + label(s) + " to stdout", e);
      }
    }
  }
}
