package io.snapshotkit.s3;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;

/**
 * A real S3 API server for the tests: S3Proxy 2.6.0 (filesystem backend, AWS v2/v4 signatures)
 * run from its self-contained jar as a child JVM on a free loopback port. The build copies the jar
 * to {@code target/s3proxy/s3proxy.jar} (system property {@code s3proxy.jar}). {@link #stop()}
 * kills it (SIGKILL); {@link #start()} starts it again on the same port and data directory.
 */
final class S3ProxyServer implements AutoCloseable {
  static final String IDENTITY = "test-identity";
  static final String CREDENTIAL = "test-credential";

  private final Path dir;
  private final int port;
  private Process process;

  S3ProxyServer(Path dir) throws IOException {
    this.dir = dir;
    Files.createDirectories(dir.resolve("data"));
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      this.port = s.getLocalPort();
    }
    Files.writeString(dir.resolve("s3proxy.properties"), String.join("\n",
        "s3proxy.endpoint=http://127.0.0.1:" + port,
        "s3proxy.authorization=aws-v2-or-v4",
        "s3proxy.identity=" + IDENTITY,
        "s3proxy.credential=" + CREDENTIAL,
        "jclouds.provider=filesystem",
        "jclouds.identity=" + IDENTITY,
        "jclouds.credential=" + CREDENTIAL,
        "jclouds.filesystem.basedir=" + dir.resolve("data")) + "\n");
  }

  static Path jar() {
    String p = System.getProperty("s3proxy.jar", "target/s3proxy/s3proxy.jar");
    Path jar = Path.of(p);
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("S3Proxy jar not found at " + jar + "; run the tests through Maven, which copies it");
    }
    return jar;
  }

  /** Starts the server and waits until it accepts connections. */
  S3ProxyServer start() throws IOException, InterruptedException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder pb = new ProcessBuilder(List.of(java.toString(), "-Xmx256m", "-XX:TieredStopAtLevel=1", "-jar",
        jar().toString(), "--properties", dir.resolve("s3proxy.properties").toString()))
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("s3proxy.log").toFile()));
    pb.environment().put("LOG_LEVEL", "debug"); // one log line per request: see requests()
    process = pb.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("S3Proxy exited: " + Files.readString(dir.resolve("s3proxy.log")));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return this;
      } catch (IOException e) {
        Thread.sleep(100);
      }
    }
    throw new IllegalStateException("S3Proxy did not start within 60 s: " + Files.readString(dir.resolve("s3proxy.log")));
  }

  /** Kills the server at once (SIGKILL), as a crash or a network cut would look to a client. */
  void stop() {
    if (process != null) {
      process.destroyForcibly();
      try {
        process.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process = null;
    }
  }

  /**
   * The requests the server received so far, in order, as {@code METHOD /bucket/key?query} (from
   * its log, one line per request).
   */
  List<String> requests() throws IOException {
    List<String> out = new java.util.ArrayList<>();
    java.util.regex.Pattern p = java.util.regex.Pattern.compile("request: Request\\((\\w+) http://[^/]+(/[^)]*)\\)");
    for (String line : Files.readAllLines(dir.resolve("s3proxy.log"))) {
      java.util.regex.Matcher m = p.matcher(line);
      if (m.find()) {
        out.add(m.group(1) + " " + m.group(2));
      }
    }
    return out;
  }

  URI endpoint() {
    return URI.create("http://127.0.0.1:" + port);
  }

  int port() {
    return port;
  }

  /** Creates a bucket with a fresh name and returns the name. */
  String newBucket() {
    String name = "b-" + UUID.randomUUID().toString().substring(0, 8);
    try (S3Client c = client()) {
      c.createBucket(CreateBucketRequest.builder().bucket(name).build());
    }
    return name;
  }

  S3Client client() {
    return S3Client.builder().endpointOverride(endpoint()).region(Region.US_EAST_1).forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(IDENTITY, CREDENTIAL)))
        .build();
  }

  /**
   * Waits until a part of a multipart upload in {@code bucket} is stored (ListMultipartUploads,
   * then ListParts; a part still being written answers 400 here, and counts as not stored yet).
   *
   * @return false if none was within the timeout
   */
  boolean awaitStoredPart(String bucket, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    try (S3Client c = client()) {
      while (System.nanoTime() < deadline) {
        for (var m : c.listMultipartUploads(b -> b.bucket(bucket)).uploads()) {
          try {
            if (!c.listParts(b -> b.bucket(bucket).key(m.key()).uploadId(m.uploadId())).parts().isEmpty()) {
              return true;
            }
          } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
            // the part is being written, or the upload ended meanwhile: look again
          }
        }
        Thread.sleep(20);
      }
    }
    return false;
  }

  /** A store builder for {@code bucket} on this server, with the right credentials. */
  S3ObjectStore.Builder store(String bucket) {
    return S3ObjectStore.builder().endpoint(endpoint()).region("us-east-1").bucket(bucket).credentials(credentials());
  }

  static StaticCredentialsProvider credentials() {
    return StaticCredentialsProvider.create(AwsBasicCredentials.create(IDENTITY, CREDENTIAL));
  }

  @Override
  public void close() {
    stop();
  }
}
