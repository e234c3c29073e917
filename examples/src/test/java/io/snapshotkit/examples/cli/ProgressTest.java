package io.snapshotkit.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

  @Test
  void aLongOperationDrawsFramesWhileItRunsAtMostTenASecond() {
    AtomicLong now = new AtomicLong(1_000_000);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Progress p = new Progress(new PrintStream(out, true, StandardCharsets.UTF_8), "restore", 10_000, clock(now));
    p.update(100);
    assertEquals(1, frames(out), "the first update draws a frame at once");
    for (int i = 1; i <= 20; i++) {
      now.addAndGet(50);
      p.update(100 + i * 100L);
    }
    // one second in steps of 50 ms: a frame every 100 ms
    assertEquals(11, frames(out), out.toString(StandardCharsets.UTF_8));
    p.close();
    assertEquals(12, frames(out), "close draws the final frame");
  }
}
