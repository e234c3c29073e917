package io.snapshotkit.core;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.EventType;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.TenantId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.spi.HostDirectory;
import io.snapshotkit.spi.ManifestStore;
import io.snapshotkit.spi.QuiescePolicy;
import io.snapshotkit.spi.Quiesced;
import io.snapshotkit.spi.StoreWork;
import io.snapshotkit.spi.WorkloadLease;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every use case of the engine shares: the frozen settings and the collaborators they name,
 * the id source, the usage gauge, and the helpers that turn an adapter's failure into a
 * {@link SnapshotException} (store transactions and reads, workload lock, host lookup, quiesce and
 * always-resume, tenant-scoped lookup). It holds no state of any one use case.
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
final class EngineContext {
  /** The engine's logger; every use case logs under the facade's name, as before the split. */
  static final Logger LOG = LoggerFactory.getLogger("io.snapshotkit.core.SnapshotEngine");

  private final EngineSettings settings;
  private final ManifestStore store;
  private final HostDirectory hosts;
  private final Clock clock;
  /** Snapshot and event ids, increasing even within one millisecond, so listings are in creation order. */
  private final MonotonicIds ids;
  private final UsageGauge usage = new UsageGauge();
  private final Observations observations;

  EngineContext(EngineSettings settings) {
    this.settings = settings;
    this.store = settings.manifestStore();
    this.hosts = settings.hosts();
    this.clock = settings.clock();
    this.ids = new MonotonicIds(settings.random());
    this.observations = new Observations(settings.observer());
  }

  /** The engine's observer, guarded: an observer that throws never changes an operation's result. */
  Observations observations() {
    return observations;
  }

  EngineSettings settings() {
    return settings;
  }

  ManifestStore store() {
    return store;
  }

  HostDirectory hosts() {
    return hosts;
  }

  Clock clock() {
    return clock;
  }

  Executor executor() {
    return settings.executor();
  }

  /**
   * The per-tenant usage gauge: read by {@link Reads}, invalidated by every use case that changes
   * a tenant's snapshots or their sizes.
   */
  UsageGauge usage() {
    return usage;
  }

  // ───────────────────────────── store ─────────────────────────────

  <T> T transaction(String what, StoreWork<T> work) {
    try {
      return store.inTransaction(work);
    } catch (RuntimeException e) {
      throw SnapshotException.wrap(what, e);
    }
  }

  <T> T read(String what, Supplier<T> reader) {
    try {
      return reader.get();
    } catch (RuntimeException e) {
      throw SnapshotException.wrap(what, e);
    }
  }

  /** The tenant's snapshot, or NOT_FOUND (also for another tenant's). */
  Snapshot owned(TenantId tenant, SnapshotId id) {
    Optional<Snapshot> found = read("reading snapshot " + id, () -> store.find(id));
    if (found.isEmpty() || !found.get().tenant().equals(tenant)) {
      throw new SnapshotException(ErrorCode.NOT_FOUND,
          "snapshot " + id + " not found for tenant " + tenant + "; check the id").withSnapshot(id);
    }
    return found.get();
  }

  /** The workload's snapshots that have a version, ascending by version. */
  List<Snapshot> versions(WorkloadRef workload) {
    return read("listing versions of " + workload, () -> store.versions(workload));
  }

  Optional<SnapshotId> latestReady(WorkloadRef workload) {
    List<Snapshot> all = versions(workload);
    for (int i = all.size() - 1; i >= 0; i--) {
      if (all.get(i).status() == SnapshotStatus.READY) {
        return Optional.of(all.get(i).id());
      }
    }
    return Optional.empty();
  }

  // ───────────────────────────── events and ids ─────────────────────────────

  SnapshotEvent event(EventType type, Snapshot s, Map<String, String> metadata) {
    return new SnapshotEvent(newEventId(), type, s.workload(), Optional.of(s.id()), s.version(), clock.instant(), metadata);
  }

  SnapshotId newSnapshotId(Instant now) {
    return ids.next(now);
  }

  String newEventId() {
    return "evt_" + newSnapshotId(clock.instant()).value();
  }

  // ───────────────────────────── hosts, lock, lifecycle ─────────────────────────────

  WorkloadLease lock(WorkloadRef workload) {
    try {
      return Objects.requireNonNull(settings.workloadLock().acquire(workload, settings.lockTimeout()),
          "the lock returned no lease");
    } catch (RuntimeException e) {
      throw context(SnapshotException.wrap("locking workload " + workload, e), workload, null);
    }
  }

  /** The host the directory says runs the workload, which may be none. */
  Optional<String> findHost(WorkloadRef workload) {
    return read("resolving the host of " + workload, () -> hosts.hostOf(workload));
  }

  String hostOf(WorkloadRef workload) {
    return findHost(workload).orElseThrow(() -> new SnapshotException(ErrorCode.NOT_FOUND,
        "no host runs workload " + workload + "; check the workload id").withWorkload(workload));
  }

  HostAgent agent(String host) {
    try {
      return Objects.requireNonNull(hosts.agent(host), "the host directory returned no agent");
    } catch (RuntimeException e) {
      throw SnapshotException.wrap("connecting to host " + host, e);
    }
  }

  /** A value produced while the workload was quiesced, and the resume failure if resuming failed. */
  record Quiet<T>(T value, Optional<RuntimeException> resumeFailure) {}

  /**
   * Quiesces, runs {@code work}, and always resumes. If {@code work} fails, the workload is resumed
   * and the failure rethrown (a resume failure is added as suppressed). If only the resume fails,
   * that is returned for the caller to judge. An exception from quiesce aborts before any work.
   */
  <T> Quiet<T> whileQuiesced(WorkloadLease lease, QuiescePolicy policy, Function<Quiesced, T> work) {
    WorkloadRef workload = lease.workload();
    Quiesced quiesced;
    try {
      quiesced = Objects.requireNonNull(settings.lifecycle().quiesce(lease, policy), "quiesce returned null");
    } catch (RuntimeException e) {
      throw context(SnapshotException.wrap("quiescing workload " + workload, e), workload, null);
    }
    T value;
    try {
      value = work.apply(quiesced);
    } catch (RuntimeException | Error e) {
      try {
        resume(lease, quiesced);
      } catch (RuntimeException | Error r) {
        LOG.error("workload {} could not be resumed after a failed operation", workload, r);
        e.addSuppressed(r);
      }
      throw e;
    }
    try {
      resume(lease, quiesced);
      return new Quiet<>(value, Optional.empty());
    } catch (RuntimeException r) {
      return new Quiet<>(value, Optional.of(r));
    }
  }

  /** Resumes with the interrupt flag cleared, so an interrupted caller still resumes; restores the flag. */
  private void resume(WorkloadLease lease, Quiesced quiesced) {
    boolean interrupted = Thread.interrupted();
    try {
      settings.lifecycle().resume(lease, quiesced);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  // ───────────────────────────── failures ─────────────────────────────

  static SnapshotException context(SnapshotException e, WorkloadRef workload, SnapshotId id) {
    SnapshotException out = e;
    if (workload != null && e.workload().isEmpty()) {
      out = out.withWorkload(workload);
    }
    if (id != null && e.snapshotId().isEmpty()) {
      out = out.withSnapshot(id);
    }
    return out;
  }

  static SnapshotException notFound(SnapshotId id, WorkloadRef workload) {
    return new SnapshotException(ErrorCode.NOT_FOUND, "snapshot " + id + " no longer exists")
        .withWorkload(workload).withSnapshot(id);
  }

  static void requireReady(Snapshot s, String verb) {
    String why = switch (s.status()) {
      case READY -> null;
      case CAPTURING -> "its capture is still running; wait until it is READY";
      case FAILED -> "its capture failed; pick another snapshot";
      case DELETING -> "a delete of it is in progress; " + s.failure().orElse(
          "wait for it to finish, or run delete again to finish it if it was interrupted");
    };
    if (why != null) {
      throw new SnapshotException(ErrorCode.CONFLICT, "cannot " + verb + " snapshot " + s.id() + ": " + why)
          .withWorkload(s.workload()).withSnapshot(s.id());
    }
  }

  static String oneLine(String text) {
    if (text == null) {
      return "";
    }
    String line = text.replaceAll("[\\r\\n]+", " ").trim();
    return line.length() > 300 ? line.substring(0, 300) + "…" : line;
  }
}
