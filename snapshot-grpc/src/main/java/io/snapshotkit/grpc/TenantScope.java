package io.snapshotkit.grpc;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.TenantId;
import io.snapshotkit.WorkloadRef;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The agent's check that a call's token may act for the tenant of the workload it names (see
 * {@link AgentServer.Builder#token(String, String, Set)}). It runs after the request is read and
 * before the agent is called, so a refused call touches nothing of that tenant; a token with no
 * tenant restriction passes every check. Reads the call's gRPC context, set by {@link BearerTokens}.
 *
 * <p><b>Thread-safety:</b> stateless; call it on the call's thread (or one its context was carried to).
 */
final class TenantScope {
  private TenantScope() {}

  /**
   * Refuses {@code workload} unless the current call's token may act for its tenant.
   *
   * @throws SnapshotException FORBIDDEN naming the tenant, the control plane and the host
   */
  static void permit(WorkloadRef workload, String hostId) {
    Set<TenantId> allowed = BearerTokens.TENANTS.get();
    if (allowed == null || allowed.contains(workload.tenant())) {
      return;
    }
    throw new SnapshotException(ErrorCode.FORBIDDEN, "host " + hostId + " refuses workload " + workload.key()
        + ": the token of control plane '" + BearerTokens.CONTROL_PLANE.get() + "' may act only for tenant(s) "
        + names(allowed) + ", not for tenant '" + workload.tenant().value() + "'; call with a token that may act for "
        + "tenant '" + workload.tenant().value() + "', or allow it that tenant on the agent")
        .withWorkload(workload);
  }

  /**
   * Refuses a call that reaches every tenant's data (the repository's gc and check) unless the
   * current call's token is not restricted to tenants.
   *
   * @throws SnapshotException FORBIDDEN naming the control plane and the host
   */
  static void permitAllTenants(String what, String hostId) {
    Set<TenantId> allowed = BearerTokens.TENANTS.get();
    if (allowed == null) {
      return;
    }
    throw new SnapshotException(ErrorCode.FORBIDDEN, "host " + hostId + " refuses " + what + ": it reaches every "
        + "tenant's snapshots, and the token of control plane '" + BearerTokens.CONTROL_PLANE.get()
        + "' may act only for tenant(s) " + names(allowed) + "; run it with a token the agent does not restrict to tenants");
  }

  private static String names(Set<TenantId> tenants) {
    return tenants.stream().map(TenantId::value).sorted().collect(Collectors.joining(", "));
  }
}
