package io.snapshotkit.grpc;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * The mapping between {@link SnapshotException}s and gRPC statuses, both ways, in one place (the
 * module README shows it as a table).
 *
 * <p>Server side, a {@code SnapshotException} becomes the status of its code, with the message as
 * the description and the code's name in the trailer {@value #CODE_TRAILER}. Client side, a
 * status carrying that trailer becomes the same {@code SnapshotException} again (so NOT_FOUND
 * stays NOT_FOUND and the strict delete counts it as success); a status without it was made by
 * gRPC itself (the host is unreachable, the deadline passed, the token or certificate was refused,
 * a message was too large) and becomes a code from the status, with a message naming the host.
 *
 * <p><b>Thread-safety:</b> stateless.
 */
final class Statuses {
  /** The trailer holding the {@link ErrorCode} name of a failure the agent answered. */
  static final String CODE_TRAILER = "snapshotkit-error-code";
  static final Metadata.Key<String> CODE = Metadata.Key.of(CODE_TRAILER, Metadata.ASCII_STRING_MARSHALLER);

  private Statuses() {}

  /** The gRPC status code a failure of {@code code} is answered with. */
  static Status.Code statusOf(ErrorCode code) {
    return switch (code) {
      case NOT_FOUND -> Status.Code.NOT_FOUND;
      case INVALID_ARGUMENT -> Status.Code.INVALID_ARGUMENT;
      case FORBIDDEN -> Status.Code.PERMISSION_DENIED;
      case CONFLICT -> Status.Code.ABORTED;
      case QUOTA_EXCEEDED, INSUFFICIENT_STORAGE -> Status.Code.RESOURCE_EXHAUSTED;
      case HOST_UNAVAILABLE -> Status.Code.UNAVAILABLE;
      case CORRUPT -> Status.Code.DATA_LOSS;
      case INTERNAL -> Status.Code.INTERNAL;
    };
  }

  /** What the server answers for {@code e}: its code's status, its message, its code in the trailer. */
  static StatusRuntimeException toStatus(SnapshotException e) {
    Metadata trailers = new Metadata();
    trailers.put(CODE, e.code().name());
    return Status.fromCode(statusOf(e.code())).withDescription(e.getMessage()).asRuntimeException(trailers);
  }

  /** The code the agent answered with, when the status carries one this release knows. */
  static Optional<ErrorCode> answeredCode(Throwable failure) {
    Metadata trailers = Status.trailersFromThrowable(failure);
    String name = trailers == null ? null : trailers.get(CODE);
    if (name == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(ErrorCode.valueOf(name));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** Whether a failed call may be tried again: gRPC (not the agent) says the host is unavailable, not for TLS. */
  static boolean retryable(StatusRuntimeException e) {
    return e.getStatus().getCode() == Status.Code.UNAVAILABLE && answeredCode(e).isEmpty() && tlsFailure(e).isEmpty();
  }

  /**
   * The {@link SnapshotException} a control plane sees for a failed call.
   *
   * @param e the call's failure
   * @param host the host id, named in the messages gRPC's own failures get
   * @param address where the host's agent was called
   * @param what the call ("delete of snapshot X")
   * @param timeout the call's deadline, for the message of a missed deadline
   */
  static SnapshotException fromStatus(StatusRuntimeException e, String host, String address, String what,
      Duration timeout) {
    Status status = e.getStatus();
    String description = status.getDescription() == null ? status.getCode().name() : status.getDescription();
    Optional<ErrorCode> answered = answeredCode(e);
    if (answered.isPresent()) {
      return new SnapshotException(answered.get(), description, e);
    }
    String at = "host " + host + " (" + address + ")";
    return switch (status.getCode()) {
      case UNAVAILABLE -> tlsFailure(e)
          .map(tls -> new SnapshotException(ErrorCode.HOST_UNAVAILABLE, at + ": the TLS handshake for " + what
              + " failed (" + tls + "); check that the agent's certificate is issued by a CA this control plane "
              + "trusts and names the address, and that this control plane's certificate is one the agent trusts", e))
          .orElseGet(() -> new SnapshotException(ErrorCode.HOST_UNAVAILABLE, at + " is unreachable for " + what
              + " (" + description + "); check that its agent is running and listening there", e));
      case DEADLINE_EXCEEDED -> new SnapshotException(ErrorCode.HOST_UNAVAILABLE, at + " did not answer " + what
          + " within " + timeout + "; check the host's load and network, or raise the host timeout", e);
      case CANCELLED -> new SnapshotException(ErrorCode.HOST_UNAVAILABLE, what + " on " + at
          + " was cancelled before it answered (" + description + "); retry", e);
      case UNAUTHENTICATED -> new SnapshotException(ErrorCode.FORBIDDEN, at + " refused this control plane's token for "
          + what + " (" + description + "); configure the token the agent accepts for this control plane", e);
      case PERMISSION_DENIED -> new SnapshotException(ErrorCode.FORBIDDEN, at + " denied " + what
          + " (" + description + ")", e);
      case RESOURCE_EXHAUSTED -> new SnapshotException(ErrorCode.INVALID_ARGUMENT, what + " on " + at
          + " was refused: a message exceeded the size limit (" + description
          + "); raise maxInboundMessageSize of the agent server and of the remote host agent", e);
      case UNIMPLEMENTED -> new SnapshotException(ErrorCode.INVALID_ARGUMENT, at + " does not serve " + what
          + " (" + description + "); run an agent of a compatible release whose HostAgent supports it", e);
      case NOT_FOUND -> new SnapshotException(ErrorCode.NOT_FOUND, at + ": " + description, e);
      case INVALID_ARGUMENT, OUT_OF_RANGE, FAILED_PRECONDITION ->
          new SnapshotException(ErrorCode.INVALID_ARGUMENT, at + " refused " + what + ": " + description, e);
      case ALREADY_EXISTS, ABORTED -> new SnapshotException(ErrorCode.CONFLICT, at + " refused " + what
          + " for now: " + description + "; retry", e);
      case DATA_LOSS -> new SnapshotException(ErrorCode.CORRUPT, at + ": " + description, e);
      default -> new SnapshotException(ErrorCode.INTERNAL, what + " on " + at + " failed unexpectedly ("
          + status.getCode() + ": " + description + "); see the agent's log", e);
    };
  }

  /** The TLS failure in a status's cause chain, as one line. */
  static Optional<String> tlsFailure(Throwable failure) {
    int depth = 0;
    for (Throwable t = failure; t != null && depth < 16; t = t.getCause(), depth++) {
      if (t instanceof SSLException) {
        return Optional.of(t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage());
      }
    }
    return Optional.empty();
  }
}
