package io.snapshotkit.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.snapshotkit.SnapshotException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's check of the bearer token every call carries ({@code authorization: Bearer …}):
 * one token per control plane. A call without a token, or with one no control plane has, is
 * closed {@code UNAUTHENTICATED} before it reaches the agent. Tokens are compared by their SHA-256
 * digests with {@link MessageDigest#isEqual} against every known token, so the time taken says
 * nothing about how much of a token matched, nor which.
 *
 * <p><b>Thread-safety:</b> immutable.
 */
final class BearerTokens implements ServerInterceptor {
  private static final Logger LOG = LoggerFactory.getLogger(BearerTokens.class);
  static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final String BEARER = "Bearer ";
  /** The shortest token accepted: 16 characters, 128 bits as hex would give 32. */
  static final int MIN_LENGTH = 16;
  /** The control plane a call came from, for the agent's log. */
  static final Context.Key<String> CONTROL_PLANE = Context.key("snapshotkit-control-plane");

  private record Known(String controlPlane, byte[] digest) {}

  private final List<Known> known;

  BearerTokens(Map<String, String> tokensByControlPlane) {
    this.known = tokensByControlPlane.entrySet().stream()
        .map(e -> new Known(e.getKey(), digest(e.getValue()))).toList();
  }

  /** Checks a token's form; the message never shows the token. */
  static String checked(String token) {
    if (token.length() < MIN_LENGTH || !token.equals(token.strip()) || !token.chars().allMatch(c -> c > 32 && c < 127)) {
      throw SnapshotException.invalid("a bearer token has at least " + MIN_LENGTH
          + " printable ASCII characters and no spaces; generate one with `openssl rand -hex 32`");
    }
    return token;
  }

  /** The header value a client sends. */
  static String header(String token) {
    return BEARER + token;
  }

  private static byte[] digest(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /** The control plane whose token {@code header} carries. */
  Optional<String> controlPlane(String header) {
    if (header == null || !header.startsWith(BEARER)) {
      return Optional.empty();
    }
    byte[] presented = digest(header.substring(BEARER.length()));
    String match = null;
    for (Known k : known) {
      if (MessageDigest.isEqual(presented, k.digest()) && match == null) {
        match = k.controlPlane();
      }
    }
    return Optional.ofNullable(match);
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    String header = headers.get(AUTHORIZATION);
    Optional<String> who = controlPlane(header);
    if (who.isEmpty()) {
      String why = header == null ? "the call carries no bearer token"
          : !header.startsWith(BEARER) ? "the authorization header is not a bearer token"
          : "the bearer token is not one this agent accepts";
      LOG.warn("refused {}: {}", call.getMethodDescriptor().getFullMethodName(), why);
      call.close(Status.UNAUTHENTICATED.withDescription(why), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return Contexts.interceptCall(Context.current().withValue(CONTROL_PLANE, who.get()), call, headers, next);
  }
}
