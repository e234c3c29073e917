package io.snapshotkit.core;

import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.spi.EventHook;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link EventHook} that writes one structured INFO line per event to the logger
 * {@value #LOGGER_NAME}, in {@code key=value} form:
 *
 * <pre>
 * event=snapshot.created id=01J… tenant=acme workload=ws-1 snapshot=01J… version=3 at=2026-01-01T00:00:00Z meta.trigger=manual
 * </pre>
 *
 * <p>It logs only the event's own fields and its small metadata map; it never reads or echoes
 * manifest contents. Metadata values are quoted when they contain spaces, stripped of line
 * breaks and cut to {@value #MAX_VALUE_LENGTH} characters, so one event is always one line.
 * Route the logger to a separate appender to keep an audit trail.
 *
 * <p><b>Idempotency:</b> delivery is at-least-once, so a redelivered event is logged again with the
 * same {@code id}; de-duplicate on it downstream.
 *
 * <p><b>Thread-safety:</b> thread-safe and stateless.
 */
public final class Slf4jAuditHook implements EventHook {
  /** The name of the logger audit lines are written to. */
  public static final String LOGGER_NAME = "io.snapshotkit.audit";

  /** The longest metadata value written, in characters; longer ones are cut and end in "...". */
  public static final int MAX_VALUE_LENGTH = 256;

  private final Logger logger;

  /** Creates a hook writing to the {@value #LOGGER_NAME} logger. */
  public Slf4jAuditHook() {
    this(LoggerFactory.getLogger(LOGGER_NAME));
  }

  /** Creates a hook writing to {@code logger}. */
  Slf4jAuditHook(Logger logger) {
    this.logger = Objects.requireNonNull(logger, "logger");
  }

  /** Writes the event's audit line at INFO. */
  @Override
  public void onEvent(SnapshotEvent event) {
    Objects.requireNonNull(event, "event");
    if (logger.isInfoEnabled()) {
      logger.info(line(event));
    }
  }

  /** The audit line for {@code event}, without a trailing newline. */
  static String line(SnapshotEvent event) {
    StringBuilder out = new StringBuilder(160);
    out.append("event=").append(event.type().wireName());
    append(out, "id", event.id());
    append(out, "tenant", event.tenant().value());
    append(out, "workload", event.workload().id());
    append(out, "snapshot", event.snapshotId().map(Object::toString).orElse("-"));
    append(out, "version", Integer.toString(event.version()));
    append(out, "at", event.at().toString());
    for (Map.Entry<String, String> e : event.metadata().entrySet()) {
      append(out, "meta." + clean(e.getKey()).replace(' ', '_').replace('=', '_'), e.getValue());
    }
    return out.toString();
  }

  private static void append(StringBuilder out, String key, String value) {
    String v = clean(value == null ? "" : value);
    if (v.length() > MAX_VALUE_LENGTH) {
      v = v.substring(0, MAX_VALUE_LENGTH - 3) + "...";
    }
    out.append(' ').append(key).append('=');
    if (v.isEmpty() || v.indexOf(' ') >= 0 || v.indexOf('"') >= 0 || v.indexOf('=') >= 0) {
      out.append('"').append(v.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
    } else {
      out.append(v);
    }
  }

  private static String clean(String text) {
    StringBuilder b = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      b.append(Character.isISOControl(c) ? ' ' : c);
    }
    return b.toString();
  }
}
