package io.snapshotkit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.spi.HostStatus;
import io.snapshotkit.testkit.Fault;
import io.snapshotkit.testkit.FaultyHostAgent.Op;
import io.snapshotkit.testkit.RecordingEventHook;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("EngineObserver: what the engine reports for metrics")
class EngineObserverTest {

  /** Records every observation as a line, in order. */
  static class Recording implements EngineObserver {
    final List<String> lines = Collections.synchronizedList(new ArrayList<>());
    final List<Duration> lags = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void operationFinished(EngineOperation operation, Duration took, Optional<ErrorCode> failure) {
      assertTrue(!took.isNegative(), "a duration is never negative");
      lines.add(operation.tag() + ":" + failure.map(ErrorCode::name).orElse("ok"));
    }

    @Override
    public void hostDeleteFailed(String hostId) {
      lines.add("host-delete-failed:" + hostId);
    }

    @Override
    public void eventDelivered(String hook, Duration lag) {
      lines.add("delivered:" + hook);
      lags.add(lag);
    }

    @Override
    public void eventFailed(String hook, boolean parked) {
      lines.add("failed:" + hook + (parked ? ":parked" : ""));
    }
  }

  @Test
  @DisplayName("each operation reports its outcome: ok, or the error code it failed with")
  void operationsReportOutcome() throws Exception {
    Recording seen = new Recording();
    try (Fixture f = Fixture.create(o -> o.observer = seen)) {
      Snapshot s = f.capture();
      f.h1().failNext(Op.CAPTURE, Fault.error("disk full"));
      assertThrows(SnapshotException.class, f::capture);
      f.engine.diffCurrent(Fixture.ACME, s.id());
      f.engine.rollback(Fixture.W, 1, false);
      assertEquals(ErrorCode.NOT_FOUND, assertThrows(SnapshotException.class,
          () -> f.engine.restore(Fixture.GLOBEX, s.id(), io.snapshotkit.core.RestoreSpec.additive())).code());
      f.engine.startCapture(io.snapshotkit.core.CaptureSpec.of(Fixture.W)).result().get();
      f.engine.sweepExpired();
      f.engine.reapStuckCaptures();
      f.engine.delete(Fixture.ACME, s.id());
      assertEquals(List.of("capture:ok", "capture:INTERNAL", "diff:ok", "rollback:ok", "restore:NOT_FOUND",
          "capture:ok", "sweep:ok", "reap:ok", "delete:ok"), seen.lines);
    }
  }

  @Test
  @DisplayName("an asynchronous capture is reported before its future completes, so whoever waited for it "
      + "sees it counted")
  void asynchronousCaptureReportedBeforeItsResult() throws Exception {
    Recording slow = new Recording() {
      @Override
      public void operationFinished(EngineOperation operation, Duration took, Optional<ErrorCode> failure) {
        try {
          Thread.sleep(100); // a metrics backend taking its time
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        super.operationFinished(operation, took, failure);
      }
    };
    try (Fixture f = Fixture.create(o -> o.observer = slow)) {
      f.engine.startCapture(io.snapshotkit.core.CaptureSpec.of(Fixture.W)).result().get();
      assertEquals(List.of("capture:ok"), List.copyOf(slow.lines));
      f.h1().failNext(Op.CAPTURE, Fault.error("disk full"));
      assertThrows(java.util.concurrent.ExecutionException.class,
          () -> f.engine.startCapture(io.snapshotkit.core.CaptureSpec.of(Fixture.W)).result().get());
      assertEquals(List.of("capture:ok", "capture:INTERNAL"), List.copyOf(slow.lines));
    }
  }

  @Test
  @DisplayName("a strict delete names each host that did not confirm, and reports the delete as CONFLICT")
  void hostDeleteFailuresReported() throws Exception {
    Recording seen = new Recording();
    try (Fixture f = Fixture.create(o -> {
      o.hosts = 2;
      o.observer = seen;
    })) {
      Snapshot s = f.capture();
      f.directory.setStatus("h2", HostStatus.DRAINING);
      assertThrows(SnapshotException.class, () -> f.engine.delete(Fixture.ACME, s.id()));
      f.directory.setStatus("h2", HostStatus.ONLINE);
      f.directory.agentFor("h2").failNext(Op.DELETE, Fault.offline());
      assertThrows(SnapshotException.class, () -> f.engine.delete(Fixture.ACME, s.id()));
      assertEquals(List.of("capture:ok", "host-delete-failed:h2", "delete:CONFLICT", "host-delete-failed:h2",
          "delete:CONFLICT"), seen.lines);
    }
  }

  @Test
  @DisplayName("event deliveries report the hook and the lag since the event; failures say whether the event was parked")
  void eventsReported() throws Exception {
    Recording seen = new Recording();
    RecordingEventHook audit = new RecordingEventHook();
    RecordingEventHook billing = new RecordingEventHook();
    billing.failAlways(true);
    try (Fixture f = Fixture.create(o -> {
      o.observer = seen;
      o.hooks.put("audit", audit);
      o.hooks.put("billing", billing);
      o.dispatch = DispatcherSettings.defaults().withoutJitter().withMaxAttempts(1);
    })) {
      f.capture();
      f.clock.advance(Duration.ofSeconds(5));
      f.drainEvents();
      assertTrue(seen.lines.contains("delivered:audit"), seen.lines.toString());
      assertTrue(seen.lines.contains("failed:billing:parked"), seen.lines.toString());
      assertEquals(Duration.ofSeconds(5), seen.lags.get(0), "the clock moved 5 s between the event and its delivery");
    }
  }

  @Test
  @DisplayName("a scheduled capture and its retention are timed like the facade's")
  void scheduledCaptureObserved() throws Exception {
    Recording seen = new Recording();
    try (Fixture f = Fixture.create(o -> o.observer = seen)) {
      f.engine.schedules().set(io.snapshotkit.Schedule.every(Fixture.W, Duration.ofMinutes(10))
          .retention(io.snapshotkit.RetentionPolicy.keepLast(1)));
      f.clock.advance(Duration.ofMinutes(25));
      f.engine.schedules().runDue();
      assertEquals(List.of("capture:ok", "retention:ok"), seen.lines);
    }
  }

  @Test
  @DisplayName("an observer that throws never changes an operation's result")
  void throwingObserverIgnored() throws Exception {
    EngineObserver broken = new EngineObserver() {
      @Override
      public void operationFinished(EngineOperation operation, Duration took, Optional<ErrorCode> failure) {
        throw new IllegalStateException("metrics backend down");
      }
    };
    try (Fixture f = Fixture.create(o -> o.observer = broken)) {
      assertEquals(SnapshotStatus.READY, f.capture().status());
      assertEquals(SnapshotStatus.READY, f.capture().status());
    }
  }
}
