package io.snapshotkit.examples.embed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the published modules work for a consumer on the module path: compiles the tiny module
 * in {@code src/test/module-consumer} (and, for the testkit, an adapter's test module in {@code
 * src/test/module-contract}) against the packaged SnapshotKit jars and their dependencies
 * and runs it in a child JVM. A missing {@code exports} or {@code requires} fails the compile; a
 * missing {@code opens}, an unreadable dependency or an exported internal package fails the run
 * (the consumer checks that each module exports exactly its API packages).
 *
 * <p>The module path is this test's own class path (Failsafe runs after {@code package}, so the
 * SnapshotKit modules are their jars) minus this module's classes. The test-only jars on it
 * (JUnit, the testkit) are read only by the contract module; the smoke consumer does not require
 * them, so they do not help it pass.
 */
class ModulePathIT {
  private static final Path CONSUMERS = Path.of("src", "test").toAbsolutePath();
  private static final Path OWN_OUTPUT = Path.of("target").toAbsolutePath();

  @TempDir Path tmp;

  @Test
  void aModulePathConsumerCapturesRestoresExportsAndDeletesADirectoryWithSqliteMetadata() throws Exception {
    String modulePath = modulePath();
    for (String module : List.of("snapshot-api", "snapshot-core", "snapshot-jdbc", "snapshot-fs")) {
      assertTrue(modulePath.contains(module), module + " is on the module path: " + modulePath);
    }
    String output = compileAndRun("module-consumer", modulePath,
        "snapshotkit.smoke/io.snapshotkit.smoke.Main", tmp.resolve("scratch").toString());
    assertTrue(output.contains("modules: io.snapshotkit.core io.snapshotkit.jdbc io.snapshotkit.fs"), output);
    assertTrue(output.contains("captured version 1"), output);
    assertTrue(output.contains("restored version 1"), output);
    assertTrue(output.contains("exported version 1 as tar.zst"), output);
    assertTrue(output.contains("deleted version 1"), output);
    assertTrue(output.contains("module path smoke test passed"), output);
  }

  @Test
  void anAdapterModuleRunsATestkitContractOnTheModulePath() throws Exception {
    // Fails with InaccessibleObjectException if snapshot-testkit does not open its package to JUnit.
    String output = compileAndRun("module-contract", modulePath(), "snapshotkit.contract/io.snapshotkit.contract.Run");
    assertTrue(output.contains("0 tests failed"), output);
    assertTrue(output.contains("contract passed on the module path"), output);
  }

  /**
   * Compiles the module under {@code src/test/<dir>} against {@code modulePath}, runs {@code
   * mainModuleAndClass} in a child JVM on the module path and returns its output once it exits 0.
   */
  private String compileAndRun(String dir, String modulePath, String mainModuleAndClass, String... args)
      throws IOException, InterruptedException {
    Path classes = tmp.resolve(dir + "-classes");
    compile(CONSUMERS.resolve(dir), modulePath, classes);
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--module-path", classes + File.pathSeparator + modulePath, "-m", mainModuleAndClass));
    cmd.addAll(List.of(args));
    Path out = tmp.resolve(dir + "-out.txt");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(mainModuleAndClass + " did not finish in 120 s: " + Files.readString(out));
    }
    String output = Files.readString(out, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), output);
    return output;
  }

  /** The JARs on this test's class path, except this module's own output. */
  private static String modulePath() {
    String classPath = System.getProperty("java.class.path");
    return Stream.of(classPath.split(File.pathSeparator))
        .map(entry -> Path.of(entry).toAbsolutePath())
        .filter(entry -> !entry.startsWith(OWN_OUTPUT) && entry.toString().endsWith(".jar"))
        .map(Path::toString)
        .collect(Collectors.joining(File.pathSeparator));
  }

  /** Compiles one consumer module with {@code -Werror}, as the library modules are compiled. */
  private static void compile(Path sources, String modulePath, Path classes) throws IOException {
    Files.createDirectories(classes);
    // --class-path: else javac inherits this JVM's class path, where every package is visible.
    List<String> args = new ArrayList<>(List.of("--release", "17", "-Xlint:all", "-Werror",
        "--module-path", modulePath, "--class-path", classes.toString(), "-d", classes.toString()));
    try (Stream<Path> walk = Files.walk(sources)) {
      args.addAll(walk.filter(f -> f.toString().endsWith(".java")).map(Path::toString).collect(Collectors.toList()));
    }
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
    int status = javac.run(null, diagnostics, diagnostics, args.toArray(String[]::new));
    assertEquals(0, status, () -> sources.getFileName() + " does not compile against the modules:\n"
        + diagnostics.toString(StandardCharsets.UTF_8));
  }
}
