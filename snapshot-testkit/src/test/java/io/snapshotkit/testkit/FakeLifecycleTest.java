package io.snapshotkit.testkit;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.QuiescePolicy;
import io.snapshotkit.spi.Quiesced;
import io.snapshotkit.spi.WorkloadLease;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class FakeLifecycleTest {
  private static final WorkloadRef W1 = WorkloadRef.of("acme", "w1");
  private static final WorkloadRef W2 = WorkloadRef.of("acme", "w2");

  /** A minimal lease: held until closed. */
  private static final class TestLease implements WorkloadLease {
    private final WorkloadRef workload;
    private volatile boolean held = true;

    TestLease(WorkloadRef workload) {
      this.workload = workload;
    }

    @Override
    public WorkloadRef workload() {
      return workload;
    }

    @Override
    public boolean isHeld() {
      return held;
    }

    @Override
    public void close() {
      held = false;
    }
  }

  private final FakeLifecycle lifecycle = new FakeLifecycle();

  @Test
  @DisplayName("a correct quiesce/resume cycle is recorded and passes both assertions")
  void correctCycle() {
    lifecycle.runningReference(W1, "image:v7");
    TestLease lease = new TestLease(W1);
    Quiesced q = lifecycle.quiesce(lease, QuiescePolicy.STOP);
    assertEquals(new Quiesced(W1, QuiescePolicy.STOP, Optional.of("image:v7")), q);
    lifecycle.resume(lease, q);
    assertEquals(List.of("quiesce acme/w1 STOP", "resume acme/w1"), lifecycle.calls());
    assertEquals(1, lifecycle.quiesceCount());
    assertEquals(1, lifecycle.resumeCount());
    assertDoesNotThrow(lifecycle::assertNoViolations);
    assertDoesNotThrow(lifecycle::assertAllResumed);
  }

  @Test
  @DisplayName("quiesce with a lease that is not held is a violation, recorded and thrown")
  void quiesceWithoutLease() {
    TestLease lease = new TestLease(W1);
    lease.close();
    AssertionError e = assertThrows(AssertionError.class, () -> lifecycle.quiesce(lease, QuiescePolicy.PAUSE));
    assertTrue(e.getMessage().contains("not held"));
    assertEquals(1, lifecycle.violations().size());
    assertThrows(AssertionError.class, lifecycle::assertNoViolations);
  }

  @Test
  @DisplayName("resume with a released lease is a violation")
  void resumeAfterRelease() {
    TestLease lease = new TestLease(W1);
    Quiesced q = lifecycle.quiesce(lease, QuiescePolicy.PAUSE);
    lease.close();
    assertThrows(AssertionError.class, () -> lifecycle.resume(lease, q));
    assertTrue(lifecycle.violations().get(0).contains("resume acme/w1 with a lease that is not held"));
  }

  @Test
  @DisplayName("resume without a prior quiesce is a violation, and so is resuming twice")
  void resumeWithoutQuiesce() {
    TestLease lease = new TestLease(W1);
    Quiesced never = new Quiesced(W1, QuiescePolicy.PAUSE, Optional.empty());
    assertThrows(AssertionError.class, () -> lifecycle.resume(lease, never));
    Quiesced q = lifecycle.quiesce(lease, QuiescePolicy.PAUSE);
    lifecycle.resume(lease, q);
    assertThrows(AssertionError.class, () -> lifecycle.resume(lease, q));
    assertEquals(2, lifecycle.violations().size());
  }

  @Test
  @DisplayName("quiescing twice without a resume is a violation, and the unresumed workload fails assertAllResumed")
  void quiesceTwice() {
    TestLease lease = new TestLease(W1);
    lifecycle.quiesce(lease, QuiescePolicy.PAUSE);
    assertThrows(AssertionError.class, () -> lifecycle.quiesce(lease, QuiescePolicy.PAUSE));
    AssertionError e = assertThrows(AssertionError.class, lifecycle::assertAllResumed);
    assertTrue(e.getMessage().contains("acme/w1"));
    assertEquals(List.of(W1), lifecycle.quiescedNow());
  }

  @Test
  @DisplayName("resuming with another workload's lease is a violation")
  void resumeWrongWorkload() {
    Quiesced q = lifecycle.quiesce(new TestLease(W1), QuiescePolicy.PAUSE);
    assertThrows(AssertionError.class, () -> lifecycle.resume(new TestLease(W2), q));
  }

  @Test
  @DisplayName("a scripted quiesce failure is thrown once and leaves the workload not quiesced")
  void failNextQuiesce() {
    IllegalStateException boom = new IllegalStateException("cannot pause");
    lifecycle.failNextQuiesce(boom);
    TestLease lease = new TestLease(W1);
    assertSame(boom, assertThrows(IllegalStateException.class, () -> lifecycle.quiesce(lease, QuiescePolicy.PAUSE)));
    assertDoesNotThrow(lifecycle::assertAllResumed);
    Quiesced q = lifecycle.quiesce(lease, QuiescePolicy.PAUSE);
    lifecycle.resume(lease, q);
    assertEquals(2, lifecycle.quiesceCount());
    lifecycle.assertNoViolations();
  }

  @Test
  @DisplayName("a scripted resume failure is thrown once, and the workload still counts as resumed")
  void failNextResume() {
    IllegalStateException boom = new IllegalStateException("redeploy failed");
    lifecycle.failNextResume(boom);
    TestLease lease = new TestLease(W1);
    Quiesced q = lifecycle.quiesce(lease, QuiescePolicy.STOP);
    assertSame(boom, assertThrows(IllegalStateException.class, () -> lifecycle.resume(lease, q)));
    lifecycle.assertAllResumed();
    lifecycle.assertNoViolations();
  }
}
