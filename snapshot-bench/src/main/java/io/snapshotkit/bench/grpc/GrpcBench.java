package io.snapshotkit.bench.grpc;

import io.snapshotkit.Manifest;
import io.snapshotkit.RestoreMode;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.grpc.AgentServer;
import io.snapshotkit.grpc.RemoteHostAgent;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.CaptureResult;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.spi.RestoreRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The driver of {@code bench/grpc-bench.sh}: capture, restore and delete through gRPC
 * ({@link RemoteHostAgent} to an {@link AgentServer} over loopback TLS with a bearer token, as
 * deployed) against the same calls on the {@link FsHostAgent} in-process, side by side in one JVM.
 *
 * <pre>
 * GrpcBench WORK CORPUS [--reps N] [--calls M] [--small-only]
 * </pre>
 *
 * <ul>
 *   <li><b>capture</b>: {@code N} full captures of {@code CORPUS} each way, each into an empty
 *       repository (a new agent, and for gRPC a new server and client whose channel is opened by
 *       an untimed {@code identify} first: a control plane reuses its channel per host);</li>
 *   <li><b>restore</b>: {@code N} restores each way of one captured snapshot, from one agent (the
 *       server serves that very agent), each into a new empty directory;</li>
 *   <li><b>small calls</b>: {@code M} captures of a 20-file workload and {@code M} deletes each
 *       way, alternating call by call (and which goes first), after a warm-up; and {@code M} gRPC {@code identify} calls
 *       (no agent work: the protocol's own round trip). The served agent times its own part of
 *       each gRPC call, so the overhead splits into agent and protocol. {@code --small-only}
 *       runs this phase alone.</li>
 * </ul>
 *
 * <p>In-process and gRPC runs alternate (ABBA order for the large ones), so drift in the load of
 * the machine favours neither. Prints one line per run and a summary of medians with the ratio
 * gRPC / in-process. The agent's file reads run on a pool of {@code availableProcessors()}
 * threads, as in {@code FsBench}.
 *
 * <p><b>Threading:</b> a command-line program; the agent server runs its calls on its own threads.
 */
public final class GrpcBench {
  private static final WorkloadRef LARGE = WorkloadRef.of("bench", "corpus");
  private static final WorkloadRef SMALL = WorkloadRef.of("bench", "small");
  private static final String HOST = "h1";
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private final Path work;
  private final Path corpus;
  private final ExecutorService pool;
  private final Pem cert;
  private final String token;
  private final SplittableRandom ids = new SplittableRandom(42);
  private long idClock;

  private GrpcBench(Path work, Path corpus) {
    this.work = work;
    this.corpus = corpus;
    int threads = Runtime.getRuntime().availableProcessors();
    this.pool = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "grpcbench-read");
      t.setDaemon(true);
      return t;
    });
    this.cert = Pem.create(work.resolve("certs"));
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    this.token = HexFormat.of().formatHex(secret);
  }

  /**
   * Runs the benchmark.
   *
   * @param args {@code WORK CORPUS [--reps N] [--calls M] [--small-only]}
   */
  public static void main(String[] args) throws IOException {
    if (args.length < 2) {
      usage();
    }
    int reps = 5;
    int calls = 200;
    boolean large = true;
    for (int i = 2; i < args.length; i++) {
      switch (args[i]) {
        case "--reps" -> reps = Integer.parseInt(args[++i]);
        case "--calls" -> calls = Integer.parseInt(args[++i]);
        case "--small-only" -> large = false;
        default -> usage();
      }
    }
    GrpcBench bench = new GrpcBench(Path.of(args[0]).toAbsolutePath(), Path.of(args[1]).toAbsolutePath());
    try {
      bench.smallCalls(calls);
      if (large) {
        SnapshotId captured = bench.captures(reps);
        bench.restores(reps, captured);
      }
    } finally {
      bench.pool.shutdown();
    }
  }

  private static void usage() {
    System.err.println("usage: GrpcBench WORK CORPUS [--reps N] [--calls M] [--small-only]");
    System.exit(2);
  }

  // ------------------------------------------------------------------ the agent, both ways

  private FsHostAgent agent(Path repository) {
    return FsHostAgent.builder().repository(repository).executor(pool).build();
  }

  /** An agent server serving {@code agent} over loopback TLS, and a connected client of it. */
  private final class Remote implements AutoCloseable {
    final AgentServer server;
    final RemoteHostAgent client;

    Remote(HostAgent agent) {
      server = AgentServer.builder(agent).hostId(HOST).listen("127.0.0.1", 0)
          .tls(cert.certificate(), cert.privateKey()).token("bench", token).start();
      client = RemoteHostAgent.builder().hostId(HOST).target("127.0.0.1", server.port())
          .trust(cert.certificate()).token(token).timeout(Duration.ofSeconds(60)).dataTimeout(Duration.ofHours(1))
          .build();
      client.identify(); // opens the channel (TLS handshake), as a control plane's first call did long ago
    }

    @Override
    public void close() {
      client.close();
      server.close();
    }
  }

  private SnapshotId nextId() {
    return SnapshotId.generate(T0.plusSeconds(idClock++), ids.split());
  }

  private static CaptureRequest capture(WorkloadRef w, SnapshotId id) {
    return new CaptureRequest(w, id, Optional.empty(), Optional.empty(), false);
  }

  /**
   * The served agent, timing each call it runs: the gRPC time minus this is what the protocol
   * costs (client, channel, TLS, server, and the thread hand-offs between them).
   */
  private static final class Timed implements HostAgent {
    private final HostAgent agent;
    volatile long lastNanos;

    Timed(HostAgent agent) {
      this.agent = agent;
    }

    private <R> R timed(Supplier<R> call) {
      long start = System.nanoTime();
      try {
        return call.get();
      } finally {
        lastNanos = System.nanoTime() - start;
      }
    }

    @Override
    public CaptureResult capture(CaptureRequest request) {
      return timed(() -> agent.capture(request));
    }

    @Override
    public Manifest describe(WorkloadRef workload) {
      return timed(() -> agent.describe(workload));
    }

    @Override
    public io.snapshotkit.spi.RestoreOutcome restore(RestoreRequest request) {
      return timed(() -> agent.restore(request));
    }

    @Override
    public void preflight(RestoreRequest request) {
      timed(() -> {
        agent.preflight(request);
        return null;
      });
    }

    @Override
    public io.snapshotkit.spi.DeleteOutcome delete(WorkloadRef workload, SnapshotId snapshot) {
      return timed(() -> agent.delete(workload, snapshot));
    }

    @Override
    public java.util.OptionalLong sizeOf(WorkloadRef workload, SnapshotId snapshot) {
      return timed(() -> agent.sizeOf(workload, snapshot));
    }
  }

  // ------------------------------------------------------------------ small calls

  private void smallCalls(int calls) throws IOException {
    Path data = work.resolve("small-data");
    Files.createDirectories(data);
    for (int i = 0; i < 20; i++) {
      byte[] b = new byte[4096];
      new SplittableRandom(i).nextBytes(b);
      Files.write(data.resolve("f" + i), b);
    }
    try (FsHostAgent fs = agent(work.resolve("repo-small"))) {
      Timed served = new Timed(fs);
      try (Remote remote = new Remote(served)) {
        smallCalls(calls, fs, served, remote, data);
      }
    }
  }

  private void smallCalls(int calls, FsHostAgent fs, Timed served, Remote remote, Path data) {
    fs.track(SMALL, Map.of("data", data));
    List<SnapshotId> local = new ArrayList<>();
    List<SnapshotId> viaGrpc = new ArrayList<>();
    int warm = Math.max(20, calls / 5);
    long[][] t = new long[7][calls];
    for (int i = -warm; i < calls; i++) {
      SnapshotId a = nextId();
      SnapshotId b = nextId();
      long x;
      long y;
      long yAgent;
      // Alternate which goes first: a call right after another pays for its writes (journal, write-back).
      if (i % 2 == 0) {
        x = time(() -> fs.capture(capture(SMALL, a)));
        y = time(() -> remote.client.capture(capture(SMALL, b)));
        yAgent = served.lastNanos;
      } else {
        y = time(() -> remote.client.capture(capture(SMALL, b)));
        yAgent = served.lastNanos;
        x = time(() -> fs.capture(capture(SMALL, a)));
      }
      long z = time(remote.client::identify);
      local.add(a);
      viaGrpc.add(b);
      if (i >= 0) {
        t[0][i] = x;
        t[1][i] = y;
        t[4][i] = z;
        t[5][i] = yAgent;
      }
    }
    for (int i = -warm; i < calls; i++) {
      SnapshotId a = local.get(i + warm);
      SnapshotId b = viaGrpc.get(i + warm);
      long x;
      long y;
      long yAgent;
      if (i % 2 == 0) {
        x = time(() -> fs.delete(SMALL, a));
        y = time(() -> remote.client.delete(SMALL, b));
        yAgent = served.lastNanos;
      } else {
        y = time(() -> remote.client.delete(SMALL, b));
        yAgent = served.lastNanos;
        x = time(() -> fs.delete(SMALL, a));
      }
      if (i >= 0) {
        t[2][i] = x;
        t[3][i] = y;
        t[6][i] = yAgent;
      }
    }
    System.out.printf(Locale.ROOT, "small calls: %d each way after %d warm-up, 20 files of 4 KiB; medians (means) in ms%n",
        calls, warm);
    perCall("small_capture", t[0], t[1], t[5]);
    perCall("small_delete", t[2], t[3], t[6]);
    System.out.printf(Locale.ROOT, "identify (gRPC round trip, no agent work): median %.3f ms (mean %.3f)%n",
        median(t[4]) / 1e6, mean(t[4]) / 1e6);
  }

  /** {@code agent}: the served agent's own time within each gRPC call. */
  private static void perCall(String name, long[] local, long[] grpc, long[] agent) {
    double ml = median(local) / 1e6;
    double mg = median(grpc) / 1e6;
    long[] outside = new long[grpc.length];
    for (int i = 0; i < grpc.length; i++) {
      outside[i] = grpc[i] - agent[i];
    }
    System.out.printf(Locale.ROOT, "%s: in-process %.3f ms (%.3f), gRPC %.3f ms (%.3f), overhead %.3f ms per call, "
        + "ratio=%.2f; within gRPC calls the agent took %.3f ms (%.3f), the protocol %.3f ms (%.3f)%n",
        name, ml, mean(local) / 1e6, mg, mean(grpc) / 1e6, mg - ml, mg / ml, median(agent) / 1e6, mean(agent) / 1e6,
        median(outside) / 1e6, mean(outside) / 1e6);
  }

  // ------------------------------------------------------------------ large capture and restore

  /** ABBA: in-process first in odd repetitions, gRPC first in even ones. */
  private static boolean localFirst(int rep) {
    return rep % 2 == 1;
  }

  private SnapshotId captures(int reps) {
    long[] local = new long[reps];
    long[] grpc = new long[reps];
    SnapshotId kept = null;
    for (int rep = 1; rep <= reps; rep++) {
      for (int side = 0; side < 2; side++) {
        boolean isLocal = (side == 0) == localFirst(rep);
        Path repo = work.resolve("repo-" + (isLocal ? "local" : "grpc") + "-" + rep);
        SnapshotId id = nextId();
        try (FsHostAgent fs = agent(repo)) {
          fs.track(LARGE, Map.of("data", corpus));
          long ns;
          CaptureResult[] result = new CaptureResult[1];
          if (isLocal) {
            ns = time(() -> result[0] = fs.capture(capture(LARGE, id)));
          } else {
            try (Remote remote = new Remote(fs)) {
              ns = time(() -> result[0] = remote.client.capture(capture(LARGE, id)));
            }
          }
          if (result[0].partial()) {
            throw new IllegalStateException("capture " + rep + " was partial");
          }
          (isLocal ? local : grpc)[rep - 1] = ns;
          System.out.printf(Locale.ROOT, "capture rep %d %s: %.3f s, %d bytes stored%n", rep,
              isLocal ? "in-process" : "gRPC", ns / 1e9, result[0].sizeBytes());
          if (rep == 1 && isLocal) {
            kept = id;
          }
        }
      }
    }
    ratio("capture_1gib", local, grpc);
    return kept;
  }

  private void restores(int reps, SnapshotId id) {
    try (FsHostAgent fs = agent(work.resolve("repo-local-1")); Remote remote = new Remote(fs)) {
      fs.track(LARGE, Map.of("data", corpus));
      Manifest manifest = fs.manifest(LARGE, id).orElseThrow();
      long[] local = new long[reps];
      long[] grpc = new long[reps];
      for (int rep = 1; rep <= reps; rep++) {
        for (int side = 0; side < 2; side++) {
          boolean isLocal = (side == 0) == localFirst(rep);
          Path target = work.resolve("restore-" + (isLocal ? "local" : "grpc") + "-" + rep);
          RestoreRequest request = new RestoreRequest(LARGE, id, manifest, RestoreMode.REPLACE,
              Optional.of(target.toString()), List.of());
          HostAgent via = isLocal ? fs : remote.client;
          long ns = time(() -> via.restore(request));
          (isLocal ? local : grpc)[rep - 1] = ns;
          System.out.printf(Locale.ROOT, "restore rep %d %s: %.3f s into %s%n", rep, isLocal ? "in-process" : "gRPC",
              ns / 1e9, target);
        }
      }
      ratio("restore_1gib", local, grpc);
    }
  }

  /**
   * Prints the ratio of the medians, and the median of the per-repetition ratios: the two runs of
   * one repetition follow each other, so they share the machine's load of the moment.
   */
  private static void ratio(String name, long[] local, long[] grpc) {
    double ml = median(local) / 1e9;
    double mg = median(grpc) / 1e9;
    long[] paired = new long[local.length];
    for (int i = 0; i < local.length; i++) {
      paired[i] = Math.round(1e6 * grpc[i] / local[i]);
    }
    System.out.printf(Locale.ROOT, "%s: in-process median %.3f s %s, gRPC median %.3f s %s, ratio=%.3f, "
        + "median of the per-repetition ratios %.3f%n", name, ml, seconds(local), mg, seconds(grpc), mg / ml,
        median(paired) / 1e6);
  }

  // ------------------------------------------------------------------ helpers

  private static long time(Supplier<?> call) {
    long start = System.nanoTime();
    call.get();
    return System.nanoTime() - start;
  }

  private static String seconds(long[] ns) {
    StringBuilder b = new StringBuilder("[");
    for (long n : ns) {
      b.append(b.length() > 1 ? " " : "").append(String.format(Locale.ROOT, "%.2f", n / 1e9));
    }
    return b.append(']').toString();
  }

  private static double median(long[] values) {
    long[] v = values.clone();
    Arrays.sort(v);
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
  }

  private static double mean(long[] values) {
    return Arrays.stream(values).average().orElse(0);
  }

  /** A self-signed certificate for localhost and 127.0.0.1 made by the JDK's keytool, as PEM files. */
  private record Pem(Path certificate, Path privateKey) {
    static Pem create(Path dir) {
      try {
        Files.createDirectories(dir);
        Path store = dir.resolve("agent.p12");
        Files.deleteIfExists(store);
        String password = "changeit";
        Process keytool = new ProcessBuilder(List.of(
            Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
            "-genkeypair", "-alias", "agent", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
            "-dname", "CN=agent", "-ext", "SAN=dns:localhost,ip:127.0.0.1",
            "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", password))
            .redirectErrorStream(true).start();
        String out = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!keytool.waitFor(60, TimeUnit.SECONDS) || keytool.exitValue() != 0) {
          throw new IllegalStateException("keytool failed: " + out);
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
          ks.load(in, password.toCharArray());
        }
        Path certFile = dir.resolve("agent.crt");
        Path keyFile = dir.resolve("agent.key");
        Files.writeString(certFile, pem("CERTIFICATE", ks.getCertificate("agent").getEncoded()));
        Files.writeString(keyFile, pem("PRIVATE KEY", ((PrivateKey) ks.getKey("agent", password.toCharArray())).getEncoded()));
        return new Pem(certFile, keyFile);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    private static String pem(String type, byte[] der) {
      return "-----BEGIN " + type + "-----\n"
          + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
          + "\n-----END " + type + "-----\n";
    }
  }
}
