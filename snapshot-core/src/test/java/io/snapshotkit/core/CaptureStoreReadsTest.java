package io.snapshotkit.core;

import static io.snapshotkit.core.Fixture.ACME;
import static io.snapshotkit.core.Fixture.W;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.clearInvocations;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.spi.ManifestStore;
import io.snapshotkit.spi.StoreWork;
import io.snapshotkit.testkit.Fault;
import io.snapshotkit.testkit.FaultyHostAgent.Op;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.mockito.AdditionalAnswers;

/**
 * What a capture reads from the store, and that the usage gauge, which captures no longer re-sum,
 * stays exactly the store's sum. The engine is given a Mockito mock of {@link ManifestStore} that
 * delegates every call to the fixture's in-memory store, so calls can be counted.
 */
@DisplayName("Capture: store reads and the usage gauge")
class CaptureStoreReadsTest {

  private static final AtomicReference<ManifestStore> SEEN = new AtomicReference<>();

  /** A fixture whose engine talks to a delegating mock; the mock is left in {@link #SEEN}. */
  private static Fixture recorded() {
    return Fixture.create(o -> o.engineStore = real -> {
      ManifestStore recording = mock(ManifestStore.class, AdditionalAnswers.delegatesTo(real));
      SEEN.set(recording);
      return recording;
    });
  }

  @Test
  @DisplayName("a capture lists the workload's versions once (to find its parent) and sums no usage")
  void oneVersionListingNoUsageScan() throws Exception {
    try (Fixture f = recorded()) {
      ManifestStore store = SEEN.get();
      Snapshot v1 = f.capture();
      verify(store, times(1)).versions(W);
      verify(store, never()).usageBytes(any());

      clearInvocations(store);
      Snapshot v2 = f.capture();
      verify(store, times(1)).versions(W);
      verify(store, never()).usageBytes(any());
      assertEquals(Optional.of(v1.id()), v2.parent());
      assertEquals(v2, f.row(v2.id()), "the READY row records the parent the capture used");
    }
  }

  @Test
  @DisplayName("a capture admitted while another of the workload runs takes the finished one as its parent")
  void parentIsChosenUnderTheLock() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot v1 = f.capture();
      CountDownLatch arrived = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      f.h1().gate(Op.CAPTURE, arrived, release);
      PendingCapture first = f.engine.startCapture(CaptureSpec.of(W));
      assertTrue(arrived.await(10, TimeUnit.SECONDS), "the first capture reached the host");
      PendingCapture second = f.engine.startCapture(CaptureSpec.of(W));
      release.countDown();

      Snapshot v2 = first.result().get(10, TimeUnit.SECONDS);
      Snapshot v3 = second.result().get(10, TimeUnit.SECONDS);
      assertEquals(Optional.of(v1.id()), v2.parent());
      assertEquals(Optional.of(v2.id()), v3.parent(),
          "admitted while v2 was capturing, but captured after it: v2 is its parent, not v1");
      assertEquals(3, v3.version());
      assertEquals(Optional.empty(), second.snapshot().parent(), "the CAPTURING row has no parent: it is chosen later");
    }
  }

  @Test
  @DisplayName("usage equals the store's sum after captures, a failed capture, a refused and a completed delete")
  void usageExactAfterWrites() throws Exception {
    try (Fixture f = recorded()) {
      ManifestStore store = SEEN.get();
      assertEquals(0, f.engine.usageBytes(ACME));
      Snapshot a = f.capture();
      assertEquals(f.store.usageBytes(ACME), f.engine.usageBytes(ACME));
      assertEquals(a.sizeBytes().getAsLong(), f.engine.usageBytes(ACME));

      clearInvocations(store);
      assertEquals(a.sizeBytes().getAsLong(), f.engine.usageBytes(ACME));
      verify(store, never()).usageBytes(any());

      Snapshot b = f.capture();
      f.h1().failNext(Op.CAPTURE, Fault.error("disk full"));
      assertThrows(SnapshotException.class, f::capture);
      long both = a.sizeBytes().getAsLong() + b.sizeBytes().getAsLong();
      assertEquals(both, f.engine.usageBytes(ACME), "a FAILED snapshot adds nothing");

      f.h1().failNext(Op.DELETE, Fault.offline());
      assertThrows(SnapshotException.class, () -> f.engine.delete(ACME, a.id()));
      assertEquals(both, f.engine.usageBytes(ACME), "a refused delete keeps the snapshot and its bytes");

      f.engine.delete(ACME, a.id());
      assertEquals(b.sizeBytes().getAsLong(), f.engine.usageBytes(ACME));
      assertEquals(f.store.usageBytes(ACME), f.engine.usageBytes(ACME));
    }
  }

  @Test
  @DisplayName("a capture whose READY commit went through but reported a failure leaves usage exact, not cached stale")
  void usageExactAfterALostCommitAcknowledgement() throws Exception {
    AtomicBoolean loseNextReadyAck = new AtomicBoolean();
    try (Fixture f = Fixture.create(o -> o.engineStore = real -> {
      ManifestStore lossy = mock(ManifestStore.class, AdditionalAnswers.delegatesTo(real));
      doAnswer(call -> {
        StoreWork<?> work = call.getArgument(0);
        Object result = real.inTransaction(work);
        if (result instanceof Snapshot s && s.status() == SnapshotStatus.READY && loseNextReadyAck.getAndSet(false)) {
          throw new IllegalStateException("connection reset after commit");
        }
        return result;
      }).when(lossy).inTransaction(any());
      return lossy;
    })) {
      Snapshot a = f.capture();
      assertEquals(a.sizeBytes().getAsLong(), f.engine.usageBytes(ACME), "cached before the lost acknowledgement");

      loseNextReadyAck.set(true);
      SnapshotException e = assertThrows(SnapshotException.class, f::capture);
      assertEquals(ErrorCode.INTERNAL, e.code());
      Snapshot committed = f.row(e.snapshotId().orElseThrow());
      assertEquals(SnapshotStatus.READY, committed.status(), "the commit did go through");
      assertEquals(a.sizeBytes().getAsLong() + committed.sizeBytes().getAsLong(), f.engine.usageBytes(ACME));
      assertEquals(f.store.usageBytes(ACME), f.engine.usageBytes(ACME));
    }
  }
}
