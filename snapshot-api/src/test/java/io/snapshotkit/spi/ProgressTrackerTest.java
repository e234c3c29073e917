package io.snapshotkit.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ProgressEvent;
import io.snapshotkit.ProgressEvent.Operation;
import io.snapshotkit.ProgressListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressTrackerTest {
  private final AtomicLong nanos = new AtomicLong();
  private final List<ProgressEvent> events = new ArrayList<>();

  private ProgressTracker tracker(ProgressListener listener) {
    return new ProgressTracker(Operation.CAPTURE, listener, Duration.ofMillis(100), nanos::get);
  }

  @Test
  void updatesWithinTheIntervalAreHeldBackAndTheNextAfterItGoesOut() {
    ProgressTracker t = tracker(events::add);
    t.advance(1, 10, "v:a"); // the first update goes out at once
    for (int i = 0; i < 1000; i++) {
      nanos.addAndGet(Duration.ofMillis(99).toNanos() / 1000);
      t.advance(1, 10, "v:b" + i);
    }
    assertEquals(1, events.size(), "a thousand updates within 100 ms send nothing more");
    nanos.addAndGet(Duration.ofMillis(2).toNanos());
    t.advance(1, 10, "v:c");
    assertEquals(2, events.size());
    assertEquals(1002, events.get(1).filesDone());
    assertEquals(10020, events.get(1).bytesDone());
    assertEquals("v:c", events.get(1).path());
  }

  @Test
  void aPhaseChangeAndTheLastEventGoOutAtOnce() {
    ProgressTracker t = tracker(events::add);
    t.phase("count");
    t.advance(5, 0, "");
    t.phase("scan");
    t.phase("scan");
    t.finish();
    t.finish();
    t.advance(1, 1, "late");
    assertEquals(List.of("count", "scan", "scan"), events.stream().map(ProgressEvent::phase).toList());
    assertEquals(List.of(false, false, true), events.stream().map(ProgressEvent::finished).toList());
    assertEquals(5, events.get(2).filesDone());
  }

  @Test
  void totalsAreReportedAndTheFractionFollowsBytesThenFiles() {
    ProgressTracker t = tracker(events::add);
    t.totals(4, 1000);
    t.advance(1, 250, "v:x");
    ProgressEvent e = events.get(0);
    assertEquals(4, e.filesTotal().getAsLong());
    assertEquals(1000, e.bytesTotal().getAsLong());
    assertEquals(0.25, e.fraction().getAsDouble(), 1e-9);
    t.totals(4, ProgressEvent.UNKNOWN);
    nanos.addAndGet(Duration.ofSeconds(1).toNanos());
    t.advance(1, 0, "");
    assertEquals(0.5, events.get(1).fraction().getAsDouble(), 1e-9, "by files when the bytes are unknown");
    t.totals(ProgressEvent.UNKNOWN, ProgressEvent.UNKNOWN);
    nanos.addAndGet(Duration.ofSeconds(1).toNanos());
    t.advance(1, 0, "");
    assertTrue(events.get(2).fraction().isEmpty());
    t.finish();
    assertEquals(1.0, events.get(3).fraction().getAsDouble());
  }

  @Test
  void doneCountersNeverDecreaseEvenWhenARelayedEventIsBehind() {
    ProgressTracker t = tracker(events::add);
    assertThrows(IllegalArgumentException.class, () -> t.advance(-1, 0, ""));
    t.relay(ProgressEvent.of(Operation.RESTORE, "stage", 10, 20, 1000, 2000, "v:a", false));
    t.relay(ProgressEvent.of(Operation.RESTORE, "swap", 3, 20, 50, 2000, "", false));
    t.relay(ProgressEvent.of(Operation.RESTORE, "swap", 20, 20, 2000, 2000, "v:z", true));
    t.finish();
    long files = -1;
    long bytes = -1;
    for (ProgressEvent e : events) {
      assertTrue(e.filesDone() >= files && e.bytesDone() >= bytes, "monotonic: " + events);
      assertEquals(Operation.CAPTURE, e.operation(), "relayed events carry the tracker's operation");
      files = e.filesDone();
      bytes = e.bytesDone();
    }
    assertEquals(List.of(false, false, false, true), events.stream().map(ProgressEvent::finished).toList(),
        "a relayed last event is passed on as an ordinary one; only finish() ends the operation");
    assertEquals("v:a", events.get(1).path(), "an empty path keeps the last one");
  }

  @Test
  void aListenerThatThrowsIsDroppedAndTheWorkGoesOn() {
    int[] calls = {0};
    ProgressTracker t = tracker(e -> {
      calls[0]++;
      throw new IllegalStateException("listener bug");
    });
    assertTrue(t.active());
    t.phase("scan");
    t.phase("commit");
    t.advance(1, 1, "v:a");
    t.finish();
    assertEquals(1, calls[0], "called once, then dropped");
    assertFalse(t.active());
    assertEquals(1, t.current().filesDone(), "the counting itself goes on");
  }

  @Test
  void noListenerMeansInactiveAndNothingIsBuilt() {
    ProgressTracker t = ProgressTracker.start(Operation.GC, ProgressListener.NONE);
    assertFalse(t.active());
    t.phase("mark");
    t.advance(1, 1, "x");
    t.finish();
    assertEquals(1, t.current().filesDone());
  }

  @Test
  void badTotalsAndCountersAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> tracker(events::add).totals(-2, 0));
    assertThrows(IllegalArgumentException.class,
        () -> ProgressEvent.of(Operation.GC, "", -1, 0, 0, 0, "", false));
    assertThrows(NullPointerException.class, () -> tracker(events::add).phase(null));
  }
}
