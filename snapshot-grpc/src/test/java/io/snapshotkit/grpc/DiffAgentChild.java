package io.snapshotkit.grpc;

import io.snapshotkit.fs.FsHostAgent;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Child-JVM entry point for {@link StreamedDiffScaleIT}: serves an {@link FsHostAgent} over
 * loopback TLS, prints {@code PORT n}, and stops when its standard input closes (so it never
 * outlives the test JVM).
 */
final class DiffAgentChild {
  private DiffAgentChild() {}

  /** Args: repository, certificate PEM, key PEM. */
  public static void main(String[] args) throws IOException {
    try (FsHostAgent fs = FsHostAgent.rootedAt(Path.of(args[0]));
         AgentServer server = Loopback.server(fs, "h1", new TestCerts.Pem(Path.of(args[1]), Path.of(args[2]))).start()) {
      // the parent reads this line; System.out is this child's interface, not library logging
      System.out.println("PORT " + server.port());
      System.out.flush();
      while (System.in.read() >= 0) {
        // until the parent closes our stdin
      }
    }
  }
}
