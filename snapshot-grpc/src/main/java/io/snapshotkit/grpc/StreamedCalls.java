package io.snapshotkit.grpc;

import io.grpc.ClientCall;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.snapshotkit.Change;
import io.snapshotkit.DiffResult;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.ProgressEvent.Operation;
import io.snapshotkit.ProgressListener;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.grpc.internal.v1.DiffMessage;
import io.snapshotkit.grpc.internal.v1.DiffRequest;
import io.snapshotkit.grpc.internal.v1.Progress;
import io.snapshotkit.spi.ProgressTracker;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * How {@link RemoteHostAgent} reads a server-streaming answer under the data deadline: the
 * capture's and restore's progress messages relayed to the caller's listener before the result,
 * and the diff's changes handed to the caller's sink as they arrive; the call is cancelled if the
 * caller stops reading, and a diff is retried only before it delivered a change.
 *
 * <p><b>Thread-safety:</b> thread-safe; each call runs on its caller's thread.
 */
final class StreamedCalls {
  private final AgentCalls calls;
  private final Duration dataTimeout;

  StreamedCalls(AgentCalls calls, Duration dataTimeout) {
    this.calls = calls;
    this.dataTimeout = dataTimeout;
  }

  /**
   * One streamed call of {@code method} (deadline {@link RemoteHostAgent.Builder#dataTimeout}, not retried): each
   * progress message goes to {@code listener} through a tracker (rate limit, monotonic counters, a
   * throwing listener dropped), the result message is the answer. An agent server that does not
   * know the method (UNIMPLEMENTED, before sending anything) is asked with {@code plain} instead.
   */
  <Q, M, R> R withProgress(MethodDescriptor<Q, M> method, Q request, Operation operation,
      ProgressListener listener, String what, Predicate<M> isProgress, Function<M, Progress> progressOf,
      Function<M, R> resultOf, Supplier<R> plain) {
    ProgressTracker tracker = ProgressTracker.start(operation, listener);
    ClientCall<Q, M> call = calls.newCall(method, System.nanoTime() + dataTimeout.toNanos());
    boolean received = false;
    boolean done = false;
    try {
      Iterator<M> messages = ClientCalls.blockingServerStreamingCall(call, request);
      R result = null;
      while (messages.hasNext()) {
        M m = messages.next();
        received = true;
        if (isProgress.test(m)) {
          tracker.relay(calls.answer(what, () -> Wire.progressEvent(operation, progressOf.apply(m))));
        } else {
          result = calls.answer(what, () -> resultOf.apply(m));
        }
      }
      done = true;
      if (result == null) {
        throw new SnapshotException(ErrorCode.INTERNAL, "host " + calls.hostId() + " (" + calls.address() + ") ended "
            + what + " without its result; see the agent's log");
      }
      tracker.finish();
      return result;
    } catch (StatusRuntimeException e) {
      done = true;
      if (!received && e.getStatus().getCode() == Status.Code.UNIMPLEMENTED) {
        return plain.get();
      }
      throw calls.failure(e, what, dataTimeout);
    } finally {
      if (!done) {
        call.cancel("the caller stopped waiting for " + what, null);
      }
    }
  }

  /** See {@link RemoteHostAgent#streamDiff}: retried while the host is unavailable, until a change was delivered. */
  DiffResult diff(DiffRequest.Builder request, SnapshotId from, Optional<SnapshotId> to, BiConsumer<String, Change> sink) {
    String what = "the diff of snapshot " + from + " to " + to.map(SnapshotId::value).orElse("the current state");
    long deadline = System.nanoTime() + dataTimeout.toNanos();
    for (int attempt = 1; ; attempt++) {
      boolean[] delivered = {false};
      ClientCall<DiffRequest, DiffMessage> call = calls.newCall(AgentMethods.DIFF, deadline);
      boolean done = false;
      try {
        Iterator<DiffMessage> messages = ClientCalls.blockingServerStreamingCall(call, request.build());
        DiffResult result = null;
        while (messages.hasNext()) {
          DiffMessage m = messages.next();
          if (m.hasEnd()) {
            result = new DiffResult(from, to, Map.of(), m.getEnd().getDegraded(), m.getEnd().getProblemsList());
          } else {
            for (io.snapshotkit.grpc.internal.v1.Change c : m.getChanges().getChangesList()) {
              Change change = calls.answer(what, () -> Wire.change(c));
              delivered[0] = true;
              sink.accept(c.getFamily(), change);
            }
          }
        }
        done = true;
        if (result == null) {
          throw new SnapshotException(ErrorCode.INTERNAL, "host " + calls.hostId() + " (" + calls.address() + ") ended " + what
              + " without its end message; see the agent's log");
        }
        return result;
      } catch (StatusRuntimeException e) {
        done = true;
        if (!delivered[0] && calls.retry(e, attempt, deadline)) {
          continue;
        }
        throw calls.failure(e, what, dataTimeout);
      } finally {
        if (!done) {
          call.cancel("the diff's consumer failed", null);
        }
      }
    }
  }
}
