package io.snapshotkit.grpc;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Refuses a call meant for another host: {@link RemoteHostAgent} names the host it means in the
 * header {@value #HEADER}, and an agent serving another host id answers
 * {@code FAILED_PRECONDITION}. Without it a control plane whose directory points two host ids at
 * one address would have a strict delete confirmed twice by one host and never asked of the other.
 * A call without the header (another client) is let through.
 *
 * <p><b>Thread-safety:</b> immutable.
 */
final class HostCheck implements ServerInterceptor {
  static final String HEADER = "snapshotkit-host";
  static final Metadata.Key<String> HOST = Metadata.Key.of(HEADER, Metadata.ASCII_STRING_MARSHALLER);

  private final String hostId;

  HostCheck(String hostId) {
    this.hostId = hostId;
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    String meant = headers.get(HOST);
    if (meant != null && !meant.equals(hostId)) {
      call.close(Status.FAILED_PRECONDITION.withDescription("this agent serves host " + hostId + ", not " + meant
          + "; check the address the control plane's host directory gives for " + meant), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return next.startCall(call, headers);
  }
}
