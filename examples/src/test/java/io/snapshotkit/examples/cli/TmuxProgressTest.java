package io.snapshotkit.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real CLI, in a real terminal (a detached tmux session, 120x30), captures and then
 * replace-restores a tree big enough to take seconds, while the test reads the screen with
 * {@code tmux capture-pane} every 50 ms: the bar's percentage is seen several times, rising, and
 * ends at 100%.
 */
class TmuxProgressTest {
  private static final Path TMUX = Path.of("/usr/bin/tmux");
  /**
   * 1,536 files of 64 KiB of random bytes (zstd cannot shrink them): 96 MiB to hash, store and write
   * back, in many files, so that a restore on a quiet machine (writing a few large files at disk
   * speed took 0.6 s) still lasts several redraws of the bar.
   */
  private static final int FILES = 1_536;
  private static final int SIZE = 64 << 10;
  private static final Pattern FRAME = Pattern.compile("^(capture|restore)  ([a-z -]+?)  \\[[#-]+\\]\\s+(\\d+)%");

  @TempDir Path tmp;
  private final String socket = "snapshotkit-progress-" + ProcessHandle.current().pid();

  @AfterEach
  void killTmux() throws IOException, InterruptedException {
    // this test's own tmux server only (its own socket), never anyone else's
    new ProcessBuilder(TMUX.toString(), "-L", socket, "kill-server").redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
  }

  private int cli(Path home, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    return Main.run(args, Map.of(Home.ENV, home.toString()), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(out, true, StandardCharsets.UTF_8), false, Clock.systemUTC());
  }

  /** Runs the CLI with {@code args} in a new tmux window and returns every percentage the screen showed, in order. */
  private List<Frame> watch(Path home, String session, String... args) throws IOException, InterruptedException {
    StringBuilder cmd = new StringBuilder("#!/bin/sh\nexport " + Home.ENV + "='" + home + "'\n'")
        .append(Path.of(System.getProperty("java.home"), "bin", "java")).append("' -XX:+UseSerialGC -cp '")
        .append(System.getProperty("java.class.path")).append("' ").append(Main.class.getName());
    for (String a : args) {
      cmd.append(" '").append(a).append("'");
    }
    cmd.append("\necho \"EXIT=$?\"\nsleep 60\n");
    Path script = tmp.resolve(session + ".sh");
    Files.writeString(script, cmd.toString());
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    Process start = new ProcessBuilder(TMUX.toString(), "-L", socket, "-f", "/dev/null", "new-session", "-d",
        "-s", session, "-x", "120", "-y", "30", script.toString()).redirectErrorStream(true).start();
    assertEquals(0, start.waitFor(), new String(start.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    List<Frame> frames = new ArrayList<>();
    String screen = "";
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (System.nanoTime() < deadline) {
      Process p = new ProcessBuilder(TMUX.toString(), "-L", socket, "capture-pane", "-p", "-t", session)
          .redirectErrorStream(true).start();
      screen = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor();
      for (String line : screen.lines().toList()) {
        Matcher m = FRAME.matcher(line);
        if (m.find()) {
          Frame f = new Frame(m.group(2), Integer.parseInt(m.group(3)), line.strip());
          if (frames.isEmpty() || !frames.get(frames.size() - 1).line().equals(f.line())) {
            frames.add(f);
          }
        }
      }
      if (screen.contains("EXIT=")) {
        break;
      }
      Thread.sleep(50);
    }
    assertTrue(screen.contains("EXIT=0"), "the command finished and succeeded:\n" + screen);
    return frames;
  }

  /** One distinct bar seen on the screen. */
  private record Frame(String phase, int percent, String line) {}

  private static void assertRisingFramesEndingAt100(String what, List<Frame> frames) {
    String seen = String.join("\n", frames.stream().map(Frame::line).toList());
    List<Integer> percents = frames.stream().map(Frame::percent).distinct().toList();
    // one frame strictly between is the bar moving while the work runs; on a quiet machine a 96 MiB
    // capture takes about a second, drawn every 100 ms but sampled here only as often as tmux answers
    assertTrue(percents.stream().anyMatch(p -> p > 0 && p < 100),
        what + ": a frame between 0% and 100% while it ran:\n" + seen);
    for (int i = 1; i < percents.size(); i++) {
      assertTrue(percents.get(i) > percents.get(i - 1), what + ": the percentage only rises:\n" + seen);
    }
    assertEquals(100, percents.get(percents.size() - 1), what + ": the last frame says 100%:\n" + seen);
  }

  @Test
  void theBarRisesOnScreenDuringACaptureAndARestoreOfALargeTree() throws IOException, InterruptedException {
    Assumptions.assumeTrue(Files.isExecutable(TMUX), "tmux is installed at " + TMUX);
    Path home = tmp.resolve("home");
    Path project = tmp.resolve("project");
    SplittableRandom random = new SplittableRandom(16);
    byte[] data = new byte[SIZE];
    for (int i = 0; i < FILES; i++) {
      random.nextBytes(data);
      Files.createDirectories(project.resolve("d" + i % 16));
      Files.write(project.resolve("d" + i % 16 + "/f" + i + ".bin"), data);
    }
    assertEquals(0, cli(home, "init"));
    assertEquals(0, cli(home, "track", "app", project.toString()));

    List<Frame> capture = watch(home, "capture", "capture", "app");
    assertRisingFramesEndingAt100("capture", capture);
    assertTrue(capture.stream().anyMatch(f -> f.phase().equals("scan")), capture.toString());

    // the restore rewrites every byte: change one file so the restore has something to put back
    Files.writeString(project.resolve("d0/f0.bin"), "changed");
    List<Frame> restore = watch(home, "restore", "restore", "app@1", "--replace", "--no-safety-snapshot");
    assertRisingFramesEndingAt100("restore", restore);
    assertTrue(restore.stream().anyMatch(f -> f.phase().equals("stage")), restore.toString());
    assertEquals(SIZE, Files.size(project.resolve("d0/f0.bin")), "restored");
  }
}
