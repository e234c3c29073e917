package io.snapshotkit.examples.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.ProgressEvent;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.Trigger;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.examples.internal.JsonViews;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.fs.SnapshotArchive;
import io.snapshotkit.spi.ProgressTracker;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Export a snapshot as a standalone {@code tar.zst} and import one as a new snapshot, through
 * {@link SnapshotArchive}.
 *
 * <p><b>Thread-safety:</b> not thread-safe; one instance runs one command.
 */
final class ArchiveCommands {
  /** What to do instead of export or import in control-plane mode. */
  static final String ARCHIVES_STAY_LOCAL = "an archive streams a snapshot's files, which the agent protocol "
      + "(snapshotkit.agent.v1) does not carry; restore the snapshot into a directory on its host "
      + "(`snapshotkit --registry ... restore SNAPSHOT --to DIR`) and archive that directory there, or export "
      + "from a local home without --registry";

  private ArchiveCommands() {}

  @Command(name = "export", description = "Write one snapshot to a standalone .tar.zst archive (digest-checked on import).")
  static final class Export extends Base {
    @Parameters(index = "0", paramLabel = "SNAPSHOT", description = "An id, or WORKLOAD@VERSION.")
    String snapshot;

    @Parameters(index = "1", paramLabel = "FILE", description = "The archive to write, such as app-3.tar.zst.")
    Path file;

    @Option(names = {"-f", "--force"}, description = "Overwrite FILE if it exists.")
    boolean force;

    @Override
    void run() {
      if (root.registry().isPresent()) {
        throw ControlPlane.localOnly("export", ARCHIVES_STAY_LOCAL);
      }
      Snapshot s = snapshot(snapshot);
      if (s.status() != SnapshotStatus.READY) {
        throw new SnapshotException(ErrorCode.CONFLICT, "snapshot " + label(s) + " is " + s.status()
            + "; only READY snapshots can be exported");
      }
      Path target = file.toAbsolutePath().normalize();
      if (target.getParent() == null || !Files.isDirectory(target.getParent())) {
        throw SnapshotException.invalid("the directory of " + target + " does not exist; create it or pick another file");
      }
      if (Files.isDirectory(target)) {
        throw SnapshotException.invalid(target + " is a directory; name the archive file to write, such as "
            + target.resolve(s.workload().id() + "-" + s.version() + ".tar.zst"));
      }
      if (Files.exists(target) && !force) {
        throw SnapshotException.invalid(target + " exists; pick another file or pass --force");
      }
      FsHostAgent agent = root.services().agent();
      Path partial = target.resolveSibling(target.getFileName() + ".partial");
      try {
        // Straight from the repository, each content verified against its digest as it is written.
        SnapshotArchive.Header header;
        try (OutputStream os = Files.newOutputStream(partial)) {
          header = out().tracking("export", progress -> agent.exportSnapshot(s.workload(), s.id(), os, progress));
        }
        Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        long size = Files.size(target);
        ObjectNode n = JsonViews.object();
        n.put("snapshot", s.id().value());
        n.put("workload", s.workload().id());
        n.put("version", s.version());
        n.put("file", target.toString());
        n.put("archiveBytes", size);
        n.put("entries", header.entryCount());
        n.put("contentBytes", header.totalBytes());
        out().result(n);
        out().line("Exported " + label(s) + " to " + target + ": " + header.entryCount() + " entries, "
            + Format.bytes(header.totalBytes()) + " of files in " + Format.bytes(size));
      } catch (IOException e) {
        throw SnapshotException.wrap("exporting " + label(s) + " to " + target, e);
      } finally {
        deleteQuietly(partial);
      }
    }
  }

  @Command(name = "import", description = {
      "Import an archive made by `snapshotkit export` as a new snapshot of a new workload.",
      "The archive is unpacked safely (paths, links and sizes checked) into DIR, which becomes the workload's volumes."})
  static final class Import extends Base {
    @Parameters(index = "0", paramLabel = "FILE", description = "The .tar.zst archive.")
    Path file;

    @Parameters(index = "1", paramLabel = "WORKLOAD", arity = "0..1",
        description = "The new workload (default: the archive's workload).")
    String workload;

    @Option(names = "--into", paramLabel = "DIR", description = "Unpack here (must not exist; default: HOME/imports/WORKLOAD-TIME).")
    Path into;

    @Option(names = {"-n", "--name"}, paramLabel = "NAME", description = "The snapshot's display name.")
    String name;

    @Override
    void run() {
      if (root.registry().isPresent()) {
        throw ControlPlane.localOnly("import", ARCHIVES_STAY_LOCAL);
      }
      Path source = file.toAbsolutePath().normalize();
      FsHostAgent agent = root.services().agent();
      if (workload != null && agent.volumes(workload(workload)).isPresent()) {
        throw alreadyTracked(workload);
      }
      String name = (workload != null ? workload : "archive") + "-" + root.environment().clock().millis();
      Path imports = imports(root.home());
      // the default place is unpacked under a partial name and renamed once complete, so a killed
      // import leaves a directory the next command recognises and removes (see removeUnfinished)
      Path staging = into != null ? into.toAbsolutePath().normalize() : imports.resolve(UNFINISHED + name);
      if (workload != null) { // unnamed, the archive names it: track below refuses it, and the unpacked files go
        agent.checkTrackable(workload(workload), Map.of("import", into != null ? staging : imports.resolve(name)));
      }
      SnapshotArchive.Imported imported;
      try {
        Files.createDirectories(staging.getParent());
        long total = Files.size(source);
        Path unpackInto = staging;
        imported = out().tracking("import", listener -> {
          ProgressTracker progress = ProgressTracker.start(ProgressEvent.Operation.IMPORT, listener);
          progress.totals(ProgressEvent.UNKNOWN, total);
          progress.phase("unpack");
          try (InputStream in = new CountingInputStream(Files.newInputStream(source), progress)) {
            SnapshotArchive.Imported unpacked = SnapshotArchive.importArchive(in, unpackInto,
                SnapshotArchive.Limits.defaults());
            progress.finish();
            return unpacked;
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
        if (into == null) {
          imported = finish(imported, imports.resolve(name));
          staging = imported.staging();
        }
      } catch (NoSuchFileException e) {
        throw SnapshotException.notFound("no archive at " + source + "; check the path");
      } catch (IOException e) {
        throw SnapshotException.wrap("importing " + source, e);
      } catch (UncheckedIOException e) {
        if (e.getCause() instanceof NoSuchFileException) {
          throw SnapshotException.notFound("no archive at " + source + "; check the path");
        }
        throw SnapshotException.wrap("importing " + source, e.getCause());
      }
      try {
        String id = workload != null ? workload : imported.header().workload().map(WorkloadRef::id).orElseThrow(
            () -> SnapshotException.invalid("the archive does not say which workload it holds; name one: snapshotkit import "
                + file + " WORKLOAD"));
        WorkloadRef w = workload(id);
        if (agent.volumes(w).isPresent()) {
          throw alreadyTracked(id);
        }
        agent.track(w, imported.volumes());
        String displayName = name != null ? name
            : imported.header().snapshotId().map(i -> "import of " + i.value()).orElse("import");
        Map<String, String> labels = new LinkedHashMap<>();
        imported.header().snapshotId().ifPresent(i -> labels.put("snapshotkit.imported_from", i.value()));
        Snapshot s = engine().capture(CaptureSpec.of(w).name(displayName).trigger(Trigger.of("import")).labels(labels));
        ObjectNode n = JsonViews.snapshot(s);
        n.put("unpackedInto", staging.toString());
        ObjectNode vols = n.putObject("volumes");
        imported.volumes().forEach((v, dir) -> vols.put(v, dir.toString()));
        out().result(n);
        out().line("Imported " + source.getFileName() + " as " + label(s) + "  " + s.id().value() + "  ("
            + imported.header().entryCount() + " entries)");
        imported.volumes().forEach((v, dir) -> out().line("  volume " + v + " is now " + dir));
      } catch (RuntimeException e) {
        imported.discard();
        throw e;
      }
    }

    /** Renames a complete import from its partial name to its final one, with its volumes. */
    private static SnapshotArchive.Imported finish(SnapshotArchive.Imported imported, Path done) throws IOException {
      try {
        Files.move(imported.staging(), done, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        imported.discard();
        throw e;
      }
      Map<String, Path> volumes = new LinkedHashMap<>();
      imported.volumes().forEach((v, dir) -> volumes.put(v, done.resolve(imported.staging().relativize(dir))));
      return new SnapshotArchive.Imported(imported.header(), done, volumes);
    }

    private static SnapshotException alreadyTracked(String workload) {
      return new SnapshotException(ErrorCode.CONFLICT, "workload '" + workload
          + "' already exists here; import into a new workload name: snapshotkit import FILE NEW-NAME");
    }
  }

  /** Where imports are unpacked by default: {@code HOME/imports}. */
  static Path imports(Home home) {
    return home.dir().resolve("imports");
  }

  /** The name prefix of an import still being unpacked in {@link #imports}. */
  static final String UNFINISHED = ".unfinished-";

  /**
   * Removes what imports killed while unpacking left in {@code HOME/imports} (directories still
   * under their {@link #UNFINISHED} name). Call with the repository lock held, so no import of
   * another process is running.
   *
   * @return the directories removed
   */
  static List<Path> removeUnfinished(Home home) {
    Path dir = imports(home);
    List<Path> removed = new ArrayList<>();
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return removed;
    }
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path p : entries.filter(p -> p.getFileName().toString().startsWith(UNFINISHED)).sorted().toList()) {
        SnapshotArchive.discard(p);
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
          removed.add(p);
        }
      }
    } catch (IOException | UncheckedIOException e) {
      throw SnapshotException.wrap("removing unfinished imports in " + dir, e);
    }
    return removed;
  }

  static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // best effort: a leftover .partial file is harmless and named as such
    }
  }

  /** Deletes a directory tree without following symbolic links. */
  static void deleteTree(Path root) {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          p.toFile().setWritable(true);
          Files.deleteIfExists(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException | UncheckedIOException e) {
      // best effort: the directory is under the home's tmp/ and named as temporary
    }
  }

  /** Counts the bytes read off an archive into the import's progress (phase {@code unpack}). */
  static final class CountingInputStream extends FilterInputStream {
    private final ProgressTracker progress;

    CountingInputStream(InputStream in, ProgressTracker progress) {
      super(in);
      this.progress = progress;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        progress.advance(0, 1, "");
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        progress.advance(0, n, "");
      }
      return n;
    }
  }
}
