package io.snapshotkit.examples.cli;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.core.EngineObserver;
import io.snapshotkit.examples.internal.JsonViews;
import io.snapshotkit.jdbc.JdbcHostRegistry;
import io.snapshotkit.fs.RestoreListener;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code snapshotkit} command: global options, the subcommands, and the mapping of failures
 * to one-line errors and exit statuses.
 *
 * <p><b>Thread-safety:</b> not thread-safe; one instance runs one command line.
 */
@Command(
    name = "snapshotkit",
    mixinStandardHelpOptions = true,
    versionProvider = RootCommand.Version.class,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
        "Snapshots of directories on this machine: capture, versions, diff, restore, rollback.",
        "Metadata lives in SQLite and files in a content-addressed repository, both under the home directory.",
        "Name a snapshot by its id or as WORKLOAD@VERSION (WORKLOAD@latest for the newest)."},
    footer = {"", "Start with: snapshotkit demo"})
final class RootCommand implements Callable<Integer> {

  /**
   * The subcommands, in the order {@code --help} lists them. They are not in the {@code @Command}
   * annotation, which would make picocli build every command's model (by reflection) on each run:
   * {@link #commandLine(RootCommand, String[])} adds only the one a command line names.
   */
  static final List<Class<?>> SUBCOMMANDS = List.of(
      AdminCommands.Init.class,
      AdminCommands.Track.class,
      AdminCommands.Untrack.class,
      SnapshotCommands.Capture.class,
      SnapshotCommands.ListCmd.class,
      SnapshotCommands.Versions.class,
      SnapshotCommands.Show.class,
      BrowseCommands.Ls.class,
      BrowseCommands.Dump.class,
      SnapshotCommands.Diff.class,
      SnapshotCommands.Restore.class,
      SnapshotCommands.Rollback.class,
      SnapshotCommands.Delete.class,
      SnapshotCommands.Protect.class,
      ForkCommand.class,
      AdminCommands.Retention.class,
      ScheduleCommand.class,
      AdminCommands.Gc.class,
      AdminCommands.Check.class,
      ArchiveCommands.Export.class,
      ArchiveCommands.Import.class,
      AdminCommands.Events.class,
      ServeCommand.class,
      AgentCommand.class,
      HostsCommand.class,
      DemoCommand.class,
      CommandLine.HelpCommand.class);

  /**
   * What the process gives the tool.
   *
   * @param env environment variables
   * @param out standard output
   * @param err standard error
   * @param terminal whether standard output is a terminal
   * @param clock the time source
   * @param restoreSteps observes every replace restore's durable steps (tests stop a restore at one)
   */
  record Environment(Map<String, String> env, PrintStream out, PrintStream err, boolean terminal, Clock clock,
      RestoreListener restoreSteps) {
    Environment {
      env = Map.copyOf(env);
      Objects.requireNonNull(out, "out");
      Objects.requireNonNull(err, "err");
      Objects.requireNonNull(clock, "clock");
      Objects.requireNonNull(restoreSteps, "restoreSteps");
    }

    /** A process's environment, with no observer of restore steps. */
    Environment(Map<String, String> env, PrintStream out, PrintStream err, boolean terminal, Clock clock) {
      this(env, out, err, terminal, clock, (step, swapped) -> { });
    }
  }

  @Option(names = "--home", paramLabel = "DIR", scope = ScopeType.INHERIT,
      description = "Home directory (default: $SNAPSHOTKIT_HOME, else ~/.snapshotkit).")
  String home;

  @Option(names = "--json", scope = ScopeType.INHERIT,
      description = "Print the result as one JSON document, for scripts.")
  boolean json;

  @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
      description = "Print stack traces with errors, and library log lines.")
  boolean verbose;

  @Option(names = "--lock-wait", paramLabel = "SECONDS", scope = ScopeType.INHERIT,
      description = "How long to wait for another snapshotkit command using the same home (default: ${DEFAULT-VALUE}).")
  int lockWaitSeconds = 30;

  @Option(names = "--registry", paramLabel = "JDBC-URL|FILE", scope = ScopeType.INHERIT,
      description = {"Control-plane mode: keep snapshots and the host registry in this database (jdbc:postgresql://... "
          + "or a SQLite file; default: $" + ControlPlane.REGISTRY_ENV + ") and run captures and deletes on the "
          + "registered agents instead of this machine's home."})
  String registry;

  @Option(names = "--token-file", paramLabel = "FILE", scope = ScopeType.INHERIT,
      description = "With --registry or `agent`: the file holding the agents' bearer token (default: $"
          + ControlPlane.TOKEN_ENV + "). Never on the command line, which `ps` shows.")
  Path tokenFile;

  @Option(names = "--agent-ca", paramLabel = "FILE", scope = ScopeType.INHERIT,
      description = "With --registry: call agents over TLS, checking their certificates against this PEM CA "
          + "(default: plain text, for agents on loopback).")
  Path agentCa;

  @Option(names = "--heartbeat", paramLabel = "SECONDS", scope = ScopeType.INHERIT,
      description = "With --registry: agents heartbeat every SECONDS; a host 2 intervals silent reads OFFLINE "
          + "(default: ${DEFAULT-VALUE}; the same value on the agents and the control plane).")
  int heartbeatSeconds = 10;

  @Option(names = "--host-timeout", paramLabel = "SECONDS", scope = ScopeType.INHERIT,
      description = "With --registry: how long one call to an agent may take (default: ${DEFAULT-VALUE}).")
  int hostTimeoutSeconds = 30;

  private final Environment environment;
  private Output output;
  private Services services;
  /** What hears the engine's operations; set by serve for its metrics. */
  private EngineObserver observer = EngineObserver.NONE;
  private SignalGuard guard;

  RootCommand(Environment environment) {
    this.environment = environment;
  }

  /** A picocli command line with every command and this tool's error handling. */
  static CommandLine commandLine(RootCommand root) {
    return commandLine(root, new String[0]);
  }

  /**
   * A picocli command line for the arguments {@code line}, with this tool's error handling: with the model of
   * the one command they name, or of every command when they name none (no command, {@code help},
   * a word that is no command, for which picocli suggests the closest, or root's {@code --help}).
   * Parsing, help and errors are those of the full model, which only costs more to build.
   */
  static CommandLine commandLine(RootCommand root, String[] line) {
    CommandLine cl = new CommandLine(root);
    Optional<Class<?>> named = named(cl.getCommandSpec(), line);
    if (named.isPresent()) {
      cl.addSubcommand(named.get());
    } else {
      SUBCOMMANDS.forEach(cl::addSubcommand);
    }
    cl.setOut(new PrintWriter(root.environment.out(), true));
    cl.setErr(new PrintWriter(root.environment.err(), true));
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setExecutionExceptionHandler((ex, command, parseResult) -> root.fail(ex));
    cl.setParameterExceptionHandler((ex, args) -> {
      root.output().result(JsonViews.error("USAGE", ex.getMessage()));
      root.output().error(ex.getMessage() + "; see `" + qualified(ex.getCommandLine()) + " --help`");
      return ExitCodes.USAGE;
    });
    return cl;
  }

  /**
   * The subcommand {@code args} name after the root's options, unless {@code help} or a root
   * option that prints help or the version comes first, or an option the root does not know.
   */
  private static Optional<Class<?>> named(CommandSpec rootSpec, String[] args) {
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.startsWith("-")) {
        int eq = arg.indexOf('=');
        OptionSpec option = rootSpec.findOption(eq < 0 ? arg : arg.substring(0, eq));
        if (option == null || option.usageHelp() || option.versionHelp()) {
          return Optional.empty();
        }
        if (eq < 0 && option.arity().max() > 0) {
          i++; // its value
        }
        continue;
      }
      for (Class<?> command : SUBCOMMANDS) {
        Command c = command.getAnnotation(Command.class);
        if (command != CommandLine.HelpCommand.class
            && (c.name().equals(arg) || Arrays.asList(c.aliases()).contains(arg))) {
          return Optional.of(command);
        }
      }
      return Optional.empty();
    }
    return Optional.empty();
  }

  private static String qualified(CommandLine cl) {
    return cl.getCommandSpec().qualifiedName();
  }

  @Override
  public Integer call() {
    // `snapshotkit` alone: show the commands.
    CommandLine.usage(this, environment.out());
    return ExitCodes.OK;
  }

  /** The process environment. */
  Environment environment() {
    return environment;
  }

  /** The output layer, configured by --json. */
  Output output() {
    if (output == null) {
      output = new Output(environment.out(), environment.err(), json, environment.terminal(), environment.clock());
    }
    return output;
  }

  /** The home directory, resolved from --home, SNAPSHOTKIT_HOME or the default. */
  Home home() {
    return Home.resolve(Optional.ofNullable(home), environment.env(), System.getProperty("user.home"));
  }

  /**
   * The store, agent and engine on the home directory, opened on first use and closed when the
   * command ends.
   *
   * @throws SnapshotException NOT_FOUND if the home is not initialised
   */
  Services services() {
    if (services == null && registry().isPresent()) {
      services = Services.openRegistry(registry().get(), environment.clock(), heartbeat(), agentToken(),
          Optional.ofNullable(agentCa), hostTimeout(), Optional.empty(), observer);
    }
    if (services == null) {
      Home h = home();
      h.requireInitialized();
      services = Services.open(h, environment.clock(), Optional.empty(), lockWait(), this::announceWait,
          restoreSteps(), observer);
      reportReaped(services);
    }
    return services;
  }

  /**
   * Gives the engine that {@link #services()} opens an observer (serve's metrics).
   *
   * @throws IllegalStateException if the services are already open
   */
  void observeWith(EngineObserver value) {
    if (services != null) {
      throw new IllegalStateException("services are already open; set the observer before the engine is built");
    }
    observer = java.util.Objects.requireNonNull(value, "observer");
  }

  /** Opens services with a collecting event hook (the events command): the registry's in control-plane mode. */
  Services services(Services.EventSink sink) {
    if (services != null) {
      throw new IllegalStateException("services are already open");
    }
    if (registry().isPresent()) {
      services = Services.openRegistry(registry().get(), environment.clock(), heartbeat(), agentToken(),
          Optional.ofNullable(agentCa), hostTimeout(), Optional.of(sink));
      return services;
    }
    Home h = home();
    h.requireInitialized();
    services = Services.open(h, environment.clock(), Optional.of(sink), lockWait(), this::announceWait,
        restoreSteps());
    reportReaped(services);
    return services;
  }

  /**
   * The host registry of control-plane mode, opened with the services.
   *
   * @throws SnapshotException INVALID_ARGUMENT without --registry (or its environment variable), saying to give one
   */
  JdbcHostRegistry hostRegistry() {
    if (registry().isEmpty()) {
      throw SnapshotException.invalid("this command needs the host registry: give --registry JDBC-URL|FILE "
          + "(or set " + ControlPlane.REGISTRY_ENV + ")");
    }
    return services().registry();
  }

  /** The registry database from --registry or its environment variable; empty in the local single-host mode. */
  Optional<String> registry() {
    return ControlPlane.registry(registry, environment.env());
  }

  /** The agents' bearer token, from --token-file or its environment variable. */
  String agentToken() {
    return ControlPlane.token(tokenFile, environment.env());
  }

  /** The --heartbeat interval. */
  Duration heartbeat() {
    if (heartbeatSeconds < 1) {
      throw SnapshotException.invalid("--heartbeat is a number of seconds, 1 or more");
    }
    return Duration.ofSeconds(heartbeatSeconds);
  }

  /** The --host-timeout duration. */
  Duration hostTimeout() {
    if (hostTimeoutSeconds < 1) {
      throw SnapshotException.invalid("--host-timeout is a number of seconds, 1 or more");
    }
    return Duration.ofSeconds(hostTimeoutSeconds);
  }

  /** The --lock-wait duration. */
  Duration lockWait() {
    if (lockWaitSeconds < 0) {
      throw SnapshotException.invalid("--lock-wait is a number of seconds, 0 or more");
    }
    return Duration.ofSeconds(lockWaitSeconds);
  }

  private void reportReaped(Services s) {
    if (s.reapedCaptures() > 0) {
      output().warn(s.reapedCaptures() + " capture(s) interrupted by a stopped snapshotkit process were marked FAILED; "
          + "see `snapshotkit list --status failed`, and delete them when you like");
    }
    s.removedImports().forEach(p -> output().warn("removed " + p
        + ", left half-unpacked by an import a stopped snapshotkit process did not finish"));
    reportRecovery(s);
  }

  /** Warns about every replace restore a stopped process left unfinished and opening the home finished or undid. */
  void reportRecovery(Services s) {
    s.recoveredRestores().forEach(r -> output().warn(r + " (it was stopped by an earlier snapshotkit process)"));
  }

  /**
   * The guard that finishes or undoes a replace restore when a signal stops the process; the
   * restore and rollback commands run their restore through {@link SignalGuard#during}.
   */
  SignalGuard guard() {
    if (guard == null) {
      guard = new SignalGuard(this::output, SignalGuard.BOUND);
    }
    return guard;
  }

  /** What observes every replace restore's steps: the environment's observer, then the {@link #guard()}. */
  RestoreListener restoreSteps() {
    SignalGuard g = guard();
    RestoreListener observer = environment.restoreSteps();
    return (step, swapped) -> {
      observer.reached(step, swapped);
      g.reached(step, swapped);
    };
  }

  /** The command has ended and its output is flushed: a signalled process may now exit. */
  void ended() {
    if (guard != null) {
      guard.release();
    }
  }

  private void announceWait() {
    output().warn("another snapshotkit command is using " + home().dir() + "; waiting up to " + lockWaitSeconds + " s");
  }

  /** Closes what {@link #services()} opened. */
  void closeServices() {
    if (services != null) {
      Services s = services;
      services = null;
      try {
        s.close();
      } catch (RuntimeException e) {
        output().warn("closing the home directory failed: " + e.getMessage());
      }
    }
  }

  /** Reports a failure as one line (plus a stack trace with --verbose) and picks the exit status. */
  int fail(Exception ex) {
    Output o = output();
    if (ex instanceof SnapshotException se) {
      o.result(JsonViews.error(se));
      String hosts = se.failedHosts().isEmpty() ? "" : " [hosts: " + String.join(", ", se.failedHosts()) + "]";
      o.error(se.getMessage() + hosts + codeSuffix(se.code()));
      if (verbose) {
        o.stackTrace(ex);
      }
      return ExitCodes.of(se.code());
    }
    if (ex instanceof IllegalArgumentException) {
      o.result(JsonViews.error(ErrorCode.INVALID_ARGUMENT, String.valueOf(ex.getMessage())));
      o.error(ex.getMessage() + codeSuffix(ErrorCode.INVALID_ARGUMENT));
      if (verbose) {
        o.stackTrace(ex);
      }
      return ExitCodes.of(ErrorCode.INVALID_ARGUMENT);
    }
    o.result(JsonViews.error("UNEXPECTED", String.valueOf(ex)));
    o.error("unexpected failure: " + ex + (verbose ? "" : "; run again with --verbose for the stack trace")
        + ", and please report it");
    if (verbose) {
      o.stackTrace(ex);
    }
    return ExitCodes.UNEXPECTED;
  }

  private static String codeSuffix(ErrorCode code) {
    return " (" + code.name() + ")";
  }

  /**
   * The tool's version, from the jar manifest when there is one, and the JDK that runs it (the
   * launcher picks the newest it finds) with the start-up cache the launcher gave it, if any.
   */
  static final class Version implements CommandLine.IVersionProvider {
    /** The system property {@code bin/snapshotkit} sets to the start-up cache file it passes to the JVM. */
    static final String CACHE_PROPERTY = "snapshotkit.startupCache";

    @Override
    public String[] getVersion() {
      String v = Optional.ofNullable(Version.class.getPackage().getImplementationVersion()).orElse("(development build)");
      String cache = System.getProperty(CACHE_PROPERTY);
      return new String[] {"snapshotkit " + v,
          "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ") at "
              + System.getProperty("java.home"),
          "Start-up cache: " + (cache == null || cache.isEmpty() ? "none" : cache)};
    }
  }
}
