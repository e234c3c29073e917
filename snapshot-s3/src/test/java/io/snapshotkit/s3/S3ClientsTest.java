package io.snapshotkit.s3;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Which HTTP client a store gets: the connection factory without a TLS context only for a plain
 * HTTP endpoint that no proxy setting applies to (the ITs run every request through it, against
 * S3Proxy on loopback); HTTPS endpoints and proxied ones keep the SDK builder's client.
 */
class S3ClientsTest {
  @Test
  @DisplayName("a plain HTTP endpoint without a proxy gets the client without a TLS context; HTTPS and AWS keep the builder's")
  void plainHttpOnly() {
    assertTrue(S3Clients.plainHttpWithoutProxy(URI.create("http://127.0.0.1:9000")));
    assertFalse(S3Clients.plainHttpWithoutProxy(URI.create("https://minio.example:9000")));
    assertFalse(S3Clients.plainHttpWithoutProxy(null), "AWS S3's own endpoints are HTTPS");
  }

  @Test
  @DisplayName("a proxy set in the system properties keeps the builder's client, which applies the SDK's proxy settings")
  void aConfiguredProxyKeepsTheBuildersClient() {
    String before = System.getProperty("http.proxyHost");
    System.setProperty("http.proxyHost", "proxy.example");
    try {
      assertFalse(S3Clients.plainHttpWithoutProxy(URI.create("http://127.0.0.1:9000")));
    } finally {
      if (before == null) {
        System.clearProperty("http.proxyHost");
      } else {
        System.setProperty("http.proxyHost", before);
      }
    }
  }
}
