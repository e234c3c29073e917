/**
 * Remote host agents over gRPC: a host runs an {@link io.snapshotkit.grpc.AgentServer} around its
 * {@link io.snapshotkit.spi.HostAgent}, and the control plane's engine reaches it through a
 * {@link io.snapshotkit.grpc.RemoteHostAgent}, which is a {@code HostAgent} (and
 * {@link io.snapshotkit.spi.HostDiff}) itself.
 *
 * <p>The protocol is {@code snapshotkit.agent.v1} ({@code agent.proto} in this module's sources);
 * its field numbers are frozen. Failures cross it as gRPC statuses carrying the
 * {@link io.snapshotkit.ErrorCode}; the module README has the mapping. Calls are authenticated by
 * a bearer token per control plane, over TLS or mutual TLS.
 *
 * <p>Classes under {@code io.snapshotkit.grpc.internal} are generated from the {@code .proto} and
 * are not API.
 *
 * <p><b>Stability:</b> public API: {@code AgentServer}, {@code RemoteHostAgent}, {@code AgentIdentity}.
 */
package io.snapshotkit.grpc;
