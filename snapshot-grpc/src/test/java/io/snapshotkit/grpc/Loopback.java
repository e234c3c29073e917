package io.snapshotkit.grpc;

import io.snapshotkit.spi.HostAgent;
import java.nio.file.Path;
import java.time.Duration;

/** Agent servers and their clients on the loopback interface, with TLS and a token, for tests. */
final class Loopback {
  static final String TOKEN = "token-of-control-plane-a-0123456789";
  static final String OTHER_TOKEN = "token-of-control-plane-b-9876543210";

  private Loopback() {}

  /** A TLS server for {@code agent} on a free loopback port, accepting {@link #TOKEN}. */
  static AgentServer.Builder server(HostAgent agent, String hostId, TestCerts.Pem cert) {
    return AgentServer.builder(agent).hostId(hostId).listen("127.0.0.1", 0)
        .tls(cert.certificate(), cert.privateKey()).token("control-plane-a", TOKEN)
        .shutdownGrace(Duration.ofSeconds(5));
  }

  /** A client of {@code server}, trusting {@code cert}, presenting {@link #TOKEN}. */
  static RemoteHostAgent.Builder client(AgentServer server, Path trusted) {
    return client(server.hostId(), server.port(), trusted);
  }

  static RemoteHostAgent.Builder client(String hostId, int port, Path trusted) {
    return RemoteHostAgent.builder().hostId(hostId).target("127.0.0.1", port).trust(trusted).token(TOKEN)
        .timeout(Duration.ofSeconds(10)).dataTimeout(Duration.ofSeconds(30));
  }
}
