package io.snapshotkit.examples.rest;

import io.snapshotkit.TenantId;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.Optional;

/**
 * Maps an {@code Authorization: Bearer <token>} header to a tenant. Tokens are compared in
 * constant time so response timing does not reveal how much of a token matched.
 *
 * <p><b>Thread-safety:</b> immutable.
 */
final class BearerAuth {
  private static final String PREFIX = "Bearer ";
  private final Map<String, TenantId> tokens;

  BearerAuth(Map<String, TenantId> tokens) {
    this.tokens = Map.copyOf(tokens);
  }

  /** The tenant of the header's token, or empty if the header is missing, malformed or unknown. */
  Optional<TenantId> tenantOf(String authorizationHeader) {
    if (authorizationHeader == null || !authorizationHeader.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
      return Optional.empty();
    }
    byte[] presented = authorizationHeader.substring(PREFIX.length()).trim().getBytes(StandardCharsets.UTF_8);
    TenantId found = null;
    for (Map.Entry<String, TenantId> e : tokens.entrySet()) {
      if (MessageDigest.isEqual(presented, e.getKey().getBytes(StandardCharsets.UTF_8))) {
        found = e.getValue();
      }
    }
    return Optional.ofNullable(found);
  }
}
