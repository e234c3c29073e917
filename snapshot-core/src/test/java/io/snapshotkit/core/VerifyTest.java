package io.snapshotkit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.CaptureResult;
import io.snapshotkit.spi.DeleteOutcome;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.spi.HostDirectory;
import io.snapshotkit.spi.HostVerify;
import io.snapshotkit.spi.VerifyOutcome;
import io.snapshotkit.testkit.InMemoryManifestStore;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("SnapshotEngine.verify")
class VerifyTest {

  @Test
  @DisplayName("an agent without HostVerify can only say whether it holds the snapshot: PRESENT, then MISSING once its data is gone")
  void presenceOnlyWithoutHostVerify() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot s = f.capture();
      VerifyReport present = f.engine.verify(Fixture.ACME, s.id(), 1);
      assertEquals(VerifyOutcome.Status.PRESENT, present.outcome().status());
      assertEquals("h1", present.host());
      assertEquals(false, present.intact(), "present is not the same as read back intact");

      f.h1().delete(Fixture.W, s.id());
      VerifyReport missing = f.engine.verify(Fixture.ACME, s.id(), 1);
      assertEquals(VerifyOutcome.Status.MISSING, missing.outcome().status());
      assertEquals(List.of("the host does not hold this snapshot"), missing.outcome().problems());
    }
  }

  @Test
  @DisplayName("a sample outside (0, 1] is INVALID_ARGUMENT; another tenant's snapshot is NOT_FOUND; a deleted one too")
  void badInput() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot s = f.capture();
      for (double bad : new double[] {0, -0.5, 1.5, Double.NaN}) {
        SnapshotException e = assertThrows(SnapshotException.class, () -> f.engine.verify(Fixture.ACME, s.id(), bad));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), "sample " + bad);
        assertTrue(e.getMessage().contains("above 0 and at most 1"), e.getMessage());
      }
      assertEquals(ErrorCode.NOT_FOUND,
          assertThrows(SnapshotException.class, () -> f.engine.verify(Fixture.GLOBEX, s.id(), 1)).code());
      f.engine.delete(Fixture.ACME, s.id());
      assertEquals(ErrorCode.NOT_FOUND,
          assertThrows(SnapshotException.class, () -> f.engine.verify(Fixture.ACME, s.id(), 1)).code());
    }
  }

  @Test
  @DisplayName("an agent with HostVerify is asked with the sample, and its outcome is the report's")
  void hostVerifyAsked() throws Exception {
    AtomicReference<Double> asked = new AtomicReference<>();
    try (Fixture f = Fixture.create()) {
      HostAgent verifying = new VerifyingAgent(f.h1(), (w, id, sample) -> {
        asked.set(sample);
        return VerifyOutcome.damaged(3, List.of("data:a.txt: digest mismatch"));
      });
      try (SnapshotEngine engine = SnapshotEngine.builder()
          .manifestStore(new InMemoryManifestStore()).hosts(HostDirectory.single(verifying)).lifecycle(f.lifecycle)
          .clock(f.clock).executor(f.pool).build()) {
        Snapshot s = engine.capture(CaptureSpec.of(Fixture.W));
        VerifyReport report = engine.verify(Fixture.ACME, s.id(), 0.25);
        assertEquals(0.25, asked.get());
        assertEquals("local", report.host());
        assertEquals(VerifyOutcome.Status.DAMAGED, report.outcome().status());
        assertEquals(3, report.outcome().contentsChecked());
      }
    }
  }

  /** A host agent that delegates everything and answers verify with a script. */
  private record VerifyingAgent(HostAgent inner, HostVerify script) implements HostAgent, HostVerify {
    @Override
    public CaptureResult capture(CaptureRequest request) {
      return inner.capture(request);
    }

    @Override
    public io.snapshotkit.Manifest describe(WorkloadRef workload) {
      return inner.describe(workload);
    }

    @Override
    public io.snapshotkit.spi.RestoreOutcome restore(io.snapshotkit.spi.RestoreRequest request) {
      return inner.restore(request);
    }

    @Override
    public DeleteOutcome delete(WorkloadRef workload, SnapshotId snapshot) {
      return inner.delete(workload, snapshot);
    }

    @Override
    public java.util.OptionalLong sizeOf(WorkloadRef workload, SnapshotId snapshot) {
      return inner.sizeOf(workload, snapshot);
    }

    @Override
    public VerifyOutcome verify(WorkloadRef workload, SnapshotId snapshot, double sample) {
      return script.verify(workload, snapshot, sample);
    }
  }
}
