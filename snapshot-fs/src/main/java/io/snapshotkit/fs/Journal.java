package io.snapshotkit.fs;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The write-ahead record of one replace restore, written atomically and fsynced before the first
 * destructive rename and checkpointed after each volume swap. Confined to one thread.
 *
 * <p>For each volume it names the live directory, the staging directory holding the restored
 * tree, the backup name the live directory is renamed to, and a drop name used while rolling
 * back; whether the live directory existed before; and whether its swap completed. The state is
 * {@code STAGING} while staging directories are filled (recovery only removes them),
 * {@code PREPARED} once staging is complete and until every volume is swapped (recovery rolls
 * back: every volume original), then {@code COMMITTED} (recovery rolls forward: every volume
 * restored, backups removed).
 */
final class Journal {
  enum State { STAGING, PREPARED, COMMITTED }

  static final class Volume {
    final String name;
    final Path live;
    final Path staging;
    final Path backup;
    final Path drop;
    boolean hadLive;
    boolean swapped;

    Volume(String name, Path live, Path staging, Path backup, Path drop, boolean hadLive, boolean swapped) {
      this.name = name;
      this.live = live;
      this.staging = staging;
      this.backup = backup;
      this.drop = drop;
      this.hadLive = hadLive;
      this.swapped = swapped;
    }
  }

  final Path file;
  final String workload;
  final String snapshot;
  State state;
  final List<Volume> volumes;

  Journal(Path file, String workload, String snapshot, State state, List<Volume> volumes) {
    this.file = file;
    this.workload = workload;
    this.snapshot = snapshot;
    this.state = state;
    this.volumes = volumes;
  }

  /** Writes the journal atomically (temp, fsync, rename, fsync directory). */
  void write() throws IOException {
    StringBuilder b = new StringBuilder();
    b.append("workload=").append(escape(workload)).append('\n');
    b.append("snapshot=").append(escape(snapshot)).append('\n');
    b.append("state=").append(state).append('\n');
    b.append("volumes=").append(volumes.size()).append('\n');
    for (int i = 0; i < volumes.size(); i++) {
      Volume v = volumes.get(i);
      String p = "v" + i + ".";
      b.append(p).append("name=").append(escape(v.name)).append('\n');
      b.append(p).append("live=").append(escape(v.live.toString())).append('\n');
      b.append(p).append("staging=").append(escape(v.staging.toString())).append('\n');
      b.append(p).append("backup=").append(escape(v.backup.toString())).append('\n');
      b.append(p).append("drop=").append(escape(v.drop.toString())).append('\n');
      b.append(p).append("hadLive=").append(v.hadLive).append('\n');
      b.append(p).append("swapped=").append(v.swapped).append('\n');
    }
    b.append("end=true\n");
    AtomicFiles.write(file, b.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static String escape(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (c == '\\' || c == '\n' || c == '\r' || c == '=' || c == ':' || c == '#' || c == '!' || c < 0x20 || c > 0x7e) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  static Journal read(Path file) throws IOException {
    Properties p = new Properties();
    p.load(new StringReader(Files.readString(file, StandardCharsets.UTF_8)));
    if (!"true".equals(p.getProperty("end"))) {
      throw new IOException("journal " + file + " is incomplete");
    }
    int n = Integer.parseInt(required(p, "volumes"));
    List<Volume> volumes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String k = "v" + i + ".";
      volumes.add(new Volume(required(p, k + "name"), Path.of(required(p, k + "live")),
          Path.of(required(p, k + "staging")), Path.of(required(p, k + "backup")), Path.of(required(p, k + "drop")),
          Boolean.parseBoolean(required(p, k + "hadLive")), Boolean.parseBoolean(required(p, k + "swapped"))));
    }
    return new Journal(file, required(p, "workload"), required(p, "snapshot"),
        State.valueOf(required(p, "state")), volumes);
  }

  private static String required(Properties p, String key) throws IOException {
    String v = p.getProperty(key);
    if (v == null) {
      throw new IOException("journal lacks " + key);
    }
    return v;
  }
}
