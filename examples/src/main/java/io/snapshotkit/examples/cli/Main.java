package io.snapshotkit.examples.cli;

import io.snapshotkit.SnapshotException;
import java.io.PrintStream;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import picocli.CommandLine;

/**
 * The {@code snapshotkit} command-line tool: snapshots of directories on this machine, with
 * SQLite for metadata and the {@code snapshot-fs} agent for the files. Run {@code snapshotkit
 * --help} for the commands, or {@code snapshotkit demo} for a narrated tour.
 *
 * <p>Exit status: 0 on success, 2 for a bad command line, 3 to 11 for a
 * {@link SnapshotException} by {@link io.snapshotkit.ErrorCode} (NOT_FOUND 3, INVALID_ARGUMENT 4,
 * FORBIDDEN 5, CONFLICT 6, QUOTA_EXCEEDED 7, HOST_UNAVAILABLE 8, CORRUPT 9, INTERNAL 10,
 * INSUFFICIENT_STORAGE 11; a restore that could not write every file exits with the code of its
 * failures), and 1
 * for any other failure. Errors are one line on stderr; {@code --verbose} adds the stack trace.
 *
 * <p><b>Thread-safety:</b> {@link #run} may be called from several threads with different homes;
 * one home is used by one process at a time (its repository is locked while a command runs).
 */
public final class Main {
  private Main() {}

  /**
   * Runs the tool and exits the JVM with its status.
   *
   * @param args the command line
   */
  public static void main(String[] args) {
    configureLogging(args);
    int status = run(args, System.getenv(), System.out, System.err, System.console() != null, Clock.systemUTC());
    System.out.flush();
    System.exit(status);
  }

  /**
   * Runs one command line and returns its exit status, without exiting: for tests and for
   * embedding the tool.
   *
   * @param args the command line
   * @param env the environment ({@code SNAPSHOTKIT_HOME} is read from it)
   * @param out standard output: results (tables, or JSON with {@code --json})
   * @param err standard error: one-line errors and warnings
   * @param terminal whether {@code out} is a terminal; progress bars are drawn only then
   * @param clock the time source for relative times and progress rates
   * @return the exit status
   */
  public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err,
      boolean terminal, Clock clock) {
    Objects.requireNonNull(args, "args");
    return run(args, new RootCommand.Environment(env, out, err, terminal, clock));
  }

  /** Runs one command line in {@code environment} and returns its exit status. */
  static int run(String[] args, RootCommand.Environment environment) {
    if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
      // answered without building picocli's model of every command: a third of the classes
      for (String line : new RootCommand.Version().getVersion()) {
        environment.out().println(line);
      }
      environment.out().flush();
      return ExitCodes.OK;
    }
    RootCommand root = new RootCommand(environment);
    CommandLine cl = RootCommand.commandLine(root, args);
    try {
      return cl.execute(args);
    } finally {
      root.closeServices();
      environment.out().flush();
      environment.err().flush();
      // a signal that arrived during a replace restore held the JVM's exit until now
      root.ended();
    }
  }

  /**
   * slf4j-simple reads its settings once, when the first logger is made. The tool reports what
   * matters itself (one line per error, warnings it understands), so library log lines are shown
   * only at ERROR unless --verbose asks for INFO; an explicit setting always wins.
   */
  private static void configureLogging(String[] args) {
    String key = "org.slf4j.simpleLogger.defaultLogLevel";
    if (System.getProperty(key) == null) {
      boolean verbose = false;
      for (String a : args) {
        if (a.equals("--verbose") || a.equals("-v")) {
          verbose = true;
        }
      }
      System.setProperty(key, verbose ? "info" : "error");
    }
    System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
  }
}
