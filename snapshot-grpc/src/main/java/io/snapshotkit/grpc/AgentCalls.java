package io.snapshotkit.grpc;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * How {@link RemoteHostAgent} calls one host: the channel, a deadline per call, retries of the
 * calls that may be retried, the reading of answers and the mapping of failures
 * ({@link Statuses}), each naming the host and its address.
 *
 * <p><b>Thread-safety:</b> thread-safe; calls share the one channel.
 */
final class AgentCalls {
  /** How many times a retryable call is tried. */
  static final int ATTEMPTS = 3;
  private static final long BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  private final String hostId;
  private final String address;
  private final ManagedChannel channel;

  AgentCalls(String hostId, String address, ManagedChannel channel) {
    this.hostId = hostId;
    this.address = address;
    this.channel = channel;
  }

  /** The host id, as the messages name it. */
  String hostId() {
    return hostId;
  }

  /** Where the host's agent is called, {@code HOST:PORT}. */
  String address() {
    return address;
  }

  /** A new call of {@code method} that must end by {@code deadlineNanos} ({@link System#nanoTime()}). */
  <Q, A> ClientCall<Q, A> newCall(MethodDescriptor<Q, A> method, long deadlineNanos) {
    return channel.newCall(method, options(deadlineNanos));
  }

  private CallOptions options(long deadlineNanos) {
    return CallOptions.DEFAULT.withDeadlineAfter(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
  }

  /**
   * Calls {@code method} and reads its answer with {@code read}.
   *
   * @param limit the call's deadline, retries included
   * @param retryable whether the call may be tried again while gRPC reports the host unavailable
   * @param what the call, as messages name it
   */
  <Q, A, R> R call(MethodDescriptor<Q, A> method, Q request, Duration limit, boolean retryable, String what,
      Function<A, R> read) {
    long deadline = System.nanoTime() + limit.toNanos();
    for (int attempt = 1; ; attempt++) {
      A answer;
      try {
        wakeAfterFailure();
        answer = ClientCalls.blockingUnaryCall(channel, method, options(deadline), request);
      } catch (StatusRuntimeException e) {
        if (retryable && retry(e, attempt, deadline)) {
          continue;
        }
        throw failure(e, what, limit);
      }
      return answer(what, () -> read.apply(answer));
    }
  }

  /** Reads an answer; one that breaks the SPI's rules is the agent's fault, reported as INTERNAL. */
  <R> R answer(String what, Supplier<R> reader) {
    try {
      return Wire.read("a malformed answer", reader);
    } catch (Wire.Malformed e) {
      throw new SnapshotException(ErrorCode.INTERNAL, "host " + hostId + " (" + address + ") gave " + e.getMessage()
          + " to " + what + "; the agent and the control plane may be of incompatible releases", e);
    }
  }

  /** Whether to try again after {@code e}; sleeps the backoff first. */
  boolean retry(StatusRuntimeException e, int attempt, long deadline) {
    if (attempt >= ATTEMPTS || !Statuses.retryable(e) || Thread.currentThread().isInterrupted()) {
      return false;
    }
    long pause = BACKOFF_NANOS << (attempt - 1);
    if (deadline - System.nanoTime() <= pause) {
      return false;
    }
    channel.resetConnectBackoff();
    try {
      TimeUnit.NANOSECONDS.sleep(pause);
    } catch (InterruptedException interrupted) {
      Thread.currentThread().interrupt();
      return false;
    }
    return true;
  }

  /**
   * After a failed connection gRPC waits (up to minutes) before it dials again and fails calls
   * at once meanwhile; a host that came back is tried at once instead.
   */
  private void wakeAfterFailure() {
    if (channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
      channel.resetConnectBackoff();
    }
  }

  /** The {@link SnapshotException} a control plane sees for a failed call. */
  SnapshotException failure(StatusRuntimeException e, String what, Duration limit) {
    return Statuses.fromStatus(e, hostId, address, what, limit);
  }

  /** Shuts the channel down, waiting briefly for calls in flight. Idempotent. */
  void close() {
    channel.shutdown();
    try {
      if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

}
