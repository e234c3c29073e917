package io.snapshotkit.examples.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Progress for an operation that reports none itself (capture, restore, gc, check run inside the
 * engine and the directory agent): a ticker thread samples how many bytes this process has read or
 * written so far — Linux's {@code /proc/self/io} counters, which count every byte the JVM moves
 * through read/write calls — and feeds the delta into a {@link Progress} bar. With a known total
 * (a replace restore writes the snapshot's bytes) the bar shows percentage and ETA; otherwise
 * bytes and rate. Where {@code /proc/self/io} does not exist, the bar shows elapsed time only.
 *
 * <p>Only used when stdout is a terminal; {@link Output#activity} hands out a silent one otherwise.
 *
 * <p><b>Thread-safety:</b> thread-safe; start and close on the command's thread.
 */
final class Activity implements AutoCloseable {
  /** Which of the process's I/O counters measures the operation. */
  enum Counter {
    /** Bytes read: capture (hashing files), check (verifying content). */
    READ("rchar"),
    /** Bytes written: restore (writing files). */
    WRITTEN("wchar"),
    /** Both: gc (reading indexes, rewriting packs). */
    BOTH(null);

    private final String key;

    Counter(String key) {
      this.key = key;
    }

    /** The counter's current value, if the platform has {@code /proc/self/io}. */
    OptionalLong now() {
      String text;
      try {
        text = Files.readString(PROC_IO, StandardCharsets.US_ASCII);
      } catch (IOException | UnsupportedOperationException e) {
        return OptionalLong.empty();
      }
      return key == null ? sum(value(text, "rchar"), value(text, "wchar")) : value(text, key);
    }

    private static OptionalLong sum(OptionalLong a, OptionalLong b) {
      return a.isPresent() && b.isPresent() ? OptionalLong.of(a.getAsLong() + b.getAsLong()) : OptionalLong.empty();
    }

    static OptionalLong value(String procIo, String key) {
      for (String line : procIo.split("\n")) {
        if (line.startsWith(key + ":")) {
          try {
            return OptionalLong.of(Long.parseLong(line.substring(key.length() + 1).trim()));
          } catch (NumberFormatException e) {
            return OptionalLong.empty();
          }
        }
      }
      return OptionalLong.empty();
    }
  }

  private static final Path PROC_IO = Path.of("/proc/self/io");
  private static final long TICK_MILLIS = 200;
  private static final Activity NONE = new Activity(null, null);

  private final Progress progress;
  private final ScheduledExecutorService ticker;

  private Activity(Progress progress, ScheduledExecutorService ticker) {
    this.progress = progress;
    this.ticker = ticker;
  }

  /** An activity that draws nothing. */
  static Activity none() {
    return NONE;
  }

  /** Starts sampling {@code counter} into {@code progress} until closed. */
  static Activity start(Progress progress, Counter counter) {
    OptionalLong base = counter.now();
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "snapshotkit-progress");
      t.setDaemon(true);
      return t;
    });
    ticker.scheduleAtFixedRate(() -> {
      OptionalLong now = counter.now();
      progress.update(base.isPresent() && now.isPresent() ? Math.max(0, now.getAsLong() - base.getAsLong()) : 0);
    }, 0, TICK_MILLIS, TimeUnit.MILLISECONDS);
    return new Activity(progress, ticker);
  }

  /** Stops sampling and finishes the bar's line. */
  @Override
  public void close() {
    if (ticker == null) {
      return;
    }
    ticker.shutdownNow();
    try {
      ticker.awaitTermination(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    progress.close();
  }
}
