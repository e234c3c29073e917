package io.snapshotkit.examples.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.sqlite.util.LibraryLoaderUtil;

/**
 * The training run of {@code bin/snapshotkit}'s start-up cache: one JVM that runs the commands a
 * user runs most (init, track, capture, list, versions, show, diff, restore, {@code --version},
 * with and without {@code --json}) on a small generated tree, so that the JDK records the classes
 * they load (JDK 17: a dynamic CDS archive) and, on JDK 25, the method profiles the JIT starts
 * from (an AOT cache).
 *
 * <p>First it copies the SQLite JDBC driver's native library for this platform out of the jar into
 * the directory {@value #SQLITE_LIBRARY} of that directory, under the driver's own file name, and
 * trains with it: the launcher keeps that copy beside the cache and points the driver at it
 * ({@code org.sqlite.lib.path}), which otherwise extracts its 1.1 MB to the temporary directory on
 * every start. The name stays the driver's so that, should the copy vanish, the driver's own
 * extraction (which looks the name up in the jar) still works. Likewise zstd-jni's library goes to
 * the directory {@value ZstdLibrary#TRAINING_DIRECTORY} ({@link ZstdLibrary}).
 *
 * <p>Everything it writes is under the directory it is given, which the launcher creates empty in
 * the cache directory and removes afterwards; the launcher also points {@code user.home} there,
 * so a training run never reads or writes the user's snapshots.
 *
 * <p>Exit status 0 when every command succeeded; otherwise the status of the first that failed
 * (the launcher then keeps no cache from this run).
 *
 * <p><b>Thread-safety:</b> run once per JVM, from {@code main}.
 */
final class CacheTraining {
  private static final String WORKLOAD = "training";
  /** The directory, in the training directory, that the SQLite driver's native library is copied to. */
  static final String SQLITE_LIBRARY = "sqlite";

  private CacheTraining() {}

  /**
   * Runs the training commands.
   *
   * @param args one argument: an empty (or absent) work directory to train in
   */
  public static void main(String[] args) {
    if (args.length != 1) {
      System.err.println("usage: CacheTraining WORK-DIR (an empty directory; everything is written under it)");
      System.exit(ExitCodes.USAGE);
    }
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
    System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
    Path work = Path.of(args[0]).toAbsolutePath();
    try {
      Path library = copySqliteLibrary(work);
      if (library != null) {
        // the driver reads it when it first opens a database: train as the launcher will run
        System.setProperty("org.sqlite.lib.path", library.getParent().toString());
      }
    } catch (IOException e) {
      System.err.println("snapshotkit cache training: cannot copy SQLite's native library to " + work + ": "
          + e.getMessage());
      System.exit(1);
    }
    try {
      Path zstd = ZstdLibrary.copyForLauncher(work);
      if (zstd != null) {
        System.setProperty(ZstdLibrary.PROPERTY, zstd.toString());
      }
    } catch (IOException e) {
      System.err.println("snapshotkit cache training: cannot copy zstd's native library to " + work + ": "
          + e.getMessage());
      System.exit(1);
    }
    System.exit(train(work, System.err));
  }

  /**
   * Copies the native library that the SQLite JDBC driver would extract on this platform (its own
   * choice of resource and file name: {@link LibraryLoaderUtil}) into the directory
   * {@value #SQLITE_LIBRARY} of {@code work}.
   *
   * @return the copy, or {@code null} when the driver has no library for this platform (it then
   *     finds one its own way, as without the launcher)
   */
  static Path copySqliteLibrary(Path work) throws IOException {
    String name = LibraryLoaderUtil.getNativeLibName();
    return copyResource(LibraryLoaderUtil.class, LibraryLoaderUtil.getNativeLibResourcePath() + "/" + name,
        work.resolve(SQLITE_LIBRARY), name);
  }

  /**
   * Copies the resource {@code resource} of {@code owner}'s class loader to {@code dir/file}
   * (creating {@code dir}), for the launcher to keep beside its cache.
   *
   * @return the copy, or {@code null} when there is no such resource
   */
  static Path copyResource(Class<?> owner, String resource, Path dir, String file) throws IOException {
    try (InputStream in = owner.getResourceAsStream(resource)) {
      if (in == null) {
        return null;
      }
      Path target = Files.createDirectories(dir).resolve(file);
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
      return target;
    }
  }

  /**
   * Runs every training command in {@code work} and returns 0, or the status of the first that
   * failed (its error output goes to {@code diagnostics}).
   */
  static int train(Path work, PrintStream diagnostics) {
    Path data = work.resolve("data");
    try {
      writeTree(data);
    } catch (IOException e) {
      diagnostics.println("snapshotkit cache training: cannot write " + data + ": " + e.getMessage());
      return 1;
    }
    Map<String, String> env = Map.of(Home.ENV, work.resolve("home").toString());
    List<List<String>> commands = List.of(
        List.of("--version"),
        List.of("init"),
        List.of("track", WORKLOAD, "data=" + data),
        List.of("capture", WORKLOAD),
        List.of("list"),
        List.of("--json", "list"),
        List.of("versions", WORKLOAD),
        List.of("show", WORKLOAD + "@latest"),
        List.of("capture", WORKLOAD),
        List.of("--json", "capture", WORKLOAD, "--name", "changed"),
        List.of("diff", WORKLOAD + "@1", WORKLOAD + "@3"),
        List.of("diff", WORKLOAD + "@1"),
        List.of("restore", WORKLOAD + "@1", "--to", work.resolve("restored").toString()),
        List.of("--json", "versions", WORKLOAD),
        List.of("show", "--help"));
    PrintStream sink = new PrintStream(OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8);
    for (int i = 0; i < commands.size(); i++) {
      List<String> command = commands.get(i);
      if (i == 9) {
        try {
          change(data);
        } catch (IOException e) {
          diagnostics.println("snapshotkit cache training: cannot change " + data + ": " + e.getMessage());
          return 1;
        }
      }
      int status = Main.run(command.toArray(String[]::new), env, sink, diagnostics, false, Clock.systemUTC());
      if (status != ExitCodes.OK) {
        diagnostics.println("snapshotkit cache training: `snapshotkit " + String.join(" ", command)
            + "` exited with " + status);
        return status;
      }
    }
    return ExitCodes.OK;
  }

  /**
   * A small tree shaped like a project: many small text files in nested directories and a few
   * MiB of mixed binary content, so capture hashes, compresses and chunks real data.
   */
  private static void writeTree(Path data) throws IOException {
    Random random = new Random(17);
    for (int d = 0; d < 8; d++) {
      Path dir = Files.createDirectories(data.resolve("src/module" + d));
      for (int f = 0; f < 25; f++) {
        StringBuilder text = new StringBuilder();
        for (int line = 0; line < 40; line++) {
          text.append("line ").append(line).append(" of file ").append(f).append(": ")
              .append(Long.toHexString(random.nextLong())).append('\n');
        }
        Files.writeString(dir.resolve("File" + f + ".txt"), text);
      }
    }
    byte[] blob = new byte[3 << 20];
    for (int i = 0; i < blob.length; i += 4096) {
      // half random, half repeated: both the compressible and the incompressible path
      if ((i / 4096) % 2 == 0) {
        byte[] page = new byte[4096];
        random.nextBytes(page);
        System.arraycopy(page, 0, blob, i, Math.min(4096, blob.length - i));
      }
    }
    Files.write(data.resolve("assets.bin"), blob);
  }

  private static void change(Path data) throws IOException {
    Files.writeString(data.resolve("src/module0/File0.txt"), "changed by the training run\n");
    Files.delete(data.resolve("src/module1/File1.txt"));
    Files.writeString(data.resolve("src/module2/New.txt"), "added by the training run\n");
  }
}
