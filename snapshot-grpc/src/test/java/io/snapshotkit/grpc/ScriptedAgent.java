package io.snapshotkit.grpc;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.FamilyRestore;
import io.snapshotkit.Manifest;
import io.snapshotkit.Resource;
import io.snapshotkit.RestoreFailure;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.CaptureResult;
import io.snapshotkit.spi.DeleteOutcome;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.spi.RestoreOutcome;
import io.snapshotkit.spi.RestoreRequest;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A HostAgent whose answers a test scripts: a failure every call throws, a gate {@link #sizeOf}
 * waits on, and what it was asked. Not a HostDiff.
 */
final class ScriptedAgent implements HostAgent {
  static final WorkloadRef W = WorkloadRef.of("acme", "app");
  static final Manifest MANIFEST = Manifest.of(Instant.parse("2026-01-01T00:00:00.123456789Z"), W, true,
      Map.of("users", List.of(new Resource("u1", "alice", JsonNodeFactory.instance.objectNode()
          .put("name", "Alice").put("n", 3).set("tags", JsonNodeFactory.instance.arrayNode().add("x"))))));
  static final RestoreOutcome OUTCOME = new RestoreOutcome(
      Map.of("users", FamilyRestore.of(1, 2, List.of(
          new RestoreFailure("users:bob", "the disk is full; free space and retry", ErrorCode.INSUFFICIENT_STORAGE),
          new RestoreFailure("", "no resource named", ErrorCode.CORRUPT)))),
      List.of("groups"), List.of("one warning"));

  volatile RuntimeException failure;
  volatile CountDownLatch gate;
  final AtomicInteger calls = new AtomicInteger();
  volatile CaptureRequest lastCapture;
  volatile RestoreRequest lastRestore;

  private void step() {
    calls.incrementAndGet();
    RuntimeException f = failure;
    if (f != null) {
      throw f;
    }
  }

  @Override
  public CaptureResult capture(CaptureRequest request) {
    lastCapture = request;
    step();
    return new CaptureResult(MANIFEST, 1234);
  }

  @Override
  public Manifest describe(WorkloadRef workload) {
    step();
    return MANIFEST;
  }

  @Override
  public RestoreOutcome restore(RestoreRequest request) {
    lastRestore = request;
    step();
    return OUTCOME;
  }

  @Override
  public DeleteOutcome delete(WorkloadRef workload, SnapshotId snapshot) {
    step();
    return DeleteOutcome.NOT_FOUND;
  }

  @Override
  public OptionalLong sizeOf(WorkloadRef workload, SnapshotId snapshot) {
    CountDownLatch g = gate;
    calls.incrementAndGet();
    if (g != null) {
      try {
        g.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    RuntimeException f = failure;
    if (f != null) {
      throw f;
    }
    return OptionalLong.of(42);
  }
}
