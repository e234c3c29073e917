package io.snapshotkit.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.RestoreMode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.CaptureResult;
import io.snapshotkit.spi.DeleteOutcome;
import io.snapshotkit.spi.RestoreRequest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What crosses the wire besides the happy path: every SPI value round-trips, every ErrorCode the
 * agent throws reaches the control plane unchanged, an agent's bug is INTERNAL and the server
 * serves on, deadlines and unreachable hosts are HOST_UNAVAILABLE, retries happen only where the
 * SPI says a call is idempotent and moves no data, and shutdown lets the calls in flight finish.
 */
class AgentFailuresTest {
  private static final SnapshotId ID = SnapshotId.generate(Instant.parse("2026-01-01T00:00:00Z"), new SplittableRandom(1));
  private static final SnapshotId PARENT = SnapshotId.generate(Instant.parse("2025-12-31T00:00:00Z"), new SplittableRandom(2));
  @TempDir static Path certs;
  private static TestCerts.Pem cert;
  private ScriptedAgent agent;
  private AgentServer server;
  private RemoteHostAgent remote;

  @BeforeAll
  static void certificates() {
    cert = TestCerts.create(certs, "agent");
  }

  @BeforeEach
  void start() {
    agent = new ScriptedAgent();
    server = Loopback.server(agent, "h1", cert).start();
    remote = Loopback.client(server, cert.certificate()).build();
  }

  @AfterEach
  void stop() {
    CountDownLatch g = agent.gate;
    if (g != null) {
      g.countDown();
    }
    remote.close();
    server.close();
  }

  @Test
  @DisplayName("requests and answers of every call cross the wire intact: manifests (JSON documents, nanoseconds, partial), restore outcomes with coded failures, delete and size answers")
  void valuesRoundTrip() {
    CaptureResult captured = remote.capture(new CaptureRequest(ScriptedAgent.W, ID, Optional.of(PARENT),
        Optional.of("image:v3"), true));
    assertEquals(new CaptureRequest(ScriptedAgent.W, ID, Optional.of(PARENT), Optional.of("image:v3"), true), agent.lastCapture);
    assertEquals(ScriptedAgent.MANIFEST, captured.manifest());
    assertEquals(1234, captured.sizeBytes());
    assertEquals(ScriptedAgent.MANIFEST, remote.describe(ScriptedAgent.W));

    RestoreRequest request = new RestoreRequest(ScriptedAgent.W, ID, ScriptedAgent.MANIFEST, RestoreMode.ADDITIVE,
        Optional.of("/restore/here"), List.of("users:alice", "groups"));
    assertEquals(ScriptedAgent.OUTCOME, remote.restore(request));
    assertEquals(request, agent.lastRestore);
    remote.preflight(request);

    assertEquals(DeleteOutcome.NOT_FOUND, remote.delete(ScriptedAgent.W, ID));
    assertEquals(OptionalLong.of(42), remote.sizeOf(ScriptedAgent.W, ID));
    assertEquals(new AgentIdentity("h1", "snapshotkit.agent.v1", false), remote.identify());
  }

  @Test
  @DisplayName("every ErrorCode the agent throws reaches the control plane with its code and message (NOT_FOUND stays NOT_FOUND)")
  void everyErrorCodeRoundTrips() {
    for (ErrorCode code : ErrorCode.values()) {
      agent.failure = new SnapshotException(code, "the agent says " + code + "; do this next");
      SnapshotException e = assertThrows(SnapshotException.class, () -> remote.describe(ScriptedAgent.W));
      assertEquals(code, e.code());
      assertEquals("the agent says " + code + "; do this next", e.getMessage());
      assertEquals(Statuses.statusOf(code), ((io.grpc.StatusRuntimeException) e.getCause()).getStatus().getCode());
    }
  }

  @Test
  @DisplayName("an agent's unexpected exception is INTERNAL naming the host, and the server serves on")
  void agentBugIsInternal() {
    agent.failure = new IllegalStateException("boom");
    SnapshotException e = assertThrows(SnapshotException.class, () -> remote.delete(ScriptedAgent.W, ID));
    assertEquals(ErrorCode.INTERNAL, e.code());
    assertTrue(e.getMessage().startsWith("delete on host h1 failed unexpectedly (IllegalStateException)"), e.getMessage());
    agent.failure = null;
    assertEquals(DeleteOutcome.NOT_FOUND, remote.delete(ScriptedAgent.W, ID));
  }

  @Test
  @DisplayName("an agent that does not answer within the timeout is HOST_UNAVAILABLE, and the call returns at the deadline")
  void deadlineIsHostUnavailable() {
    agent.gate = new CountDownLatch(1);
    try (RemoteHostAgent impatient = Loopback.client(server, cert.certificate()).timeout(Duration.ofMillis(300)).build()) {
      long start = System.nanoTime();
      SnapshotException e = assertThrows(SnapshotException.class, () -> impatient.sizeOf(ScriptedAgent.W, ID));
      long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertEquals(ErrorCode.HOST_UNAVAILABLE, e.code());
      assertTrue(e.getMessage().startsWith("host h1 (127.0.0.1:" + server.port() + ") did not answer the size of snapshot "
          + ID + " within PT0.3S"), e.getMessage());
      assertTrue(took < 3000, "returned after " + took + " ms");
    }
  }

  @Test
  @DisplayName("a host where nothing listens is HOST_UNAVAILABLE naming it and its address")
  void unreachableIsHostUnavailable() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    try (RemoteHostAgent nobody = Loopback.client("h9", port, cert.certificate()).build()) {
      SnapshotException e = assertThrows(SnapshotException.class, () -> nobody.delete(ScriptedAgent.W, ID));
      assertEquals(ErrorCode.HOST_UNAVAILABLE, e.code());
      assertTrue(e.getMessage().startsWith("host h9 (127.0.0.1:" + port + ") is unreachable for the delete of snapshot"),
          e.getMessage());
    }
  }

  /** Fails the first call of every method with a bare UNAVAILABLE, as a dropped connection would. */
  private static final class FirstCallFails implements ServerInterceptor {
    final Set<String> failed = ConcurrentHashMap.newKeySet();

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
      if (failed.add(call.getMethodDescriptor().getFullMethodName())) {
        call.close(Status.UNAVAILABLE.withDescription("connection dropped"), new Metadata());
        return new ServerCall.Listener<>() {};
      }
      return next.startCall(call, headers);
    }
  }

  @Test
  @DisplayName("read-only and idempotent calls are retried after a transport failure; capture and restore are not, nor a failure the agent answered")
  void retriesOnlyWhereIdempotent() throws IOException {
    ExecutorService executor = Executors.newCachedThreadPool();
    FirstCallFails flaky = new FirstCallFails();
    Server raw = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), InsecureServerCredentials.create())
        .executor(executor)
        .addService(ServerInterceptors.intercept(new AgentService(agent, Optional.empty(), "h1", executor).definition(), flaky))
        .build().start();
    int port = ((InetSocketAddress) raw.getListenSockets().get(0)).getPort();
    try (RemoteHostAgent client = RemoteHostAgent.builder().hostId("h1").target("127.0.0.1", port).plaintext()
        .token(Loopback.TOKEN).build()) {
      assertEquals(OptionalLong.of(42), client.sizeOf(ScriptedAgent.W, ID));
      assertEquals(DeleteOutcome.NOT_FOUND, client.delete(ScriptedAgent.W, ID));
      assertEquals(ScriptedAgent.MANIFEST, client.describe(ScriptedAgent.W));
      assertEquals(3, agent.calls.get(), "each retried once, reaching the agent once");

      SnapshotException capture = assertThrows(SnapshotException.class, () -> client.capture(
          new CaptureRequest(ScriptedAgent.W, ID, Optional.empty(), Optional.empty(), false)));
      assertEquals(ErrorCode.HOST_UNAVAILABLE, capture.code());
      RestoreRequest restore = new RestoreRequest(ScriptedAgent.W, ID, ScriptedAgent.MANIFEST, RestoreMode.REPLACE,
          Optional.empty(), List.of());
      assertEquals(ErrorCode.HOST_UNAVAILABLE, assertThrows(SnapshotException.class, () -> client.restore(restore)).code());
      assertEquals(3, agent.calls.get(), "capture and restore were not retried");

      agent.failure = new SnapshotException(ErrorCode.HOST_UNAVAILABLE, "the agent's disk array is offline");
      agent.calls.set(0);
      assertEquals("the agent's disk array is offline",
          assertThrows(SnapshotException.class, () -> client.describe(ScriptedAgent.W)).getMessage());
      assertEquals(1, agent.calls.get(), "an answer from the agent is not retried");
    } finally {
      raw.shutdownNow();
      executor.shutdownNow();
    }
  }

  /** The failure of a new client's call, retried for up to 10 s while the server still answers. */
  private SnapshotException refusedOnceClosing() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try (RemoteHostAgent late = Loopback.client(server.hostId(), server.port(), cert.certificate()).build()) {
        late.identify();
      } catch (SnapshotException e) {
        return e;
      }
      assertTrue(System.nanoTime() < deadline, "the server still took new calls 10 s after close() began");
      Thread.sleep(10);
    }
  }

  @Test
  @DisplayName("close() refuses new calls, lets the call in flight finish with its answer, then returns")
  void gracefulShutdownFinishesCallsInFlight() throws Exception {
    agent.gate = new CountDownLatch(1);
    ExecutorService caller = Executors.newFixedThreadPool(2);
    try {
      Future<OptionalLong> inFlight = caller.submit(() -> remote.sizeOf(ScriptedAgent.W, ID));
      while (agent.calls.get() == 0) {
        Thread.sleep(5);
      }
      Future<?> closing = caller.submit(server::close);
      // close() runs on a pool thread that may not have started yet: new calls succeed until it has
      assertEquals(ErrorCode.HOST_UNAVAILABLE, refusedOnceClosing().code(), "a shutting-down server takes no new call");
      assertTrue(!closing.isDone(), "close waits for the call in flight");
      agent.gate.countDown();
      assertEquals(OptionalLong.of(42), inFlight.get(10, TimeUnit.SECONDS));
      closing.get(10, TimeUnit.SECONDS);
    } finally {
      caller.shutdownNow();
    }
  }

  @Test
  @DisplayName("verify against an agent without HostVerify answers PRESENT from the agent's sizeOf; a sample outside (0, 1] is INVALID_ARGUMENT before any call")
  void verifyOfAnAgentWithoutHostVerify() {
    assertEquals(io.snapshotkit.spi.VerifyOutcome.present(), remote.verify(ScriptedAgent.W, ID, 0.5));
    int before = agent.calls.get();
    SnapshotException e = assertThrows(SnapshotException.class, () -> remote.verify(ScriptedAgent.W, ID, 0));
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    assertTrue(e.getMessage().contains("above 0 and at most 1"), e.getMessage());
    assertEquals(before, agent.calls.get(), "refused on the client, no call");
  }
}
