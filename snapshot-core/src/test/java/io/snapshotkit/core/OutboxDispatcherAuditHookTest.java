package io.snapshotkit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.EventType;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The audit line written by {@link Slf4jAuditHook}. */
class OutboxDispatcherAuditHookTest {
  private static final Instant AT = Instant.parse("2026-01-01T00:00:00Z");
  private static final SnapshotId ID = SnapshotId.parse("01KB00000000000000000000AB");

  @Test
  @DisplayName("one key=value line with the event's fields, in a stable order")
  void structuredLine() {
    SnapshotEvent e = new SnapshotEvent("evt-1", EventType.CREATED, WorkloadRef.of("acme", "ws-1"), Optional.of(ID),
        3, AT, Map.of("trigger", "manual", "hosts", "h1 h2"));
    assertEquals("event=snapshot.created id=evt-1 tenant=acme workload=ws-1 snapshot=01KB00000000000000000000AB "
        + "version=3 at=2026-01-01T00:00:00Z meta.hosts=\"h1 h2\" meta.trigger=manual", Slf4jAuditHook.line(e));
  }

  @Test
  @DisplayName("hostile metadata cannot break the line or forge fields, and long values are cut")
  void hostileMetadataStaysOnOneLine() {
    SnapshotEvent e = new SnapshotEvent("evt-2", EventType.FAILED, WorkloadRef.of("acme", "ws-1"), Optional.empty(),
        0, AT, Map.of("reason", "boom\nevent=snapshot.deleted \"x\"", "big", "y".repeat(1000)));
    String line = Slf4jAuditHook.line(e);
    assertFalse(line.contains("\n"), line);
    assertTrue(line.contains("snapshot=- "), line);
    assertTrue(line.contains("meta.reason=\"boom event=snapshot.deleted \\\"x\\\"\""), line);
    assertTrue(line.contains("meta.big=" + "y".repeat(Slf4jAuditHook.MAX_VALUE_LENGTH - 3) + "... "), line);
    new Slf4jAuditHook().onEvent(e);
  }
}
