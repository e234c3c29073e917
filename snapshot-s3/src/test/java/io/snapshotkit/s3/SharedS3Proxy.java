package io.snapshotkit.s3;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One S3Proxy for every test class of a test JVM that does not kill its server: starting one
 * costs a JVM start and 5 to 15 s of Jetty and jclouds initialisation, so each test takes a fresh
 * bucket ({@link S3ProxyServer#newBucket()}) on the shared server instead of a server of its own.
 * Tests that stop or kill the server ({@code S3FaultsIT}, {@code S3EngineFaultIT}, {@code
 * S3QuotaIT}) start their own.
 *
 * <p>JUnit Jupiter classes use it as an extension ({@code @ExtendWith(SharedS3Proxy.class)}): the
 * server is an {@link AutoCloseable} resource in the root context's store, so JUnit stops it (SIGKILL) once, when
 * the last test of the JVM ran. jqwik properties, which have no Jupiter extension context, call
 * {@link #server()} directly; a JVM shutdown hook then stops a server no root context owns.
 */
final class SharedS3Proxy implements BeforeAllCallback {
  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(SharedS3Proxy.class);
  private static S3ProxyServer server;
  private static Path dir;

  /** The shared server, started on first use. */
  static synchronized S3ProxyServer server() {
    if (server == null) {
      try {
        dir = Files.createTempDirectory("shared-s3proxy");
        S3ProxyServer s = new S3ProxyServer(dir).start();
        server = s;
        Runtime.getRuntime().addShutdownHook(new Thread(SharedS3Proxy::stop, "shared-s3proxy-stop"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while S3Proxy started", e);
      }
    }
    return server;
  }

  private static synchronized void stop() {
    if (server != null) {
      server.stop();
      server = null;
      ObjectCache.deleteTree(dir);
    }
  }

  /** Starts the server if needed and ties its stop to the end of the whole test run. */
  @Override
  public void beforeAll(ExtensionContext context) {
    context.getRoot().getStore(NS).getOrComputeIfAbsent("server", k -> {
      server();
      return (AutoCloseable) SharedS3Proxy::stop;
    });
  }
}
