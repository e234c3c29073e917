package io.snapshotkit.grpc;

import io.grpc.Context;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.snapshotkit.Change;
import io.snapshotkit.DiffResult;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.ProgressListener;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.grpc.internal.v1.CaptureMessage;
import io.snapshotkit.grpc.internal.v1.DescribeResponse;
import io.snapshotkit.grpc.internal.v1.DiffChanges;
import io.snapshotkit.grpc.internal.v1.DiffEnd;
import io.snapshotkit.grpc.internal.v1.DiffMessage;
import io.snapshotkit.grpc.internal.v1.DiffRequest;
import io.snapshotkit.grpc.internal.v1.IdentifyResponse;
import io.snapshotkit.grpc.internal.v1.PreflightResponse;
import io.snapshotkit.grpc.internal.v1.Progress;
import io.snapshotkit.grpc.internal.v1.RestoreMessage;
import io.snapshotkit.grpc.internal.v1.UntrackVolumesResponse;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.spi.HostDiff;
import io.snapshotkit.spi.HostVerify;
import io.snapshotkit.spi.VerifyOutcome;
import io.snapshotkit.spi.HostFork;
import io.snapshotkit.spi.RestoreRequest;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of {@link AgentMethods}: each call decodes its request, calls the
 * {@link HostAgent} and encodes its answer or its failure ({@link Statuses}). A request that
 * breaks the SPI's rules is answered {@code INVALID_ARGUMENT}; an agent's unexpected exception
 * {@code INTERNAL} (logged here with its cause); neither touches the server. Every call naming a
 * workload is checked against the tenants the call's token may act for ({@link TenantScope})
 * after it is read and before the agent is called. The {@link HostAdmin} calls answer
 * {@code UNIMPLEMENTED} when the server was given none.
 *
 * <p>A diff runs on {@code executor}, not on the call's own thread, and sends a batch only while
 * gRPC's flow control says the client can take it ({@code isReady}), so a slow reader slows the
 * agent's diff instead of filling the server's memory. A cancelled call stops the diff.
 *
 * <p><b>Thread-safety:</b> thread-safe; calls are independent.
 */
final class AgentService {
  private static final Logger LOG = LoggerFactory.getLogger(AgentService.class);
  /** A diff batch is sent once it holds this many changes ... */
  static final int BATCH_CHANGES = 512;
  /** ... or this many encoded bytes. */
  static final int BATCH_BYTES = 256 * 1024;

  private final HostAgent agent;
  private final Optional<HostAdmin> admin;
  private final String hostId;
  private final Executor executor;

  AgentService(HostAgent agent, Optional<HostAdmin> admin, String hostId, Executor executor) {
    this.agent = agent;
    this.admin = admin;
    this.hostId = hostId;
    this.executor = executor;
  }

  ServerServiceDefinition definition() {
    return ServerServiceDefinition.builder(AgentMethods.SERVICE_DESCRIPTOR)
        .addMethod(AgentMethods.CAPTURE, ServerCalls.asyncUnaryCall((req, out) -> answer(out, "capture",
            () -> Wire.captureRequest(req),
            // patterns go where an agent honours them, or its default refuses them
            r -> Wire.captureResponse(r.excludes().isEmpty() ? agent.capture(permitted(r.workload(), r))
                : agent.capture(permitted(r.workload(), r), ProgressListener.NONE)))))
        .addMethod(AgentMethods.DESCRIBE, ServerCalls.asyncUnaryCall((req, out) -> answer(out, "describe",
            () -> Wire.workload(req.hasWorkload(), req.getWorkload()),
            w -> DescribeResponse.newBuilder().setManifest(Wire.manifest(agent.describe(permitted(w, w)))).build())))
        .addMethod(AgentMethods.RESTORE, ServerCalls.asyncUnaryCall((req, out) -> answer(out, "restore",
            () -> Wire.restoreRequest(req),
            r -> Wire.restoreResponse(agent.restore(permitted(r))))))
        .addMethod(AgentMethods.PREFLIGHT, ServerCalls.asyncUnaryCall((req, out) -> answer(out, "preflight",
            () -> Wire.restoreRequest(req),
            r -> {
              agent.preflight(permitted(r));
              return PreflightResponse.getDefaultInstance();
            })))
        .addMethod(AgentMethods.DELETE, ServerCalls.asyncUnaryCall((req, out) -> answer(out, "delete",
            () -> new Target(Wire.workload(req.hasWorkload(), req.getWorkload()), Wire.snapshotId(req.getSnapshotId())),
            t -> Wire.deleteResponse(agent.delete(permitted(t.workload(), t.workload()), t.snapshot())))))
        .addMethod(AgentMethods.SIZE_OF, ServerCalls.asyncUnaryCall((req, out) -> answer(out, "sizeOf",
            () -> new Target(Wire.workload(req.hasWorkload(), req.getWorkload()), Wire.snapshotId(req.getSnapshotId())),
            t -> Wire.sizeOfResponse(agent.sizeOf(permitted(t.workload(), t.workload()), t.snapshot())))))
        .addMethod(AgentMethods.DIFF, ServerCalls.asyncServerStreamingCall(this::diff))
        .addMethod(AgentMethods.IDENTIFY, ServerCalls.asyncUnaryCall((req, out) -> answer(out, "identify",
            () -> req,
            r -> IdentifyResponse.newBuilder().setHostId(hostId).setProtocol(AgentMethods.PROTOCOL)
                .setDiff(agent instanceof HostDiff).build())))
        .addMethod(AgentMethods.TRACK_VOLUMES, ServerCalls.asyncUnaryCall((req, out) -> answer(out, "trackVolumes",
            () -> new Tracking(Wire.workload(req.hasWorkload(), req.getWorkload()), Wire.volumes(req.getVolumesList())),
            t -> Wire.volumesResponse(Optional.of(admin("volume tracking").track(permitted(t.workload(), t.workload()),
                t.volumes()))))))
        .addMethod(AgentMethods.VOLUMES, ServerCalls.asyncUnaryCall((req, out) -> answer(out, "volumes",
            () -> Wire.workload(req.hasWorkload(), req.getWorkload()),
            w -> Wire.volumesResponse(admin("volume listing").volumes(permitted(w, w))))))
        .addMethod(AgentMethods.UNTRACK_VOLUMES, ServerCalls.asyncUnaryCall((req, out) -> answer(out, "untrackVolumes",
            () -> Wire.workload(req.hasWorkload(), req.getWorkload()),
            w -> UntrackVolumesResponse.newBuilder().setTracked(admin("volume tracking").untrack(permitted(w, w))).build())))
        .addMethod(AgentMethods.GC, ServerCalls.asyncUnaryCall((req, out) -> answer(out, "gc",
            () -> req,
            r -> {
              HostAdmin a = admin("gc");
              TenantScope.permitAllTenants("gc", hostId);
              return Wire.gcResponse(a.gc());
            })))
        .addMethod(AgentMethods.CHECK, ServerCalls.asyncUnaryCall((req, out) -> answer(out, "check",
            () -> req,
            r -> {
              HostAdmin a = admin("check");
              TenantScope.permitAllTenants("check", hostId);
              return Wire.checkResponse(a.check(r.getSample()));
            })))
        .addMethod(AgentMethods.VERIFY, ServerCalls.asyncUnaryCall((req, out) -> answer(out, "verify",
            () -> new Target(Wire.workload(req.hasWorkload(), req.getWorkload()), Wire.snapshotId(req.getSnapshotId())),
            t -> Wire.verifyResponse(verify(permitted(t.workload(), t.workload()), t.snapshot(), req.getSample())))))
        .addMethod(AgentMethods.FORK, ServerCalls.asyncUnaryCall((req, out) -> answer(out, "fork",
            () -> Wire.forkRequest(req),
            r -> {
              if (!(agent instanceof HostFork forker)) {
                throw SnapshotException.invalid("host " + hostId + " cannot fork: its agent does not implement "
                    + "HostFork; fork onto a host whose agent does");
              }
              return Wire.captureResponse(forker.fork(permitted(r.child(), permitted(r.source(), r))));
            })))
        .addMethod(AgentMethods.CAPTURE_WITH_PROGRESS, ServerCalls.asyncServerStreamingCall((req, out) ->
            withProgress(out, "capture", () -> Wire.captureRequest(req),
                (r, progress) -> agent.capture(permitted(r.workload(), r), progress),
                p -> CaptureMessage.newBuilder().setProgress(p).build(),
                result -> CaptureMessage.newBuilder().setResult(Wire.captureResponse(result)).build())))
        .addMethod(AgentMethods.RESTORE_WITH_PROGRESS, ServerCalls.asyncServerStreamingCall((req, out) ->
            withProgress(out, "restore", () -> Wire.restoreRequest(req),
                (r, progress) -> agent.restore(permitted(r), progress),
                p -> RestoreMessage.newBuilder().setProgress(p).build(),
                result -> RestoreMessage.newBuilder().setResult(Wire.restoreResponse(result)).build())))
        .build();
  }

  /**
   * The agent's {@link HostVerify} answer, or for an agent without one whether it holds the
   * snapshot (as the engine would conclude from {@code sizeOf}).
   */
  private VerifyOutcome verify(WorkloadRef workload, SnapshotId snapshot, double sample) {
    if (!(sample > 0 && sample <= 1)) {
      throw SnapshotException.invalid("sample is the fraction of contents to read back, above 0 and at most 1, not "
          + sample);
    }
    if (agent instanceof HostVerify verifier) {
      return verifier.verify(workload, snapshot, sample);
    }
    return agent.sizeOf(workload, snapshot).isPresent() ? VerifyOutcome.present() : VerifyOutcome.missing();
  }

  /**
   * A capture or restore whose progress is streamed: each event the agent reports goes out as a
   * progress message while gRPC's flow control says the client can take it (otherwise it is
   * dropped: a later one says more), then the result, or the failure. Runs on the call's thread,
   * as the unary calls do. The agent's tracker already rate-limits; a send that fails (the client
   * went away) makes the tracker drop this listener, and the operation goes on to its end.
   */
  private <R, T, M> void withProgress(StreamObserver<M> plain, String what, Supplier<R> decode,
      BiFunction<R, ProgressListener, T> work, Function<Progress, M> progressMessage, Function<T, M> resultMessage) {
    ServerCallStreamObserver<M> out = (ServerCallStreamObserver<M>) plain;
    Object sending = new Object();
    boolean[] closed = {false};
    ProgressListener progress = e -> {
      synchronized (sending) {
        if (!closed[0] && out.isReady() && !out.isCancelled()) {
          out.onNext(progressMessage.apply(Wire.progress(e)));
        }
      }
    };
    T result;
    try {
      R request = Wire.read("a malformed " + what + " request", decode);
      result = work.apply(request, progress);
    } catch (RuntimeException e) {
      synchronized (sending) {
        closed[0] = true;
        if (!out.isCancelled()) {
          out.onError(failure(what, e));
        }
      }
      return;
    }
    synchronized (sending) {
      closed[0] = true;
      if (out.isCancelled()) {
        LOG.info("the client of {} on host {} went away before its result; the {} itself finished", what, hostId, what);
        return;
      }
      out.onNext(resultMessage.apply(result));
      out.onCompleted();
    }
  }

  /** {@code request}, once the call's token is found to act for {@code workload}'s tenant ({@link TenantScope}). */
  private <T> T permitted(WorkloadRef workload, T request) {
    TenantScope.permit(workload, hostId);
    return request;
  }

  /** A restore or preflight request, once the call's token is found to act for its workload's (and manifest's) tenant. */
  private RestoreRequest permitted(RestoreRequest request) {
    TenantScope.permit(request.manifest().workload(), hostId);
    return permitted(request.workload(), request);
  }

  /** The host admin, or an UNIMPLEMENTED answer saying this agent server has none. */
  private HostAdmin admin(String what) {
    return admin.orElseThrow(() -> new NotServed("the agent server of host " + hostId + " serves no " + what
        + " (it was started without a HostAdmin); set it on the host itself, or run an agent that serves it"));
  }

  /** A call this server does not serve: answered UNIMPLEMENTED. */
  private static final class NotServed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NotServed(String message) {
      super(message, null, false, false);
    }
  }

  /** A workload and the volumes to track for it. */
  private record Tracking(WorkloadRef workload, Map<String, String> volumes) {}

  /** A workload's snapshot, as delete and sizeOf name it. */
  private record Target(WorkloadRef workload, SnapshotId snapshot) {}

  private <R, A> void answer(StreamObserver<A> out, String what, Supplier<R> decode,
      Function<R, A> work) {
    A answer;
    try {
      R request = Wire.read("a malformed " + what + " request", decode);
      answer = work.apply(request);
    } catch (RuntimeException e) {
      out.onError(failure(what, e));
      return;
    }
    out.onNext(answer);
    out.onCompleted();
  }

  /** The status a failed call answers. */
  private RuntimeException failure(String what, RuntimeException e) {
    if (e instanceof NotServed) {
      return Status.UNIMPLEMENTED.withDescription(e.getMessage()).asRuntimeException();
    }
    if (e instanceof Wire.Malformed m) {
      return Status.INVALID_ARGUMENT.withDescription(m.getMessage() + "; the control plane and the agent may be of incompatible releases")
          .asRuntimeException();
    }
    SnapshotException se = SnapshotException.wrap(what + " on host " + hostId, e);
    if (!(e instanceof SnapshotException)) {
      LOG.warn("{} on host {} failed unexpectedly", what, hostId, e);
    }
    return Statuses.toStatus(se);
  }

  // ------------------------------------------------------------------ diff

  private void diff(DiffRequest request, StreamObserver<DiffMessage> plain) {
    ServerCallStreamObserver<DiffMessage> out = (ServerCallStreamObserver<DiffMessage>) plain;
    if (!(agent instanceof HostDiff hostDiff)) {
      out.onError(Status.UNIMPLEMENTED.withDescription("the agent of host " + hostId
          + " does not compute diffs (its HostAgent does not implement HostDiff)").asRuntimeException());
      return;
    }
    DiffStream stream = new DiffStream(out);
    // the call's context (its token's tenants) goes with the diff to the executor's thread
    executor.execute(Context.current().wrap(() -> stream.run(hostDiff, request)));
  }

  /** Thrown inside the agent's diff to stop it when the client went away. */
  private static final class Cancelled extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Cancelled() {
      super("the client cancelled the diff", null, false, false);
    }
  }

  /** One diff call: batches the agent's changes and sends them as the client takes them. */
  private final class DiffStream implements BiConsumer<String, Change> {
    private final ServerCallStreamObserver<DiffMessage> out;
    private final Object ready = new Object();
    private volatile boolean cancelled;
    private DiffChanges.Builder batch = DiffChanges.newBuilder();
    private int batchBytes;

    DiffStream(ServerCallStreamObserver<DiffMessage> out) {
      this.out = out;
      // Set while the handler runs, as gRPC requires; both run on the call's executor.
      out.setOnReadyHandler(this::wake);
      out.setOnCancelHandler(() -> {
        cancelled = true;
        wake();
      });
    }

    private void wake() {
      synchronized (ready) {
        ready.notifyAll();
      }
    }

    void run(HostDiff hostDiff, DiffRequest request) {
      DiffResult rest;
      try {
        Target t = Wire.read("a malformed diff request", () -> new Target(
            Wire.workload(request.hasWorkload(), request.getWorkload()), Wire.snapshotId(request.getFrom())));
        Optional<SnapshotId> to = Wire.read("a malformed diff request",
            () -> request.hasTo() ? Optional.of(Wire.snapshotId(request.getTo())) : Optional.<SnapshotId>empty());
        rest = hostDiff.streamDiff(permitted(t.workload(), t.workload()), t.snapshot(), to, this);
        flush();
      } catch (Cancelled e) {
        return;
      } catch (RuntimeException e) {
        if (!cancelled) {
          out.onError(failure("diff", e));
        }
        return;
      }
      out.onNext(DiffMessage.newBuilder()
          .setEnd(DiffEnd.newBuilder().setDegraded(rest.degraded()).addAllProblems(rest.problems())).build());
      out.onCompleted();
    }

    @Override
    public void accept(String family, Change change) {
      if (cancelled) {
        throw new Cancelled();
      }
      io.snapshotkit.grpc.internal.v1.Change c = Wire.change(family, change);
      batch.addChanges(c);
      batchBytes += c.getSerializedSize();
      if (batch.getChangesCount() >= BATCH_CHANGES || batchBytes >= BATCH_BYTES) {
        flush();
      }
    }

    private void flush() {
      if (batch.getChangesCount() == 0) {
        return;
      }
      awaitReady();
      out.onNext(DiffMessage.newBuilder().setChanges(batch).build());
      batch = DiffChanges.newBuilder();
      batchBytes = 0;
    }

    /** Waits until flow control lets one more message out, or the call is cancelled. */
    private void awaitReady() {
      synchronized (ready) {
        while (!out.isReady()) {
          if (cancelled) {
            throw new Cancelled();
          }
          try {
            ready.wait(100);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SnapshotException(ErrorCode.HOST_UNAVAILABLE, "host " + hostId
                + " is shutting down and stopped the diff; retry", e);
          }
        }
      }
      if (cancelled) {
        throw new Cancelled();
      }
    }
  }
}
