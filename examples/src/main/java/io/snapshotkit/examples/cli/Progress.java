package io.snapshotkit.examples.cli;

import io.snapshotkit.ProgressEvent;
import io.snapshotkit.ProgressListener;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * A one-line progress bar fed by the library's {@link ProgressEvent}s, redrawn in place
 * ({@code \r}) at most ten times a second and at once on a phase change:
 * {@code capture  scan  [######------]  52%  12.3 MiB / 23.6 MiB  8.1 MiB/s  ETA 1s  data:src/a.c}.
 * With no total known yet (a capture counting its tree, a check) it shows files, bytes, rate and
 * elapsed time. The percentage and ETA come from the event's totals: bytes when known, else files.
 *
 * <p>Drawn only when stdout is a terminal and not in JSON mode ({@link Output#tracking}).
 *
 * <p><b>Thread-safety:</b> thread-safe; events may come from any thread (the engine's executor,
 * gRPC's threads), one at a time.
 */
final class Progress implements ProgressListener, AutoCloseable {
  private static final int WIDTH = 24;
  private static final long REDRAW_MILLIS = 100;
  private static final int PATH_WIDTH = 32;

  private final PrintStream out;
  private final String label;
  private final Clock clock;
  private final long startMillis;
  private ProgressEvent last;
  /** When, and at what fraction, the first event with a known total came: the ETA's base. */
  private long etaBaseMillis = -1;
  private double etaBaseFraction;
  private long lastDraw;
  private boolean drawn;
  private int lastWidth;
  private boolean closed;

  Progress(PrintStream out, String label, Clock clock) {
    this.out = out;
    this.label = label;
    this.clock = clock;
    this.startMillis = clock.millis();
  }

  @Override
  public synchronized void onProgress(ProgressEvent e) {
    if (closed) {
      return;
    }
    long now = clock.millis();
    boolean newPhase = last == null || !last.phase().equals(e.phase());
    OptionalDouble f = e.fraction();
    if (f.isPresent() && etaBaseMillis < 0) {
      etaBaseMillis = now;
      etaBaseFraction = f.getAsDouble();
    }
    last = e;
    if (!drawn || newPhase || e.finished() || now - lastDraw >= REDRAW_MILLIS) {
      drawn = true;
      lastDraw = now;
      draw(now);
    }
  }

  /** Draws the last state and ends the line (if anything was drawn). */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (last != null) {
      draw(clock.millis());
      out.println();
      out.flush();
    }
  }

  private void draw(long now) {
    Duration eta = null;
    OptionalDouble f = last.fraction();
    if (f.isPresent() && etaBaseMillis >= 0 && f.getAsDouble() > etaBaseFraction && f.getAsDouble() < 1) {
      double rate = (f.getAsDouble() - etaBaseFraction) / Math.max(1, now - etaBaseMillis);
      eta = Duration.ofMillis((long) ((1 - f.getAsDouble()) / rate));
    }
    String line = render(label, last, Duration.ofMillis(now - startMillis), eta);
    int pad = Math.max(0, lastWidth - line.length());
    lastWidth = line.length();
    out.print("\r" + line + " ".repeat(pad));
    out.flush();
  }

  /** One frame of the bar, without control characters; {@code eta} null when it cannot be told. */
  static String render(String label, ProgressEvent e, Duration elapsed, Duration eta) {
    StringBuilder sb = new StringBuilder(label).append("  ").append(e.phase()).append("  ");
    OptionalDouble f = e.fraction();
    if (f.isPresent()) {
      double fraction = f.getAsDouble();
      int filled = (int) Math.round(fraction * WIDTH);
      sb.append('[').append("#".repeat(filled)).append("-".repeat(WIDTH - filled)).append("]  ");
      sb.append(String.format(Locale.ROOT, "%3d%%", (int) Math.floor(fraction * 100))).append("  ");
    }
    if (e.bytesTotal().isPresent() && e.bytesTotal().getAsLong() > 0) {
      sb.append(Format.bytes(Math.min(e.bytesDone(), e.bytesTotal().getAsLong()))).append(" / ")
          .append(Format.bytes(e.bytesTotal().getAsLong()));
    } else if (e.filesTotal().isPresent()) {
      sb.append(Math.min(e.filesDone(), e.filesTotal().getAsLong())).append(" / ").append(e.filesTotal().getAsLong())
          .append(" files");
    } else {
      sb.append(e.filesDone()).append(" files  ").append(Format.bytes(e.bytesDone()));
    }
    sb.append("  ").append(Format.rate(e.bytesDone(), elapsed));
    if (eta != null) {
      sb.append("  ETA ").append(Format.duration(eta));
    } else if (f.isEmpty()) {
      sb.append("  ").append(Format.duration(elapsed));
    }
    if (!e.path().isEmpty() && !e.finished()) {
      String p = e.path();
      sb.append("  ").append(p.length() <= PATH_WIDTH ? p : "..." + p.substring(p.length() - PATH_WIDTH + 3));
    }
    return sb.toString();
  }
}
