package io.snapshotkit.fs.internal.restore;

import io.snapshotkit.fs.internal.files.AtomicFiles;
import io.snapshotkit.fs.internal.files.RawNames;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;

/**
 * The write-ahead record of one replace restore, written atomically and fsynced before anything
 * is staged, again (state {@code PREPARED}) before the first destructive rename, after each swap
 * (checkpoint) and once more ({@code COMMITTED}) when every swap is done. Confined to one thread.
 *
 * <p>A restore swaps <em>units</em>: a whole volume directory, or one selected path inside a
 * volume. For each unit it names the live path, the restore's work directory (a hidden sibling of
 * the live volume directory, so every rename stays on one filesystem) and the unit's index in it:
 * the restored tree is staged at {@code work/new/<i>}, the live data is set aside at {@code
 * work/old/<i>}, and a rollback parks the restored tree at {@code work/drop/<i>}. It also records
 * whether the live path existed, whether the snapshot has it, whether its swap completed, and the
 * topmost directory the restore had to create above a selected path (removed again on rollback).
 *
 * <p>Recovery by state: {@code STAGING} — nothing live was touched, the work directories go;
 * {@code PREPARED} — roll back: every unit gets its original data back; {@code COMMITTED} — roll
 * forward: the restored data stays, set-aside originals go. The journal is deleted last, so a
 * crash during recovery is repaired by running recovery again.
 */
final class Journal {
  static final String SUFFIX = ".journal";

  enum State { STAGING, PREPARED, COMMITTED }

  /** One swap: a whole volume, or one selected path of a volume. */
  static final class Unit {
    final String volume;
    /** The selected path inside the volume, or "" for the whole volume. */
    final String path;
    final Path live;
    final Path work;
    final int index;
    boolean hadLive;
    boolean inSnapshot;
    boolean swapped;
    /** The topmost directory created above {@link #live}, or null. */
    Path created;

    Unit(String volume, String path, Path live, Path work, int index) {
      this.volume = volume;
      this.path = path;
      this.live = live;
      this.work = work;
      this.index = index;
    }

    Path staged() {
      return work.resolve("new").resolve(Integer.toString(index));
    }

    Path backup() {
      return work.resolve("old").resolve(Integer.toString(index));
    }

    Path drop() {
      return work.resolve("drop").resolve(Integer.toString(index));
    }

    String describe() {
      return path.isEmpty() ? "volume '" + volume + "'" : "'" + volume + ":" + path + "'";
    }
  }

  final Path file;
  final String workload;
  final String snapshot;
  State state;
  final List<Unit> units;

  Journal(Path file, String workload, String snapshot, State state, List<Unit> units) {
    this.file = file;
    this.workload = workload;
    this.snapshot = snapshot;
    this.state = state;
    this.units = units;
  }

  /**
   * What recovering this journal does, as one sentence for people: by state, that the restore had
   * touched no volume, was rolled back, or was finished, naming every unit.
   */
  String recoveryOutcome() {
    List<String> names = new ArrayList<>();
    units.forEach(u -> names.add(u.describe()));
    String what = String.join(", ", names);
    String holds = units.size() == 1 ? " holds" : " hold";
    String restore = "the interrupted replace restore of snapshot " + snapshot + " for " + workload;
    return switch (state) {
      case STAGING -> restore + " had touched no volume (" + what + "); its staging files were removed";
      case PREPARED -> restore + " was rolled back: " + what + holds + " the original data again";
      case COMMITTED -> restore + " was finished: " + what + holds + " the restored snapshot";
    };
  }

  /** The distinct work directories of this restore. */
  Set<Path> workDirs() {
    Set<Path> dirs = new LinkedHashSet<>();
    for (Unit u : units) {
      dirs.add(u.work);
    }
    return dirs;
  }

  /** Writes the journal atomically (temp, fsync, rename, fsync directory). */
  void write() throws IOException {
    write(true);
  }

  /**
   * Writes the journal atomically; with {@code durable} false it skips the fsyncs, which is
   * enough against a killed process (not a power loss). For tests that crash thousands of times.
   */
  void write(boolean durable) throws IOException {
    StringBuilder b = new StringBuilder();
    b.append("format=1\n");
    b.append("workload=").append(escape(workload)).append('\n');
    b.append("snapshot=").append(escape(snapshot)).append('\n');
    b.append("state=").append(state).append('\n');
    b.append("units=").append(units.size()).append('\n');
    for (int i = 0; i < units.size(); i++) {
      Unit u = units.get(i);
      String p = "u" + i + ".";
      b.append(p).append("volume=").append(escape(u.volume)).append('\n');
      b.append(p).append("path=").append(escape(u.path)).append('\n');
      b.append(p).append("live=").append(escape(RawNames.text(u.live))).append('\n');
      b.append(p).append("work=").append(escape(RawNames.text(u.work))).append('\n');
      b.append(p).append("index=").append(u.index).append('\n');
      b.append(p).append("hadLive=").append(u.hadLive).append('\n');
      b.append(p).append("inSnapshot=").append(u.inSnapshot).append('\n');
      b.append(p).append("swapped=").append(u.swapped).append('\n');
      b.append(p).append("created=").append(u.created == null ? "" : escape(RawNames.text(u.created))).append('\n');
    }
    b.append("end=true\n");
    byte[] data = b.toString().getBytes(StandardCharsets.UTF_8);
    if (durable) {
      AtomicFiles.write(file, data);
    } else {
      Path tmp = file.resolveSibling(".tmp-" + file.getFileName() + "-" + UUID.randomUUID());
      Files.write(tmp, data);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static String escape(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (c == '\\' || c == '\n' || c == '\r' || c == '=' || c == ':' || c == '#' || c == '!' || c == ' '
          || c < 0x20 || c > 0x7e) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  /**
   * Reads a journal.
   *
   * @throws IOException if it is unreadable or incomplete (it never is when written by {@link #write})
   */
  static Journal read(Path file) throws IOException {
    Properties p = new Properties();
    p.load(new StringReader(Files.readString(file, StandardCharsets.UTF_8)));
    if (!"true".equals(p.getProperty("end")) || !"1".equals(p.getProperty("format"))) {
      throw new IOException("journal " + file + " is incomplete or of an unknown format");
    }
    int n = Integer.parseInt(required(p, "units"));
    List<Unit> units = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String k = "u" + i + ".";
      Unit u = new Unit(required(p, k + "volume"), required(p, k + "path"), RawNames.path(required(p, k + "live")),
          RawNames.path(required(p, k + "work")), Integer.parseInt(required(p, k + "index")));
      u.hadLive = Boolean.parseBoolean(required(p, k + "hadLive"));
      u.inSnapshot = Boolean.parseBoolean(required(p, k + "inSnapshot"));
      u.swapped = Boolean.parseBoolean(required(p, k + "swapped"));
      String created = required(p, k + "created");
      u.created = created.isEmpty() ? null : RawNames.path(created);
      units.add(u);
    }
    return new Journal(file, required(p, "workload"), required(p, "snapshot"),
        State.valueOf(required(p, "state")), units);
  }

  private static String required(Properties p, String key) throws IOException {
    String v = p.getProperty(key);
    if (v == null) {
      throw new IOException("journal lacks " + key);
    }
    return v;
  }
}
