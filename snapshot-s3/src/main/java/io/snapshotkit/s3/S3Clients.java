package io.snapshotkit.s3;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.ProxyConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.s3.S3Client;

/** Builds the SDK client of a store from its settings: HTTP client, retries, checksums, addressing. */
final class S3Clients {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);

  private S3Clients() {}

  /**
   * Whether the endpoint is plain HTTP (a MinIO, Ceph or S3Proxy on the local network) and no
   * proxy is configured for the SDK's client (system properties or environment, as its builder
   * reads them). Such a client gets a connection factory of its own, since {@code
   * UrlConnectionHttpClient}'s builder makes a TLS context in its constructor whether or not the
   * endpoint uses TLS: it loads and parses the JDK's trust store and sets up JSSE, about 60% of
   * the client's construction in a fresh process (a JFR profile with the bench's class data sharing
   * archive; the store's start-up went from 665 to 549 ms, median of 8). The factory opens the connection exactly as that client does when no proxy
   * applies ({@code uri.toURL().openConnection()}, so the JDK's own proxy selector still
   * applies) and sets the same timeouts; HTTPS endpoints (AWS S3) keep the builder's client.
   */
  static boolean plainHttpWithoutProxy(URI endpoint) {
    return endpoint != null && "http".equalsIgnoreCase(endpoint.getScheme())
        && ProxyConfiguration.builder().build().host() == null;
  }

  /** A connection of the plain-HTTP client: what the SDK's client opens without a proxy, with its timeouts. */
  private static HttpURLConnection plainConnection(URI uri) {
    try {
      HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
      c.setConnectTimeout((int) CONNECT_TIMEOUT.toMillis());
      c.setReadTimeout((int) READ_TIMEOUT.toMillis());
      return c;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The client for these settings; {@code endpoint}, {@code region}, {@code pathStyle} and {@code
   * credentials} may be null for the SDK's defaults.
   *
   * @throws SnapshotException INVALID_ARGUMENT if the SDK cannot configure it (no region found)
   */
  static S3Client create(String bucket, URI endpoint, String region, Boolean pathStyle,
      AwsCredentialsProvider credentials, int maxAttempts, Duration retryBaseDelay) {
    var client = S3Client.builder();
    if (plainHttpWithoutProxy(endpoint)) {
      client.httpClient(UrlConnectionHttpClient.create(S3Clients::plainConnection));
    } else {
      client.httpClientBuilder(UrlConnectionHttpClient.builder()
          .connectionTimeout(CONNECT_TIMEOUT).socketTimeout(READ_TIMEOUT));
    }
    client.overrideConfiguration(ClientOverrideConfiguration.builder()
        .retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder().maxAttempts(maxAttempts)
            .backoffStrategy(BackoffStrategy.exponentialDelay(retryBaseDelay, Duration.ofSeconds(20)))
            .throttlingBackoffStrategy(BackoffStrategy.exponentialDelay(retryBaseDelay, Duration.ofSeconds(20)))
            .circuitBreakerEnabled(false).build())
        .build())
        // S3-compatible services do not all take the SDK's default trailing checksums; the
        // repository verifies every content against its SHA-256 anyway
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .forcePathStyle(pathStyle != null ? pathStyle : endpoint != null)
        .credentialsProvider(credentials != null ? credentials : DefaultCredentialsProvider.builder().build());
    if (endpoint != null) {
      client.endpointOverride(endpoint);
    }
    if (region != null) {
      client.region(Region.of(region));
    }
    try {
      return client.build();
    } catch (SdkException e) {
      throw new SnapshotException(ErrorCode.INVALID_ARGUMENT, "cannot configure the S3 client for bucket " + bucket
          + " (" + e.getMessage() + "); set the region and credentials", e);
    }
  }
}
