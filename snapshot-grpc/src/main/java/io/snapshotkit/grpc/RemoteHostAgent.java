package io.snapshotkit.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.snapshotkit.Change;
import io.snapshotkit.DiffResult;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.FamilyDiff;
import io.snapshotkit.Manifest;
import io.snapshotkit.ProgressEvent.Operation;
import io.snapshotkit.ProgressListener;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.grpc.internal.v1.CaptureMessage;
import io.snapshotkit.grpc.internal.v1.CheckRequest;
import io.snapshotkit.grpc.internal.v1.DeleteRequest;
import io.snapshotkit.grpc.internal.v1.DescribeRequest;
import io.snapshotkit.grpc.internal.v1.DiffRequest;
import io.snapshotkit.grpc.internal.v1.GcRequest;
import io.snapshotkit.grpc.internal.v1.IdentifyRequest;
import io.snapshotkit.grpc.internal.v1.IdentifyResponse;
import io.snapshotkit.grpc.internal.v1.RestoreMessage;
import io.snapshotkit.grpc.internal.v1.SizeOfRequest;
import io.snapshotkit.grpc.internal.v1.TrackVolumesRequest;
import io.snapshotkit.grpc.internal.v1.VerifyRequest;
import io.snapshotkit.grpc.internal.v1.VolumesRequest;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.CaptureResult;
import io.snapshotkit.spi.ForkRequest;
import io.snapshotkit.spi.DeleteOutcome;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.spi.HostInfo;
import io.snapshotkit.spi.HostDiff;
import io.snapshotkit.spi.HostVerify;
import io.snapshotkit.spi.HostFork;
import io.snapshotkit.spi.RestoreOutcome;
import io.snapshotkit.spi.RestoreRequest;
import io.snapshotkit.spi.VerifyOutcome;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * A {@link HostAgent} (and {@link HostDiff}, {@link HostVerify}) whose host is remote: each call goes over gRPC to an
 * {@link AgentServer} on that host. A control plane's {@link io.snapshotkit.spi.HostDirectory}
 * hands one per host to the engine.
 *
 * <pre>{@code
 * RemoteHostAgent h1 = RemoteHostAgent.builder()
 *     .hostId("h1")
 *     .target("h1.internal", 7443)
 *     .trust(Path.of("ca.crt"))
 *     .token(System.getenv("SNAPSHOTKIT_TOKEN"))
 *     .timeout(engine.settings().hostTimeout())
 *     .build();
 * }</pre>
 *
 * <p><b>Deadlines.</b> Every call has one: {@link Builder#timeout} for describe, preflight, delete,
 * sizeOf and identify (give it the engine's host timeout); {@link Builder#dataTimeout} for
 * capture, restore, diff and verify, which move or read a workload's data.
 *
 * <p><b>Failures</b> are {@link SnapshotException}s. One the agent answered keeps its code and
 * message (NOT_FOUND stays NOT_FOUND, so the strict delete counts it as success). Otherwise: an
 * unreachable host, a missed deadline or a failed TLS handshake is {@link ErrorCode#HOST_UNAVAILABLE},
 * a refused token {@link ErrorCode#FORBIDDEN}, a message over the size limit
 * {@link ErrorCode#INVALID_ARGUMENT}, each with a message naming the host and its address.
 *
 * <p><b>Retries.</b> Calls the SPI documents as read-only or idempotent and that move no data —
 * describe, preflight, delete, sizeOf, identify, track, volumes, untrack, check, verify, and a diff that has not yet
 * delivered a change — are tried up to {@value AgentCalls#ATTEMPTS} times while gRPC reports the host
 * unavailable, within the one deadline. Capture, restore and gc are not retried here: the agent may
 * still be running the first attempt, and the engine decides.
 *
 * <p><b>Host admin.</b> The {@link HostAdmin} methods (a workload's volumes, the repository's gc
 * and check) work when the agent server was given a {@link HostAdmin}; otherwise they fail
 * {@link ErrorCode#INVALID_ARGUMENT} saying the agent does not serve them.
 *
 * <p><b>Host check.</b> Every call names the host it is meant for; an agent server of another
 * host id refuses it ({@link ErrorCode#INVALID_ARGUMENT}, naming both), so a directory that points
 * two hosts at one address cannot have one host confirm a strict delete for the other.
 *
 * <p><b>Thread-safety:</b> thread-safe; all calls share one channel (one connection) to the host.
 * {@link #close()} shuts it down.
 */
public final class RemoteHostAgent implements HostAgent, HostDiff, HostVerify, HostFork, HostAdmin, AutoCloseable {
  private final AgentCalls calls;
  private final StreamedCalls streamed;
  private final Duration timeout;
  private final Duration dataTimeout;

  private RemoteHostAgent(AgentCalls calls, Duration timeout, Duration dataTimeout) {
    this.calls = calls;
    this.streamed = new StreamedCalls(calls, dataTimeout);
    this.timeout = timeout;
    this.dataTimeout = dataTimeout;
  }

  /** A builder; {@link Builder#hostId}, {@link Builder#target}, {@link Builder#token} and a transport are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The host id this client calls, as given to the builder. */
  public String hostId() {
    return calls.hostId();
  }

  // ------------------------------------------------------------------ HostAgent

  @Override
  public CaptureResult capture(CaptureRequest request) {
    Objects.requireNonNull(request, "request");
    return calls.call(AgentMethods.CAPTURE, Wire.captureRequest(request), dataTimeout, false,
        "the capture of snapshot " + request.snapshotId(), Wire::captureResult);
  }

  /**
   * Forks on the remote agent (the {@code Fork} call, not retried: with a target it moves data,
   * under the data deadline). INVALID_ARGUMENT if the remote agent has no {@link HostFork}.
   */
  @Override
  public CaptureResult fork(ForkRequest request) {
    Objects.requireNonNull(request, "request");
    return calls.call(AgentMethods.FORK, Wire.forkRequest(request), dataTimeout, false,
        "the fork of snapshot " + request.sourceSnapshot() + " into " + request.child(), Wire::captureResult);
  }

  /**
   * {@inheritDoc} The agent's progress is streamed back ({@code CaptureWithProgress}) and handed
   * to {@code progress} on the calling thread, rate-limited again here; with
   * {@link ProgressListener#NONE}, or against an agent server too old to stream it, this is the
   * plain {@link #capture(CaptureRequest)}.
   */
  @Override
  public CaptureResult capture(CaptureRequest request, ProgressListener progress) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(progress, "progress");
    if (progress == ProgressListener.NONE) {
      return capture(request);
    }
    return streamed.withProgress(AgentMethods.CAPTURE_WITH_PROGRESS, Wire.captureRequest(request), Operation.CAPTURE, progress,
        "the capture of snapshot " + request.snapshotId(), CaptureMessage::hasProgress, CaptureMessage::getProgress,
        m -> m.hasResult() ? Wire.captureResult(m.getResult()) : null, () -> capture(request));
  }

  @Override
  public Manifest describe(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    return calls.call(AgentMethods.DESCRIBE, DescribeRequest.newBuilder().setWorkload(Wire.workload(workload)).build(),
        timeout, true, "describing workload " + workload, r -> Wire.manifest(r.hasManifest(), r.getManifest()));
  }

  @Override
  public RestoreOutcome restore(RestoreRequest request) {
    Objects.requireNonNull(request, "request");
    return calls.call(AgentMethods.RESTORE, Wire.restoreRequest(request), dataTimeout, false,
        "the restore of snapshot " + request.snapshotId(), Wire::restoreOutcome);
  }

  /**
   * {@inheritDoc} The agent's progress is streamed back ({@code RestoreWithProgress}) as for
   * {@link #capture(CaptureRequest, ProgressListener)}.
   */
  @Override
  public RestoreOutcome restore(RestoreRequest request, ProgressListener progress) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(progress, "progress");
    if (progress == ProgressListener.NONE) {
      return restore(request);
    }
    return streamed.withProgress(AgentMethods.RESTORE_WITH_PROGRESS, Wire.restoreRequest(request), Operation.RESTORE, progress,
        "the restore of snapshot " + request.snapshotId(), RestoreMessage::hasProgress, RestoreMessage::getProgress,
        m -> m.hasResult() ? Wire.restoreOutcome(m.getResult()) : null, () -> restore(request));
  }

  @Override
  public void preflight(RestoreRequest request) {
    Objects.requireNonNull(request, "request");
    calls.call(AgentMethods.PREFLIGHT, Wire.restoreRequest(request), timeout, true,
        "the preflight of snapshot " + request.snapshotId(), r -> r);
  }

  @Override
  public DeleteOutcome delete(WorkloadRef workload, SnapshotId snapshot) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(snapshot, "snapshot");
    return calls.call(AgentMethods.DELETE, DeleteRequest.newBuilder().setWorkload(Wire.workload(workload))
        .setSnapshotId(snapshot.value()).build(), timeout, true, "the delete of snapshot " + snapshot, Wire::deleteOutcome);
  }

  @Override
  public OptionalLong sizeOf(WorkloadRef workload, SnapshotId snapshot) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(snapshot, "snapshot");
    return calls.call(AgentMethods.SIZE_OF, SizeOfRequest.newBuilder().setWorkload(Wire.workload(workload))
        .setSnapshotId(snapshot.value()).build(), timeout, true, "the size of snapshot " + snapshot, Wire::size);
  }

  /**
   * Asks the host's agent to read back {@code sample} of the snapshot's contents (deadline:
   * {@link Builder#dataTimeout}; retried while the host is unavailable, as it is read-only). An
   * agent without {@link HostVerify} answers {@code PRESENT} or {@code MISSING}; so does this
   * client, from {@link #sizeOf}, when the agent server is of a release without the call.
   *
   * @throws SnapshotException INVALID_ARGUMENT for a sample outside (0, 1]; HOST_UNAVAILABLE if the host cannot answer
   */
  @Override
  public VerifyOutcome verify(WorkloadRef workload, SnapshotId snapshot, double sample) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(snapshot, "snapshot");
    if (!(sample > 0 && sample <= 1)) {
      throw SnapshotException.invalid("sample is the fraction of contents to read back, above 0 and at most 1, not "
          + sample);
    }
    VerifyRequest request = VerifyRequest.newBuilder().setWorkload(Wire.workload(workload))
        .setSnapshotId(snapshot.value()).setSample(sample).build();
    try {
      return calls.call(AgentMethods.VERIFY, request, dataTimeout, true, "the verify of snapshot " + snapshot,
          Wire::verifyOutcome);
    } catch (SnapshotException e) {
      if (e.getCause() instanceof StatusRuntimeException s && s.getStatus().getCode() == Status.Code.UNIMPLEMENTED) {
        return sizeOf(workload, snapshot).isPresent() ? VerifyOutcome.present() : VerifyOutcome.missing();
      }
      throw e;
    }
  }

  /**
   * Asks who answers at the address: the host id, protocol and capabilities. A cheap call that
   * also serves as a health check.
   *
   * @throws SnapshotException HOST_UNAVAILABLE if the host cannot be reached, FORBIDDEN if it refuses the token
   */
  public AgentIdentity identify() {
    IdentifyResponse r = calls.call(AgentMethods.IDENTIFY, IdentifyRequest.getDefaultInstance(), timeout, true,
        "identify", x -> x);
    return new AgentIdentity(r.getHostId(), r.getProtocol(), r.getDiff());
  }

  // ------------------------------------------------------------------ HostAdmin

  /**
   * Sets the workload's volumes on the host, when its agent server serves a {@link HostAdmin}.
   *
   * @throws SnapshotException INVALID_ARGUMENT when the agent serves no HostAdmin, or as {@link HostAdmin#track}
   */
  @Override
  public Map<String, String> track(WorkloadRef workload, Map<String, String> volumes) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(volumes, "volumes");
    TrackVolumesRequest request = TrackVolumesRequest.newBuilder().setWorkload(Wire.workload(workload))
        .addAllVolumes(Wire.volumes(volumes)).build();
    return calls.call(AgentMethods.TRACK_VOLUMES, request, timeout, true, "tracking the volumes of " + workload,
        r -> Wire.volumes(r.getVolumesList()));
  }

  /**
   * The workload's volumes on the host, when its agent server serves a {@link HostAdmin}.
   *
   * @throws SnapshotException INVALID_ARGUMENT when the agent serves no HostAdmin
   */
  @Override
  public Optional<Map<String, String>> volumes(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    return calls.call(AgentMethods.VOLUMES, VolumesRequest.newBuilder().setWorkload(Wire.workload(workload)).build(),
        timeout, true, "listing the volumes of " + workload, Wire::volumes);
  }

  /**
   * Forgets the workload's volumes on the host, when its agent server serves a {@link HostAdmin}.
   *
   * @throws SnapshotException INVALID_ARGUMENT when the agent serves no HostAdmin
   */
  @Override
  public boolean untrack(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    return calls.call(AgentMethods.UNTRACK_VOLUMES, VolumesRequest.newBuilder().setWorkload(Wire.workload(workload)).build(),
        timeout, true, "untracking the volumes of " + workload, r -> r.getTracked());
  }

  /**
   * Runs the host repository's gc (deadline: {@link Builder#dataTimeout}; not retried).
   *
   * @throws SnapshotException INVALID_ARGUMENT when the agent serves no HostAdmin; FORBIDDEN when
   *     this control plane's token is restricted to tenants
   */
  @Override
  public GcReport gc() {
    return calls.call(AgentMethods.GC, GcRequest.getDefaultInstance(), dataTimeout, false, "gc", Wire::gcReport);
  }

  /**
   * Runs the host repository's check (deadline: {@link Builder#dataTimeout}).
   *
   * @throws SnapshotException INVALID_ARGUMENT when the agent serves no HostAdmin; FORBIDDEN when
   *     this control plane's token is restricted to tenants
   */
  @Override
  public CheckReport check(boolean sample) {
    return calls.call(AgentMethods.CHECK, CheckRequest.newBuilder().setSample(sample).build(), dataTimeout, true,
        "check", Wire::checkReport);
  }

  // ------------------------------------------------------------------ HostDiff

  /** Collects {@link #streamDiff}; for a large diff prefer {@link #streamDiff}, which holds no change. */
  @Override
  public DiffResult diff(WorkloadRef workload, SnapshotId from, Optional<SnapshotId> to) {
    Map<String, List<Change>> families = new TreeMap<>();
    DiffResult rest = streamDiff(workload, from, to,
        (family, change) -> families.computeIfAbsent(family, f -> new ArrayList<>()).add(change));
    Map<String, FamilyDiff> diffs = new TreeMap<>();
    families.forEach((family, changes) -> diffs.put(family, new FamilyDiff(changes)));
    return new DiffResult(from, to, diffs, rest.degraded(), rest.problems());
  }

  /**
   * Streams the agent's diff: each change reaches {@code sink} as it arrives, and the agent sends
   * only as fast as {@code sink} takes them, so neither side holds the whole diff.
   */
  @Override
  public DiffResult streamDiff(WorkloadRef workload, SnapshotId from, Optional<SnapshotId> to,
      BiConsumer<String, Change> sink) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(sink, "sink");
    DiffRequest.Builder request = DiffRequest.newBuilder().setWorkload(Wire.workload(workload)).setFrom(from.value());
    to.ifPresent(t -> request.setTo(t.value()));
    return streamed.diff(request, from, to, sink);
  }

  /** Shuts the channel down, waiting briefly for calls in flight. Idempotent. */
  @Override
  public void close() {
    calls.close();
  }

  @Override
  public String toString() {
    return "RemoteHostAgent[" + calls.hostId() + " at " + calls.address() + "]";
  }

  /**
   * Configures a {@link RemoteHostAgent}.
   *
   * <p><b>Thread-safety:</b> not thread-safe; use from one thread.
   */
  public static final class Builder {
    /** The default {@link #timeout}: 30 seconds, the engine's default host timeout. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    /** The default {@link #dataTimeout}: one hour. */
    public static final Duration DEFAULT_DATA_TIMEOUT = Duration.ofHours(1);
    /** The default {@link #maxInboundMessageSize}: 16 MiB. */
    public static final int DEFAULT_MAX_INBOUND_MESSAGE_SIZE = 16 * 1024 * 1024;

    private String hostId;
    private String host;
    private int port;
    private String token;
    private Path trustedCa;
    private Path certificateChain;
    private Path privateKey;
    private boolean plaintext;
    private Duration timeout = DEFAULT_TIMEOUT;
    private Duration dataTimeout = DEFAULT_DATA_TIMEOUT;
    private int maxInboundMessageSize = DEFAULT_MAX_INBOUND_MESSAGE_SIZE;

    private Builder() {}

    /** The host's id, as the host directory names it; failures name it. */
    public Builder hostId(String value) {
      hostId = HostInfo.checkId(value);
      return this;
    }

    /** Where the host's {@link AgentServer} listens; with TLS, its certificate must name {@code host}. */
    public Builder target(String host, int port) {
      Objects.requireNonNull(host, "host");
      if (port < 1 || port > 65535) {
        throw SnapshotException.invalid("a port is 1 to 65535: " + port);
      }
      this.host = host;
      this.port = port;
      return this;
    }

    /** The bearer token this control plane presents (one of those the agent server accepts). */
    public Builder token(String value) {
      token = BearerTokens.checked(Objects.requireNonNull(value, "token"));
      return this;
    }

    /** Speaks TLS and trusts agent certificates issued by a CA in this PEM file. */
    public Builder trust(Path trustedCaPem) {
      trustedCa = Objects.requireNonNull(trustedCaPem, "trustedCaPem");
      return this;
    }

    /** Presents this certificate (PEM chain, PKCS#8 PEM key) to agents that require mutual TLS. Needs {@link #trust}. */
    public Builder clientCertificate(Path certificateChainPem, Path privateKeyPem) {
      certificateChain = Objects.requireNonNull(certificateChainPem, "certificateChainPem");
      privateKey = Objects.requireNonNull(privateKeyPem, "privateKeyPem");
      return this;
    }

    /** Speaks plain text: the token and data cross the network unencrypted. Loopback or an encrypting mesh only. */
    public Builder plaintext() {
      plaintext = true;
      return this;
    }

    /** The deadline of describe, preflight, delete, sizeOf and identify: give the engine's host timeout. */
    public Builder timeout(Duration value) {
      timeout = positive("timeout", value);
      return this;
    }

    /** The deadline of capture, restore and diff, which move or read the workload's data. */
    public Builder dataTimeout(Duration value) {
      dataTimeout = positive("dataTimeout", value);
      return this;
    }

    /** The largest answer accepted, in bytes (a capture's or describe's manifest). */
    public Builder maxInboundMessageSize(int bytes) {
      if (bytes < 1024) {
        throw SnapshotException.invalid("maxInboundMessageSize must be at least 1024 bytes: " + bytes);
      }
      maxInboundMessageSize = bytes;
      return this;
    }

    private static Duration positive(String name, Duration value) {
      Objects.requireNonNull(value, name);
      if (value.isNegative() || value.isZero()) {
        throw SnapshotException.invalid(name + " must be positive: " + value);
      }
      return value;
    }

    /**
     * Opens the channel (lazily: the first call connects).
     *
     * @throws SnapshotException INVALID_ARGUMENT when a required setting is missing or the TLS files cannot be read
     */
    public RemoteHostAgent build() {
      AgentChannel channel = new AgentChannel(hostId, host, port, token, trustedCa, certificateChain, privateKey,
          plaintext, maxInboundMessageSize);
      return new RemoteHostAgent(channel.open(), timeout, dataTimeout);
    }
  }
}
