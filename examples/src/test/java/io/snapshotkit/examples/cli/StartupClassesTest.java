package io.snapshotkit.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * What the short commands ({@code list}, {@code versions}, {@code show}) do not load: picocli's
 * models of the other commands, Jackson's {@code ObjectMapper} (they print tables from JSON
 * nodes and read rows with the streaming parser; a capture writes its rows without one too) and
 * Caffeine (its caches are built on first use). Counted in a real child JVM with
 * {@code -Xlog:class+load}: class names and counts, not timings, so a loaded machine cannot make it
 * flaky. See bench/README.md "Start-up of short commands" for the figures behind the bound.
 */
class StartupClassesTest {
  /**
   * Measured on JDK 17 with the launcher's flags: 3,687 classes for {@code list} before the lazy
   * start-up, about 3,260 after, about 3,120 once Caffeine's caches were built on first use; the
   * bound leaves room for the JDK's and the libraries' own drift.
   */
  private static final int MAX_CLASSES = 3_250;

  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"list", "versions app", "show app@1"})
  void shortCommandsLoadNoObjectMapperAndFewerClassesThanBefore(String command) throws Exception {
    Path home = initialisedHome();
    List<String> args = new ArrayList<>(List.of("--home", home.toString()));
    args.addAll(List.of(command.split(" ")));
    List<String> loaded = classesLoadedBy(args);

    assertFalse(loaded.contains("com.fasterxml.jackson.databind.ObjectMapper"), command + " built an ObjectMapper");
    assertFalse(loaded.contains("com.github.benmanes.caffeine.cache.Caffeine"),
        command + " built a Caffeine cache (the engine's sizes, the store's manifests, the index's pages)");
    assertTrue(loaded.contains("io.snapshotkit.jdbc.JdbcManifestStore"), command + " did not open the store: " + loaded.size());
    assertTrue(loaded.size() < MAX_CLASSES, command + " loaded " + loaded.size() + " classes, the bound is " + MAX_CLASSES);
  }

  @Test
  void aCaptureBuildsNoObjectMapper() throws Exception {
    Path home = initialisedHome();
    Files.writeString(tmp.resolve("data/d/b.txt"), "a second file\n");
    List<String> loaded = classesLoadedBy(List.of("--home", home.toString(), "capture", "app"));
    assertTrue(loaded.contains("io.snapshotkit.fs.FsHostAgent"), "the capture ran: " + loaded.size());
    // the store writes its JSON columns with the streaming generator: jackson-databind's mapper
    // costs a cold process 25-35 ms to build
    assertFalse(loaded.contains("com.fasterxml.jackson.databind.ObjectMapper"), "the capture built an ObjectMapper");
  }

  @Test
  void picocliIsBuiltAsJava17ClassesWhichTheStartupCachesCanHold() throws IOException {
    // the published jar's are Java 5 class files (major 49): CDS and the AOT cache leave them out
    try (InputStream in = CommandLine.class.getResourceAsStream("CommandLine.class")) {
      DataInputStream data = new DataInputStream(in);
      assertEquals(0xCAFEBABE, data.readInt());
      data.readUnsignedShort();
      assertEquals(61, data.readUnsignedShort(), "class file major version of picocli.CommandLine");
    }
  }

  @Test
  void aCommandLineNamingOneCommandBuildsThatCommandsModelAlone() {
    RootCommand root = new RootCommand(new RootCommand.Environment(Map.of(), System.out, System.err, false,
        Clock.systemUTC()));
    assertEquals(Set.of("list"), commands(RootCommand.commandLine(root, new String[] {"list"})));
    assertEquals(Set.of("delete"), commands(RootCommand.commandLine(root, new String[] {"rm", "x"})), "an alias");
    assertEquals(Set.of("ls"), commands(RootCommand.commandLine(root, new String[] {"ls", "x"})), "ls lists inside a snapshot");
    assertEquals(Set.of("show"), commands(RootCommand.commandLine(root,
        new String[] {"--home", "list", "--json", "--lock-wait=3", "-v", "show", "x"})));
    // help, the root's own help or version, a word that is no command, an unknown option: all of them
    int all = RootCommand.SUBCOMMANDS.size();
    for (String[] line : List.of(new String[0], new String[] {"help", "list"}, new String[] {"-h", "list"},
        new String[] {"--version", "list"}, new String[] {"lis"}, new String[] {"--nope", "list"},
        new String[] {"--json"}, new String[] {"--", "list"})) {
      assertEquals(all, commands(RootCommand.commandLine(root, line)).size(), String.join(" ", line));
    }
  }

  /** The names of the subcommands a command line has a model of (not their aliases). */
  private static Set<String> commands(CommandLine cl) {
    return cl.getSubcommands().values().stream().map(CommandLine::getCommandName).collect(Collectors.toSet());
  }

  @Test
  void eachCommandsModelBuiltAloneIsTheOneTheFullModelHas() {
    RootCommand root = new RootCommand(new RootCommand.Environment(Map.of(), System.out, System.err, false,
        Clock.systemUTC()));
    Map<String, CommandLine> full = RootCommand.commandLine(root).getSubcommands();
    for (Map.Entry<String, CommandLine> e : full.entrySet()) {
      if (e.getKey().equals("help")) {
        continue;
      }
      CommandLine alone = RootCommand.commandLine(root, new String[] {e.getKey()}).getSubcommands().get(e.getKey());
      assertEquals(e.getValue().getUsageMessage(CommandLine.Help.Ansi.OFF), alone.getUsageMessage(CommandLine.Help.Ansi.OFF),
          e.getKey());
      assertEquals(e.getValue().getCommandSpec().options().size(), alone.getCommandSpec().options().size(), e.getKey());
    }
  }

  private Path initialisedHome() throws IOException {
    Path home = tmp.resolve("home");
    Path data = tmp.resolve("data");
    Files.createDirectories(data.resolve("d"));
    Files.writeString(data.resolve("d/a.txt"), "hello\n");
    for (String[] line : List.of(new String[] {"init"}, new String[] {"track", "app", data.toString()},
        new String[] {"capture", "app"})) {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int status = Main.run(line, Map.of(Home.ENV, home.toString()), new PrintStream(new ByteArrayOutputStream(),
          true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), false, Clock.systemUTC());
      assertEquals(0, status, String.join(" ", line) + ": " + err.toString(StandardCharsets.UTF_8));
    }
    return home;
  }

  /** Runs the tool in a child JVM with the launcher's default flags and returns the classes it loaded. */
  private List<String> classesLoadedBy(List<String> args) throws Exception {
    Path log = Files.createTempFile(tmp, "classes", ".log");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xlog:class+load=info:file=" + log,
        "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(tmp.resolve("child.out").toFile()).start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child JVM did not finish");
    assertEquals(0, p.exitValue(), Files.readString(tmp.resolve("child.out")));
    List<String> names = new ArrayList<>();
    for (String line : Files.readAllLines(log)) {
      // [0.012s][info][class,load] java.lang.Object source: shared objects file
      int start = line.indexOf("] ", line.indexOf("[class,load]")) + 2;
      int end = line.indexOf(' ', start);
      names.add(end < 0 ? line.substring(start) : line.substring(start, end));
    }
    return names;
  }
}
