package io.snapshotkit.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.Manifest;
import io.snapshotkit.Resource;
import io.snapshotkit.RestoreMode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.SnapshotEngine;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.grpc.internal.v1.CaptureRequest;
import io.snapshotkit.grpc.internal.v1.IdentifyRequest;
import io.snapshotkit.spi.HostDirectory;
import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.spi.RestoreRequest;
import io.snapshotkit.testkit.InMemoryManifestStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input at an agent: an unknown or missing token, a certificate the client does not trust,
 * a missing client certificate under mutual TLS, an oversized message, bytes that are not a
 * message and a message that breaks the SPI's rules. Each is refused with a clear error, and the
 * agent keeps serving a well-behaved client afterwards.
 */
class AgentSecurityTest {
  private static final WorkloadRef W = WorkloadRef.of("acme", "app");
  @TempDir static Path certs;
  private static TestCerts.Pem agentCert;
  private static TestCerts.Pem otherCa;
  private static TestCerts.Pem clientCert;
  @TempDir Path dir;
  private FsHostAgent fs;
  private AgentServer server;

  @BeforeAll
  static void certificates() {
    agentCert = TestCerts.create(certs, "agent");
    otherCa = TestCerts.create(certs, "other");
    clientCert = TestCerts.create(certs, "control-plane");
  }

  @BeforeEach
  void start() throws IOException {
    fs = FsHostAgent.rootedAt(dir.resolve("repo"));
    Path data = dir.resolve("live/data");
    Files.createDirectories(data);
    Files.writeString(data.resolve("a.txt"), "alpha");
    fs.track(W, Map.of("data", data));
    server = Loopback.server(fs, "h1", agentCert).maxInboundMessageSize(64 * 1024).start();
  }

  @AfterEach
  void stop() {
    server.close();
    fs.close();
  }

  /** The agent still answers a well-behaved client. */
  private void stillServes() {
    try (RemoteHostAgent good = Loopback.client(server, agentCert.certificate()).build()) {
      assertEquals(new AgentIdentity("h1", "snapshotkit.agent.v1", true), good.identify());
    }
  }

  @Test
  @DisplayName("an unknown token: the engine sees FORBIDDEN naming the host and the token (not INTERNAL), and the agent serves on")
  void unknownTokenIsForbiddenAtTheEngine() {
    try (RemoteHostAgent wrong = Loopback.client(server, agentCert.certificate()).token(Loopback.OTHER_TOKEN).build();
        SnapshotEngine engine = SnapshotEngine.builder().manifestStore(new InMemoryManifestStore())
            .hosts(HostDirectory.single(wrong)).lifecycle(Lifecycle.none()).clock(Clock.systemUTC())
            .executor(Runnable::run).random(new SplittableRandom(1)).build()) {
      SnapshotException e = assertThrows(SnapshotException.class, () -> engine.capture(CaptureSpec.of(W)));
      assertEquals(ErrorCode.FORBIDDEN, e.code(), e.getMessage());
      assertTrue(e.getMessage().contains("host h1 (127.0.0.1:" + server.port() + ")"), e.getMessage());
      assertTrue(e.getMessage().contains("refused this control plane's token"), e.getMessage());
      assertTrue(!e.getMessage().contains(Loopback.OTHER_TOKEN) && !e.getMessage().contains(Loopback.TOKEN),
          "the message never shows a token");
    }
    assertEquals(List.of(), fs.snapshots(W), "the agent never ran the capture");
    stillServes();
  }

  @Test
  @DisplayName("a call without any token is UNAUTHENTICATED before it reaches the agent")
  void missingTokenIsUnauthenticated() throws IOException {
    ManagedChannel raw = io.grpc.Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
        TlsChannelCredentials.newBuilder().trustManager(agentCert.certificate().toFile()).build()).build();
    try {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
          raw, AgentMethods.IDENTIFY, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
          IdentifyRequest.getDefaultInstance()));
      assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
      assertEquals("the call carries no bearer token", e.getStatus().getDescription());
    } finally {
      raw.shutdownNow();
    }
    stillServes();
  }

  @Test
  @DisplayName("a call meant for another host is refused naming both hosts, so one agent cannot confirm a delete for another")
  void callForAnotherHostIsRefused() {
    try (RemoteHostAgent misrouted = Loopback.client("h2", server.port(), agentCert.certificate()).build()) {
      SnapshotException e = assertThrows(SnapshotException.class, () -> misrouted.delete(W, SnapshotId.generate(
          Instant.parse("2026-01-01T00:00:00Z"), new SplittableRandom(5))));
      assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), e.getMessage());
      assertTrue(e.getMessage().contains("this agent serves host h1, not h2"), e.getMessage());
      assertTrue(e.getMessage().startsWith("host h2 (127.0.0.1:" + server.port() + ")"), e.getMessage());
      assertThrows(SnapshotException.class, misrouted::identify);
    }
    stillServes();
  }

  @Test
  @DisplayName("a client trusting another CA fails HOST_UNAVAILABLE with a message about the TLS handshake naming the host")
  void wrongCertificateFailsClearly() {
    try (RemoteHostAgent wrong = Loopback.client(server, otherCa.certificate()).build()) {
      SnapshotException e = assertThrows(SnapshotException.class, wrong::identify);
      assertEquals(ErrorCode.HOST_UNAVAILABLE, e.code(), e.getMessage());
      assertTrue(e.getMessage().startsWith("host h1 (127.0.0.1:" + server.port() + "): the TLS handshake for identify failed"),
          e.getMessage());
      assertTrue(e.getMessage().contains("issued by a CA this control plane trusts"), e.getMessage());
    }
    stillServes();
  }

  @Test
  @DisplayName("under mutual TLS a client without a trusted certificate cannot connect, one with it can")
  void mutualTls() {
    try (AgentServer mtls = Loopback.server(fs, "h2", agentCert).clientCertificates(clientCert.certificate()).start()) {
      try (RemoteHostAgent anonymous = Loopback.client(mtls, agentCert.certificate()).build()) {
        SnapshotException e = assertThrows(SnapshotException.class, anonymous::identify);
        assertEquals(ErrorCode.HOST_UNAVAILABLE, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains("host h2"), e.getMessage());
      }
      try (RemoteHostAgent untrusted = Loopback.client(mtls, agentCert.certificate())
          .clientCertificate(otherCa.certificate(), otherCa.privateKey()).build()) {
        assertEquals(ErrorCode.HOST_UNAVAILABLE, assertThrows(SnapshotException.class, untrusted::identify).code());
      }
      try (RemoteHostAgent trusted = Loopback.client(mtls, agentCert.certificate())
          .clientCertificate(clientCert.certificate(), clientCert.privateKey()).build()) {
        assertEquals("h2", trusted.identify().hostId());
      }
    }
  }

  @Test
  @DisplayName("a request over the server's size limit is refused INVALID_ARGUMENT naming the limit, and the server serves on")
  void oversizedMessageIsRefused() {
    String big = "x".repeat(100 * 1024);
    Manifest manifest = Manifest.of(Instant.parse("2026-01-01T00:00:00Z"), W, false,
        Map.of("files", List.of(new Resource("r", "r", JsonNodeFactory.instance.objectNode().put("blob", big)))));
    SnapshotId id = SnapshotId.generate(Instant.parse("2026-01-01T00:00:00Z"), new SplittableRandom(3));
    try (RemoteHostAgent client = Loopback.client(server, agentCert.certificate()).build()) {
      SnapshotException e = assertThrows(SnapshotException.class, () -> client.preflight(
          new RestoreRequest(W, id, manifest, RestoreMode.REPLACE, Optional.empty(), List.of())));
      assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), e.getMessage());
      assertTrue(e.getMessage().contains("exceeded the size limit"), e.getMessage());
      assertEquals("h1", client.identify().hostId(), "the same connection still works");
    }
    stillServes();
  }

  /** Sends raw bytes as the request of {@code fullMethodName}. */
  private static StatusRuntimeException raw(int port, String fullMethodName, byte[] body) throws IOException {
    MethodDescriptor.Marshaller<byte[]> bytes = new MethodDescriptor.Marshaller<>() {
      @Override
      public InputStream stream(byte[] value) {
        return new ByteArrayInputStream(value);
      }

      @Override
      public byte[] parse(InputStream stream) {
        try {
          return stream.readAllBytes();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    };
    MethodDescriptor<byte[], byte[]> method = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName(fullMethodName)
        .setRequestMarshaller(bytes).setResponseMarshaller(bytes).build();
    Metadata headers = new Metadata();
    headers.put(BearerTokens.AUTHORIZATION, BearerTokens.header(Loopback.TOKEN));
    ManagedChannel channel = io.grpc.Grpc.newChannelBuilderForAddress("127.0.0.1", port,
        TlsChannelCredentials.newBuilder().trustManager(agentCert.certificate().toFile()).build())
        .intercept(MetadataUtils.newAttachHeadersInterceptor(headers)).build();
    try {
      return assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
          channel, method, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), body));
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  @DisplayName("bytes that are not a protobuf message are refused without reaching the agent, and the server serves on")
  void garbageBytesAreRefused() throws IOException {
    byte[] garbage = "\u00ff\u00ff\u00ff\u00ff not a message".getBytes(StandardCharsets.ISO_8859_1);
    StatusRuntimeException e = raw(server.port(), AgentMethods.CAPTURE.getFullMethodName(), garbage);
    // gRPC itself answers a request its marshaller cannot parse (UNKNOWN in 1.85, INTERNAL in
    // some releases); the call never reaches the service.
    assertTrue(Set.of(Status.Code.UNKNOWN, Status.Code.INTERNAL).contains(e.getStatus().getCode()), e.toString());
    assertEquals(List.of(), fs.snapshots(W));
    stillServes();
  }

  @Test
  @DisplayName("a well-formed message that breaks the SPI's rules (missing workload, bad snapshot id, unknown method) is refused INVALID_ARGUMENT or UNIMPLEMENTED")
  void messagesBreakingTheRulesAreRefused() throws IOException {
    StatusRuntimeException noWorkload = raw(server.port(), AgentMethods.CAPTURE.getFullMethodName(),
        CaptureRequest.newBuilder().setSnapshotId("01KDVDNA01XJ4G4Q61M5JRXV37").build().toByteArray());
    assertEquals(Status.Code.INVALID_ARGUMENT, noWorkload.getStatus().getCode());
    assertTrue(noWorkload.getStatus().getDescription().contains("the field 'workload' is missing"), noWorkload.toString());

    StatusRuntimeException badId = raw(server.port(), AgentMethods.CAPTURE.getFullMethodName(),
        CaptureRequest.newBuilder().setWorkload(Wire.workload(W)).setSnapshotId("not-an-id").build().toByteArray());
    assertEquals(Status.Code.INVALID_ARGUMENT, badId.getStatus().getCode());
    assertTrue(badId.getStatus().getDescription().contains("snapshot id"), badId.toString());

    StatusRuntimeException unknown = raw(server.port(), AgentMethods.SERVICE + "/Format", new byte[0]);
    assertEquals(Status.Code.UNIMPLEMENTED, unknown.getStatus().getCode());
    assertEquals(List.of(), fs.snapshots(W), "the agent ran none of them");
    stillServes();
  }

  @Test
  @DisplayName("a tenant or workload id crafted to escape the repository (../, absolute, NUL) is refused INVALID_ARGUMENT, touches nothing, and the agent serves on")
  void idsCraftedToEscapeTheRepositoryAreRefused() throws IOException {
    List<String> before = tree(dir);
    String id = "01KDVDNA01XJ4G4Q61M5JRXV37";
    // which id is crafted, and the workload naming it
    List<Map.Entry<String, io.snapshotkit.grpc.internal.v1.Workload>> crafted = List.of(
        Map.entry("tenant id", io.snapshotkit.grpc.internal.v1.Workload.newBuilder().setTenant("../../outside").setId("app").build()),
        Map.entry("workload id", io.snapshotkit.grpc.internal.v1.Workload.newBuilder().setTenant("acme").setId("../../../etc").build()),
        Map.entry("tenant id", io.snapshotkit.grpc.internal.v1.Workload.newBuilder().setTenant("/etc").setId("app").build()),
        Map.entry("workload id", io.snapshotkit.grpc.internal.v1.Workload.newBuilder().setTenant("acme").setId("app\u0000/../x").build()));
    for (Map.Entry<String, io.snapshotkit.grpc.internal.v1.Workload> c : crafted) {
      Map<String, byte[]> requests = Map.of(
          AgentMethods.CAPTURE.getFullMethodName(),
          CaptureRequest.newBuilder().setWorkload(c.getValue()).setSnapshotId(id).build().toByteArray(),
          AgentMethods.DELETE.getFullMethodName(), io.snapshotkit.grpc.internal.v1.DeleteRequest.newBuilder()
              .setWorkload(c.getValue()).setSnapshotId(id).build().toByteArray(),
          AgentMethods.DESCRIBE.getFullMethodName(), io.snapshotkit.grpc.internal.v1.DescribeRequest.newBuilder()
              .setWorkload(c.getValue()).build().toByteArray(),
          AgentMethods.TRACK_VOLUMES.getFullMethodName(), io.snapshotkit.grpc.internal.v1.TrackVolumesRequest.newBuilder()
              .setWorkload(c.getValue()).addVolumes(io.snapshotkit.grpc.internal.v1.Volume.newBuilder()
                  .setName("data").setDirectory(dir.resolve("live/data").toString())).build().toByteArray());
      for (Map.Entry<String, byte[]> r : requests.entrySet()) {
        StatusRuntimeException e = raw(server.port(), r.getKey(), r.getValue());
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), r.getKey() + ": " + e);
        assertTrue(e.getStatus().getDescription().contains(c.getKey()), r.getKey() + ": " + e);
      }
    }
    assertEquals(before, tree(dir), "nothing was created, moved or removed");
    stillServes();
  }

  /** Every path under {@code root}, relative, sorted. */
  private static List<String> tree(Path root) throws IOException {
    try (java.util.stream.Stream<Path> walk = Files.walk(root)) {
      return walk.map(p -> root.relativize(p).toString()).sorted().toList();
    }
  }
}
