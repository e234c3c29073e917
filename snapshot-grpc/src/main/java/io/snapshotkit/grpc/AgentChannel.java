package io.snapshotkit.grpc;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The transport settings a {@link RemoteHostAgent.Builder} collected, checked together, and the
 * channel opened from them: TLS (with an optional client certificate) or explicit plain text, and
 * the token and host id sent as headers on every call.
 *
 * @param certificateChain null unless a client certificate was given (then so is {@code privateKey})
 * @param trustedCa null for plain text
 */
record AgentChannel(String hostId, String host, int port, String token, Path trustedCa, Path certificateChain,
    Path privateKey, boolean plaintext, int maxInboundMessageSize) {

  /**
   * Opens the channel (lazily: the first call connects).
   *
   * @throws SnapshotException INVALID_ARGUMENT when a required setting is missing or the TLS files cannot be read
   */
  AgentCalls open() {
    if (hostId == null) {
      throw SnapshotException.invalid("a remote host agent needs its host id (hostId)");
    }
    if (host == null) {
      throw SnapshotException.invalid("a remote host agent needs the agent's address (target)");
    }
    if (token == null) {
      throw SnapshotException.invalid("a remote host agent needs the control plane's bearer token (token)");
    }
    if (plaintext == (trustedCa != null)) {
      throw SnapshotException.invalid(plaintext
          ? "choose either trust (TLS) or plaintext, not both"
          : "a remote host agent needs the CA it trusts (trust), or plaintext chosen explicitly");
    }
    if (certificateChain != null && plaintext) {
      throw SnapshotException.invalid("a client certificate needs TLS (trust), not plaintext");
    }
    Metadata headers = new Metadata();
    headers.put(BearerTokens.AUTHORIZATION, BearerTokens.header(token));
    headers.put(HostCheck.HOST, hostId);
    ManagedChannel channel = Grpc.newChannelBuilderForAddress(host, port, credentials())
        .maxInboundMessageSize(maxInboundMessageSize)
        .intercept(MetadataUtils.newAttachHeadersInterceptor(headers))
        .userAgent("snapshotkit")
        .build();
    return new AgentCalls(hostId, host + ":" + port, channel);
  }

  private ChannelCredentials credentials() {
    if (plaintext) {
      return InsecureChannelCredentials.create();
    }
    try {
      TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder().trustManager(trustedCa.toFile());
      if (certificateChain != null) {
        tls.keyManager(certificateChain.toFile(), privateKey.toFile());
      }
      return tls.build();
    } catch (IOException | RuntimeException e) {
      throw new SnapshotException(ErrorCode.INVALID_ARGUMENT, "host " + hostId
          + ": cannot read the trusted CA or the client certificate (" + e.getMessage()
          + "); give PEM files, the key unencrypted in PKCS#8", e);
    }
  }

  @Override
  public String toString() {
    return "AgentChannel[" + hostId + " at " + host + ":" + port + (plaintext ? ", plaintext" : ", TLS") + "]";
  }
}
