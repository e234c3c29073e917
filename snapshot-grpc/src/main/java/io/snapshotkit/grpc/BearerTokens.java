package io.snapshotkit.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.TenantId;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's check of the bearer token every call carries ({@code authorization: Bearer …}):
 * one token per control plane. A call without a token, or with one no control plane has, is
 * closed {@code UNAUTHENTICATED} before it reaches the agent. Tokens are compared by their SHA-256
 * digests with {@link MessageDigest#isEqual} against every known token, so the time taken says
 * nothing about how much of a token matched, nor which. A call that passes carries, in its gRPC
 * {@link Context}, the control plane's name ({@link #CONTROL_PLANE}) and the tenants its token may
 * act for ({@link #TENANTS}; absent when the token is not restricted), which {@link TenantScope}
 * checks against the workload each call names.
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
  /** The tenants the call's token may act for; null (the key's default) when it is not restricted. */
  static final Context.Key<Set<TenantId>> TENANTS = Context.key("snapshotkit-tenants");

  /**
   * What a control plane's token grants.
   *
   * @param token the bearer token
   * @param tenants the tenants it may act for; empty when it may act for every tenant
   */
  record Grant(String token, Optional<Set<TenantId>> tenants) {}

  private record Known(String controlPlane, byte[] digest, Optional<Set<TenantId>> tenants) {}

  private final List<Known> known;

  BearerTokens(Map<String, Grant> grantsByControlPlane) {
    this.known = grantsByControlPlane.entrySet().stream()
        .map(e -> new Known(e.getKey(), digest(e.getValue().token()), e.getValue().tenants())).toList();
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
  private Optional<Known> controlPlane(String header) {
    if (header == null || !header.startsWith(BEARER)) {
      return Optional.empty();
    }
    byte[] presented = digest(header.substring(BEARER.length()));
    Known match = null;
    for (Known k : known) {
      if (MessageDigest.isEqual(presented, k.digest()) && match == null) {
        match = k;
      }
    }
    return Optional.ofNullable(match);
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    String header = headers.get(AUTHORIZATION);
    Optional<Known> who = controlPlane(header);
    if (who.isEmpty()) {
      String why = header == null ? "the call carries no bearer token"
          : !header.startsWith(BEARER) ? "the authorization header is not a bearer token"
          : "the bearer token is not one this agent accepts";
      LOG.warn("refused {}: {}", call.getMethodDescriptor().getFullMethodName(), why);
      call.close(Status.UNAUTHENTICATED.withDescription(why), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    Context context = Context.current().withValue(CONTROL_PLANE, who.get().controlPlane());
    if (who.get().tenants().isPresent()) {
      context = context.withValue(TENANTS, who.get().tenants().get());
    }
    return Contexts.interceptCall(context, call, headers, next);
  }
}
