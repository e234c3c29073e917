package io.snapshotkit.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ProgressEvent;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The progress bar's redraw timing, on a clock the test moves. */
class ProgressTest {

  /** A clock that stands still until the test moves it. */
  private static Clock clock(AtomicLong millis) {
    return new Clock() {
      @Override
      public ZoneOffset getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(java.time.ZoneId zone) {
        return this;
      }

      @Override
      public Instant instant() {
        return Instant.ofEpochMilli(millis.get());
      }
    };
  }

  private static long frames(ByteArrayOutputStream out) {
    return out.toString(StandardCharsets.UTF_8).chars().filter(c -> c == '\r').count();
  }

  private static ProgressEvent event(String phase, long bytes, boolean finished) {
    return ProgressEvent.of(ProgressEvent.Operation.RESTORE, phase, bytes / 100, 100, bytes, 10_000, "", finished);
  }

  @Test
  void aLongOperationDrawsFramesWhileItRunsAtMostTenASecondAndAtOnceOnAPhaseChange() {
    AtomicLong now = new AtomicLong(1_000_000);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Progress p = new Progress(new PrintStream(out, true, StandardCharsets.UTF_8), "restore", clock(now));
    p.onProgress(event("stage", 100, false));
    assertEquals(1, frames(out), "the first event draws a frame at once");
    for (int i = 1; i <= 20; i++) {
      now.addAndGet(50);
      p.onProgress(event("stage", 100 + i * 100L, false));
    }
    // one second in steps of 50 ms: a frame every 100 ms
    assertEquals(11, frames(out), out.toString(StandardCharsets.UTF_8));
    p.onProgress(event("swap", 2100, false));
    assertEquals(12, frames(out), "a new phase is drawn at once");
    p.close();
    assertEquals(13, frames(out), "close draws the final frame");
    assertTrue(out.toString(StandardCharsets.UTF_8).endsWith(System.lineSeparator()), "and ends the line");
  }

  @Test
  void theEtaComesFromTheRateSinceTheTotalWasKnown() {
    AtomicLong now = new AtomicLong(0);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Progress p = new Progress(new PrintStream(out, true, StandardCharsets.UTF_8), "restore", clock(now));
    now.set(5_000); // five seconds of planning before any total, which must not count in the ETA
    p.onProgress(event("stage", 0, false));
    now.set(6_000);
    p.onProgress(event("stage", 2_500, false));
    String frames = out.toString(StandardCharsets.UTF_8);
    assertTrue(frames.endsWith("ETA 3s"), frames);
  }

  @Test
  void nothingDrawnNothingPrintedOnClose() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new Progress(new PrintStream(out, true, StandardCharsets.UTF_8), "gc", clock(new AtomicLong())).close();
    assertEquals("", out.toString(StandardCharsets.UTF_8));
  }
}
