package io.snapshotkit.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.snapshotkit.ProgressEvent;
import io.snapshotkit.ProgressListener;
import io.snapshotkit.examples.internal.JsonViews;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * Everything the CLI writes goes through here: the only class (with {@link Progress}) that
 * touches the process's standard streams, which {@link Main} hands in.
 *
 * <p>In human mode, results are tables and sentences on stdout. In {@code --json} mode stdout
 * carries exactly one JSON document per command and nothing else, so scripts can parse it;
 * narration is dropped, and progress events go to stderr as one JSON object per line. Errors always
 * go to stderr as one line. Progress bars are drawn only when stdout is a terminal and never in
 * JSON mode.
 *
 * <p><b>Thread-safety:</b> not thread-safe; used by the command's thread (progress updates from
 * other threads are serialised by {@link Progress}).
 */
final class Output {
  private final PrintStream out;
  private final PrintStream err;
  private final boolean json;
  private final boolean terminal;
  private final Clock clock;
  private final String indent;
  private boolean resultWritten;

  Output(PrintStream out, PrintStream err, boolean json, boolean terminal, Clock clock) {
    this(out, err, json, terminal, clock, "");
  }

  private Output(PrintStream out, PrintStream err, boolean json, boolean terminal, Clock clock, String indent) {
    this.out = Objects.requireNonNull(out, "out");
    this.err = Objects.requireNonNull(err, "err");
    this.json = json;
    this.terminal = terminal;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.indent = indent;
  }

  /** The same output with every human line indented by {@code more} (the demo's narration). */
  Output indented(String more) {
    return new Output(out, err, json, terminal, clock, indent + more);
  }

  /** Whether --json was given. */
  boolean json() {
    return json;
  }

  /** The CLI's clock, for relative times. */
  Clock clock() {
    return clock;
  }

  /** Stdout itself, for a command whose output is data (dump), not lines or a JSON result. */
  OutputStream raw() {
    return out;
  }

  /** A human line on stdout; dropped in JSON mode. */
  void line(String text) {
    if (!json) {
      out.println(text.isEmpty() ? "" : indent + text);
    }
  }

  /** A blank human line; dropped in JSON mode. */
  void blank() {
    line("");
  }

  /** A human table on stdout, or {@code empty} when it has no rows; dropped in JSON mode. */
  void table(Table table, String empty) {
    if (json) {
      return;
    }
    if (table.isEmpty()) {
      out.println(indent + empty);
      return;
    }
    table.lines().forEach(l -> out.println(indent + l));
  }

  /**
   * The command's JSON result on stdout; only in JSON mode, and only once per command, so that
   * stdout stays one parsable document (a failure after the result, such as {@code check} finding
   * damage, then shows on stderr and in the exit status only).
   */
  void result(JsonNode node) {
    if (json && !resultWritten) {
      resultWritten = true;
      out.println(JsonViews.pretty(node));
    }
  }

  /** A one-line error on stderr. */
  void error(String text) {
    err.println("snapshotkit: " + text.replace('\n', ' '));
  }

  /** A stack trace on stderr (--verbose). */
  void stackTrace(Throwable t) {
    t.printStackTrace(err);
  }

  /** A warning line on stderr, in both modes. */
  void warn(String text) {
    err.println("warning: " + text);
  }

  /** How long ago {@code then} was, for people. */
  String ago(Instant then) {
    return Format.relative(then, clock.instant());
  }

  /**
   * Runs {@code work} with a progress listener for it: in JSON mode one JSON object per event on
   * stderr ({@link #progressJson}), for scripts; on a terminal a {@link Progress} bar on stdout,
   * closed when the work ends; otherwise {@link ProgressListener#NONE}, so the library does no
   * extra work to report progress nobody sees.
   *
   * @param label the bar's first word (the command)
   */
  <T> T tracking(String label, Function<ProgressListener, T> work) {
    if (json) {
      return work.apply(this::progressJson);
    }
    if (!terminal) {
      return work.apply(ProgressListener.NONE);
    }
    try (Progress bar = new Progress(out, label, clock)) {
      return work.apply(bar);
    }
  }

  /**
   * One progress event as one line of JSON on stderr: {@code operation}, {@code phase},
   * {@code filesDone}, {@code filesTotal} and {@code bytesTotal} (null when unknown),
   * {@code bytesDone}, {@code fraction} (0 to 1; null when no total is known), {@code path},
   * {@code finished}.
   */
  private synchronized void progressJson(ProgressEvent e) {
    ObjectNode n = JsonViews.object();
    n.put("operation", e.operation().name().toLowerCase(Locale.ROOT));
    n.put("phase", e.phase());
    n.put("filesDone", e.filesDone());
    if (e.filesTotal().isPresent()) {
      n.put("filesTotal", e.filesTotal().getAsLong());
    } else {
      n.putNull("filesTotal");
    }
    n.put("bytesDone", e.bytesDone());
    if (e.bytesTotal().isPresent()) {
      n.put("bytesTotal", e.bytesTotal().getAsLong());
    } else {
      n.putNull("bytesTotal");
    }
    if (e.fraction().isPresent()) {
      n.put("fraction", e.fraction().getAsDouble());
    } else {
      n.putNull("fraction");
    }
    n.put("path", e.path());
    n.put("finished", e.finished());
    err.println(n.toString());
    err.flush();
  }
}
