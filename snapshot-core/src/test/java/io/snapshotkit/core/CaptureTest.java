package io.snapshotkit.core;

import static io.snapshotkit.core.Fixture.W;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.EventType;
import io.snapshotkit.ManifestRef;
import io.snapshotkit.Plan;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.Trigger;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.QuiescePolicy;
import io.snapshotkit.spi.WorkloadLease;
import io.snapshotkit.testkit.Fault;
import io.snapshotkit.testkit.FaultyHostAgent.Op;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("Capture")
class CaptureTest {

  @Test
  @DisplayName("a capture quiesces, captures on the workload's host, resumes and stores a READY version 1 with its events")
  void captureStoresReadySnapshot() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot s = f.engine.capture(CaptureSpec.of(W).name("  before upgrade  ").labels(Fixture.labels("team", "core")));

      assertEquals(SnapshotStatus.READY, s.status());
      assertEquals(1, s.version());
      assertEquals("before upgrade", s.name());
      assertEquals(Optional.of("h1"), s.host());
      assertTrue(s.sizeBytes().isPresent() && s.sizeBytes().getAsLong() > 0);
      assertEquals("core", s.labels().get("team"));
      ManifestRef ref = s.manifest().orElseThrow();
      assertFalse(ref.external());
      assertEquals(2, ref.counts().get("users"));
      assertTrue(f.store.manifest(s.id()).isPresent(), "small manifests are stored inline");
      assertEquals(s, f.row(s.id()));
      assertEquals(List.of("quiesce acme/ws-1 PAUSE", "resume acme/ws-1"), f.lifecycle.calls());
      assertEquals(List.of(EventType.CAPTURE_STARTED, EventType.CREATED), f.eventTypes());
      assertEquals(1, f.events(EventType.CREATED).get(0).version());
      f.lifecycle.assertNoViolations();
    }
  }

  @Test
  @DisplayName("versions count 1, 2, 3 per workload and each snapshot's parent is the previous READY one")
  void versionsAndLineage() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot v1 = f.capture();
      Snapshot v2 = f.capture();
      Snapshot v3 = f.engine.capture(CaptureSpec.of(W).quiesce(QuiescePolicy.STOP).fullRescan(true));
      assertEquals(List.of(1, 2, 3), List.of(v1.version(), v2.version(), v3.version()));
      assertEquals(Optional.empty(), v1.parent());
      assertEquals(Optional.of(v1.id()), v2.parent());
      assertEquals(Optional.of(v2.id()), v3.parent());
      assertEquals("Version 3", v3.displayName());
      assertTrue(f.lifecycle.calls().contains("quiesce acme/ws-1 STOP"));
      assertEquals(List.of(v1, v2, v3), f.engine.versions(W));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"a/b", "a\\b", ".hidden", "-flag", "be\u0007ll", "line\nbreak",
      "x2345678901234567890123456789012345678901234567890123456789012345"})
  @DisplayName("unsafe names are rejected with INVALID_ARGUMENT before anything is stored")
  void unsafeNamesRejected(String name) throws Exception {
    try (Fixture f = Fixture.create()) {
      SnapshotException e = assertThrows(SnapshotException.class, () -> f.engine.capture(CaptureSpec.of(W).name(name)));
      assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
      assertEquals(0, f.store.snapshotCount());
    }
  }

  @Test
  @DisplayName("a name of exactly 64 characters after trimming is accepted")
  void longestNameAccepted() throws Exception {
    try (Fixture f = Fixture.create()) {
      String name = "n".repeat(64);
      assertEquals(name, f.engine.capture(CaptureSpec.of(W).name("  " + name + " ")).name());
    }
  }

  @Test
  @DisplayName("a plan with maxSnapshots 0 refuses with QUOTA_EXCEEDED: snapshots are not enabled on this plan")
  void disabledPlan() throws Exception {
    try (Fixture f = Fixture.create(o -> o.plans = t -> new Plan(0, Optional.empty()))) {
      SnapshotException e = assertThrows(SnapshotException.class, f::capture);
      assertEquals(ErrorCode.QUOTA_EXCEEDED, e.code());
      assertTrue(e.getMessage().contains("snapshots are not enabled on this plan"), e.getMessage());
      assertEquals(0, f.store.snapshotCount());
      assertEquals(0, f.lifecycle.quiesceCount());
    }
  }

  @Test
  @DisplayName("a capture refused because the plan disables snapshots appends QUOTA_REJECTED, as reaching the limit does")
  void disabledPlanEmitsQuotaRejected() throws Exception {
    try (Fixture f = Fixture.create(o -> o.plans = t -> new Plan(0, Optional.empty()))) {
      assertThrows(SnapshotException.class, () -> f.engine.capture(CaptureSpec.of(W).trigger(Trigger.SCHEDULE)));
      List<SnapshotEvent> rejected = f.events(EventType.QUOTA_REJECTED);
      assertEquals(1, rejected.size());
      assertEquals(W, rejected.get(0).workload());
      assertEquals(Map.of("used", "0", "max", "0", "trigger", "schedule"), rejected.get(0).metadata());
    }
  }

  @Test
  @DisplayName("the plan limit refuses the capture beyond it with '(used/max)', appends QUOTA_REJECTED, and FAILED snapshots do not count")
  void planLimit() throws Exception {
    try (Fixture f = Fixture.create(o -> o.plans = t -> new Plan(2, Optional.empty()))) {
      f.h1().failNext(Op.CAPTURE, Fault.error("disk full"));
      assertThrows(SnapshotException.class, f::capture);
      f.capture();
      f.capture();
      SnapshotException e = assertThrows(SnapshotException.class, f::capture);
      assertEquals(ErrorCode.QUOTA_EXCEEDED, e.code());
      assertTrue(e.getMessage().contains("snapshot limit reached (2/2); delete an old snapshot or raise the plan limit"),
          e.getMessage());
      assertEquals(1, f.events(EventType.QUOTA_REJECTED).size());
      assertEquals("2", f.events(EventType.QUOTA_REJECTED).get(0).metadata().get("used"));
      assertEquals(3, f.store.snapshotCount(), "one FAILED and two READY; the refused capture stored nothing");
    }
  }

  @Test
  @DisplayName("a byte limit is soft: a capture is admitted below it, the next one is refused with used/limit and QUOTA_REJECTED, and deleting frees room")
  void byteLimitIsSoftAndCheckedAtAdmission() throws Exception {
    try (Fixture f = Fixture.create(o -> o.plans = t -> Plan.UNLIMITED.withMaxBytes(1))) {
      Snapshot first = f.capture();
      long stored = first.sizeBytes().orElseThrow();
      assertTrue(stored > 1, "the fixture's capture stores more than the 1-byte limit: " + stored);

      SnapshotException e = assertThrows(SnapshotException.class, f::capture);
      assertEquals(ErrorCode.QUOTA_EXCEEDED, e.code());
      assertTrue(e.getMessage().contains("stores " + stored + " bytes of its 1-byte limit"), e.getMessage());
      assertTrue(e.getMessage().contains("delete old snapshots or raise the plan's byte limit"), e.getMessage());
      assertEquals(Map.of("usedBytes", Long.toString(stored), "maxBytes", "1", "trigger", "manual"),
          f.events(EventType.QUOTA_REJECTED).get(0).metadata());
      assertEquals(1, f.store.snapshotCount(), "the refused capture stored nothing");
      assertEquals(1, f.lifecycle.quiesceCount(), "only the admitted capture quiesced the workload");

      f.engine.delete(first.tenant(), first.id());
      assertEquals(SnapshotStatus.READY, f.capture().status(), "deleting frees room under the limit");
    }
  }

  @Test
  @DisplayName("a byte limit that is neither -1 nor positive is INVALID_ARGUMENT")
  void badByteLimit() {
    for (long bad : new long[] {0, -2, Long.MIN_VALUE}) {
      SnapshotException e = assertThrows(SnapshotException.class, () -> Plan.UNLIMITED.withMaxBytes(bad));
      assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
      assertTrue(e.getMessage().contains("-1 (unlimited) or a positive number of bytes"), e.getMessage());
    }
    assertEquals(-1, new Plan(3, Optional.empty()).maxBytes(), "the two-argument plan has no byte limit");
  }

  @Test
  @DisplayName("expiresAt is the capture time plus the plan's retention")
  void expiry() throws Exception {
    try (Fixture f = Fixture.create(o -> o.plans = t -> Plan.of(-1, Duration.ofDays(7)))) {
      f.clock.advance(Duration.ofMinutes(5));
      Snapshot s = f.capture();
      assertEquals(Optional.of(f.clock.instant().plus(Duration.ofDays(7))), s.expiresAt());
      assertEquals(f.clock.instant(), s.createdAt());
    }
  }

  @Test
  @DisplayName("a capture whose agent throws still resumes the workload, leaves the snapshot FAILED and rethrows INTERNAL with the cause")
  void agentFailureResumesAndFails() throws Exception {
    try (Fixture f = Fixture.create()) {
      f.h1().failNext(Op.CAPTURE, Fault.error("snapshotter crashed"));
      SnapshotException e = assertThrows(SnapshotException.class, f::capture);
      assertEquals(ErrorCode.INTERNAL, e.code());
      assertInstanceOf(IllegalStateException.class, e.getCause());
      f.lifecycle.assertAllResumed();
      f.lifecycle.assertNoViolations();
      Snapshot failed = f.row(e.snapshotId().orElseThrow());
      assertEquals(SnapshotStatus.FAILED, failed.status());
      assertTrue(failed.failure().orElseThrow().contains("capture on host h1"));
      assertTrue(failed.failure().orElseThrow().contains("snapshotter crashed"), "the agent's own message is kept");
      assertEquals(List.of(EventType.CAPTURE_STARTED, EventType.FAILED), f.eventTypes());
      String reason = f.events(EventType.FAILED).get(0).metadata().get("reason");
      assertTrue(reason.contains("capture on host h1") && reason.contains("snapshotter crashed"),
          "the snapshot.failed event tells its consumers what the agent said: " + reason);
      assertTrue(f.engine.versions(W).isEmpty(), "a failed capture consumes no version");
      assertEquals(1, f.capture().version());
    }
  }

  @Test
  @DisplayName("a host error keeps its code and its message: an offline host is HOST_UNAVAILABLE, and the FAILED event says so once")
  void hostUnavailableKeepsCode() throws Exception {
    try (Fixture f = Fixture.create()) {
      f.h1().failNext(Op.CAPTURE, Fault.offline());
      SnapshotException e = assertThrows(SnapshotException.class, f::capture);
      assertEquals(ErrorCode.HOST_UNAVAILABLE, e.code());
      f.lifecycle.assertAllResumed();
      assertEquals(e.getMessage(), f.events(EventType.FAILED).get(0).metadata().get("reason"),
          "the agent's own SnapshotException is the reason, unchanged");
      assertEquals(Optional.of(e.getMessage()), f.row(e.snapshotId().orElseThrow()).failure());
    }
  }

  @Test
  @DisplayName("a caller interrupted during the capture still resumes the workload and keeps its interrupt flag")
  void interruptedCallerStillResumes() throws Exception {
    try (Fixture f = Fixture.create()) {
      CountDownLatch arrived = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      f.h1().gate(Op.CAPTURE, arrived, release);
      AtomicReference<Throwable> thrown = new AtomicReference<>();
      AtomicBoolean flagAfter = new AtomicBoolean();
      Thread caller = new Thread(() -> {
        try {
          f.capture();
        } catch (Throwable t) {
          thrown.set(t);
        }
        flagAfter.set(Thread.currentThread().isInterrupted());
      });
      caller.start();
      assertTrue(arrived.await(10, TimeUnit.SECONDS));
      caller.interrupt();
      caller.join(10_000);
      assertFalse(caller.isAlive());
      assertInstanceOf(SnapshotException.class, thrown.get());
      assertTrue(flagAfter.get(), "the interrupt is not swallowed");
      f.lifecycle.assertAllResumed();
      f.lifecycle.assertNoViolations();
      assertEquals(SnapshotStatus.FAILED, f.row(((SnapshotException) thrown.get()).snapshotId().orElseThrow()).status());
    }
  }

  @Test
  @DisplayName("if resuming fails after the capture, the capture fails and the host's copy is discarded")
  void resumeFailureFailsCapture() throws Exception {
    try (Fixture f = Fixture.create()) {
      f.lifecycle.failNextResume(new IllegalStateException("container would not start"));
      SnapshotException e = assertThrows(SnapshotException.class, f::capture);
      assertEquals(SnapshotStatus.FAILED, f.row(e.snapshotId().orElseThrow()).status());
      assertFalse(f.h1().hasSnapshot(e.snapshotId().orElseThrow()));
    }
  }

  @Test
  @DisplayName("if quiescing fails, nothing is captured, resume is not called and the snapshot is FAILED")
  void quiesceFailure() throws Exception {
    try (Fixture f = Fixture.create()) {
      f.lifecycle.failNextQuiesce(new IllegalStateException("pause refused"));
      SnapshotException e = assertThrows(SnapshotException.class, f::capture);
      assertEquals(0, f.lifecycle.resumeCount());
      assertTrue(f.h1().calls(Op.CAPTURE).isEmpty());
      assertEquals(SnapshotStatus.FAILED, f.row(e.snapshotId().orElseThrow()).status());
    }
  }

  @Test
  @DisplayName("a workload no host runs is NOT_FOUND and its snapshot FAILED")
  void unknownWorkload() throws Exception {
    try (Fixture f = Fixture.create()) {
      WorkloadRef nowhere = WorkloadRef.of(Fixture.ACME, "nowhere");
      SnapshotException e = assertThrows(SnapshotException.class, () -> f.engine.capture(CaptureSpec.of(nowhere)));
      assertEquals(ErrorCode.NOT_FOUND, e.code());
      assertEquals(SnapshotStatus.FAILED, f.row(e.snapshotId().orElseThrow()).status());
    }
  }

  @Test
  @DisplayName("a manifest above the inline limit goes to the blob store under manifests/<id>.json with a summary")
  void largeManifestGoesToBlob() throws Exception {
    try (Fixture f = Fixture.create(o -> o.inlineLimit = 64)) {
      Snapshot s = f.capture();
      ManifestRef ref = s.manifest().orElseThrow();
      assertTrue(ref.external());
      assertEquals(Optional.of("manifests/" + s.id() + ".json"), ref.blobKey());
      assertEquals(2, ref.counts().get("users"));
      assertTrue(ref.bytes() > 64);
      assertTrue(f.blobs.keys().contains("manifests/" + s.id() + ".json"));
      assertTrue(f.store.manifest(s.id()).isEmpty());
    }
  }

  @Test
  @DisplayName("if the blob write fails the manifest is kept inline instead")
  void blobFailureFallsBackInline() throws Exception {
    try (Fixture f = Fixture.create(o -> o.inlineLimit = 64)) {
      f.blobs.failPuts(true);
      Snapshot s = f.capture();
      assertFalse(s.manifest().orElseThrow().external());
      assertTrue(f.store.manifest(s.id()).isPresent());
    }
  }

  @Test
  @DisplayName("startCapture returns the CAPTURING row at once and its future completes READY")
  void asyncCapture() throws Exception {
    try (Fixture f = Fixture.create()) {
      CountDownLatch arrived = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      f.h1().gate(Op.CAPTURE, arrived, release);
      PendingCapture pending = f.engine.startCapture(CaptureSpec.of(W).trigger(Trigger.SCHEDULE));
      assertEquals(SnapshotStatus.CAPTURING, pending.snapshot().status());
      assertTrue(arrived.await(10, TimeUnit.SECONDS));
      assertEquals(SnapshotStatus.CAPTURING, f.row(pending.snapshot().id()).status());
      assertFalse(pending.result().isDone());
      release.countDown();
      Snapshot ready = pending.result().get(10, TimeUnit.SECONDS);
      assertEquals(SnapshotStatus.READY, ready.status());
      assertEquals(pending.snapshot().id(), ready.id());
      assertEquals(Trigger.SCHEDULE, ready.trigger());
    }
  }

  @Test
  @DisplayName("an async capture that fails completes its future exceptionally and leaves the snapshot FAILED")
  void asyncCaptureFailure() throws Exception {
    try (Fixture f = Fixture.create()) {
      f.h1().failNext(Op.CAPTURE, Fault.corrupt());
      PendingCapture pending = f.engine.startCapture(CaptureSpec.of(W));
      ExecutionException e = assertThrows(ExecutionException.class, () -> pending.result().get(10, TimeUnit.SECONDS));
      assertEquals(ErrorCode.CORRUPT, ((SnapshotException) e.getCause()).code());
      assertEquals(SnapshotStatus.FAILED, f.row(pending.snapshot().id()).status());
      f.lifecycle.assertAllResumed();
    }
  }

  @Test
  @DisplayName("a workload lock that is not free in time fails the capture with CONFLICT and leaves it FAILED")
  void lockTimeout() throws Exception {
    try (Fixture f = Fixture.create(o -> o.lockTimeout = Duration.ofMillis(50))) {
      try (WorkloadLease held = f.engine.settings().workloadLock().acquire(W, Duration.ofSeconds(1))) {
        SnapshotException e = assertThrows(SnapshotException.class, f::capture);
        assertEquals(ErrorCode.CONFLICT, e.code());
        assertEquals(SnapshotStatus.FAILED, f.row(e.snapshotId().orElseThrow()).status());
        assertEquals(0, f.lifecycle.quiesceCount());
        assertTrue(held.isHeld());
      }
    }
  }

  @Test
  @DisplayName("a capture that finishes after the reaper failed it cannot move it back: CONFLICT, still FAILED, no version used")
  void lateReportNeverMovesBackwards() throws Exception {
    try (Fixture f = Fixture.create(o -> o.stuckAfter = Duration.ofMinutes(10))) {
      CountDownLatch arrived = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      f.h1().gate(Op.CAPTURE, arrived, release);
      PendingCapture pending = f.engine.startCapture(CaptureSpec.of(W));
      assertTrue(arrived.await(10, TimeUnit.SECONDS));
      f.clock.advance(Duration.ofMinutes(11));
      assertEquals(1, f.engine.reapStuckCaptures());
      release.countDown();
      ExecutionException e = assertThrows(ExecutionException.class, () -> pending.result().get(10, TimeUnit.SECONDS));
      assertEquals(ErrorCode.CONFLICT, ((SnapshotException) e.getCause()).code());
      assertEquals(SnapshotStatus.FAILED, f.row(pending.snapshot().id()).status());
      assertFalse(f.h1().hasSnapshot(pending.snapshot().id()), "the late capture's data is discarded");
      assertEquals(1, f.events(EventType.FAILED).size(), "only the reaper reported FAILED");
      f.h1().clearFaults();
      assertEquals(1, f.capture().version());
    }
  }

  @Test
  @DisplayName("a closed engine refuses new operations with CONFLICT")
  void closedEngine() throws Exception {
    try (Fixture f = Fixture.create()) {
      f.engine.close();
      SnapshotException e = assertThrows(SnapshotException.class, f::capture);
      assertSame(ErrorCode.CONFLICT, e.code());
    }
  }
}
