package io.snapshotkit.s3;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import java.net.URI;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.s3.S3Client;

/** Builds the SDK client of a store from its settings: HTTP client, retries, checksums, addressing. */
final class S3Clients {
  private S3Clients() {}

  /**
   * The client for these settings; {@code endpoint}, {@code region}, {@code pathStyle} and {@code
   * credentials} may be null for the SDK's defaults.
   *
   * @throws SnapshotException INVALID_ARGUMENT if the SDK cannot configure it (no region found)
   */
  static S3Client create(String bucket, URI endpoint, String region, Boolean pathStyle,
      AwsCredentialsProvider credentials, int maxAttempts, Duration retryBaseDelay) {
    var client = S3Client.builder()
        .httpClientBuilder(UrlConnectionHttpClient.builder()
            .connectionTimeout(Duration.ofSeconds(5)).socketTimeout(Duration.ofSeconds(60)))
        .overrideConfiguration(ClientOverrideConfiguration.builder()
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
