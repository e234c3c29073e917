package io.snapshotkit.examples.cli;

import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;

/**
 * A one-line progress bar with bytes done, rate and ETA, redrawn in place ({@code \r}) at most
 * ten times a second: {@code capture  [######------]  52%  12.3 MiB / 23.6 MiB  8.1 MiB/s  ETA 1s}.
 * With an unknown total it shows bytes, rate and elapsed time. {@link #silent()} draws nothing: used when
 * stdout is not a terminal, so logs and pipes never see control characters.
 *
 * <p><b>Thread-safety:</b> thread-safe; updates may come from any thread.
 */
class Progress implements AutoCloseable {
  private static final int WIDTH = 24;
  private static final long REDRAW_MILLIS = 100;
  private static final Progress SILENT = new Progress(null, "", 0, null);

  private final PrintStream out;
  private final String label;
  private final long total;
  private final Clock clock;
  private final long startMillis;
  private long done;
  /** When the last frame was drawn; none yet while {@link #drawn} is false. */
  private long lastDraw;
  private boolean drawn;
  private int lastWidth;
  private boolean closed;

  Progress(PrintStream out, String label, long total, Clock clock) {
    this.out = out;
    this.label = label;
    this.total = total;
    this.clock = clock;
    this.startMillis = clock == null ? 0 : clock.millis();
  }

  /** A progress bar that draws nothing. */
  static Progress silent() {
    return SILENT;
  }

  /** Adds {@code bytes} to the amount done. */
  synchronized void advance(long bytes) {
    update(done + bytes);
  }

  /** Sets the amount done. */
  synchronized void update(long doneBytes) {
    if (out == null || closed) {
      return;
    }
    done = doneBytes;
    long now = clock.millis();
    // the first update draws at once, later ones at most every REDRAW_MILLIS
    if (!drawn || now - lastDraw >= REDRAW_MILLIS) {
      drawn = true;
      lastDraw = now;
      draw(now);
    }
  }

  /** Draws the final state and ends the line. */
  @Override
  public synchronized void close() {
    if (out == null || closed) {
      return;
    }
    draw(clock.millis());
    closed = true;
    out.println();
    out.flush();
  }

  private void draw(long now) {
    String line = render(label, done, total, Duration.ofMillis(now - startMillis));
    int pad = Math.max(0, lastWidth - line.length());
    lastWidth = line.length();
    out.print("\r" + line + " ".repeat(pad));
    out.flush();
  }

  /** One frame of the bar, without control characters. */
  static String render(String label, long done, long total, Duration elapsed) {
    StringBuilder sb = new StringBuilder(label).append("  ");
    if (total > 0) {
      // Sampled counters can overshoot an estimated total a little (journals, safety snapshots).
      done = Math.min(done, total);
      double fraction = Math.min(1.0, (double) done / total);
      int filled = (int) Math.round(fraction * WIDTH);
      sb.append('[').append("#".repeat(filled)).append("-".repeat(WIDTH - filled)).append("]  ");
      sb.append(String.format(Locale.ROOT, "%3d%%", (int) Math.floor(fraction * 100))).append("  ");
      sb.append(Format.bytes(done)).append(" / ").append(Format.bytes(total));
    } else {
      sb.append(Format.bytes(done));
    }
    sb.append("  ").append(Format.rate(done, elapsed));
    if (total <= 0) {
      sb.append("  ").append(Format.duration(elapsed));
    }
    if (total > 0 && done > 0 && done < total) {
      long millis = Math.max(1, elapsed.toMillis());
      long remaining = (long) ((total - done) * (double) millis / done);
      sb.append("  ETA ").append(Format.duration(Duration.ofMillis(remaining)));
    }
    return sb.toString();
  }
}
