package io.snapshotkit.core;

import static io.snapshotkit.core.EngineContext.notFound;
import static io.snapshotkit.core.EngineContext.oneLine;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.EventType;
import io.snapshotkit.ManifestRef;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.TenantId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.DeleteOutcome;
import io.snapshotkit.spi.HostInfo;
import io.snapshotkit.spi.HostStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;

/**
 * The strict delete: refused at once while a host is not ONLINE; else DELETING, every host asked
 * in parallel with a timeout, the row removed only when all confirmed, and on failure READY again
 * only while the data is certainly intact. Resumes deletes left DELETING by an interrupted run.
 * Owns the set of deletes in flight, and protection (which blocks delete). {@link Maintenance}
 * deletes through it.
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
final class StrictDelete {
  private static final Logger log = EngineContext.LOG;
  private static final String INTERRUPTED = "\0interrupted";
  private static final String TIMED_OUT = "timed out after ";

  private final EngineContext ctx;
  private final StoredManifests manifests;
  private final Reads reads;
  /** Snapshots this engine is deleting right now; a DELETING row not in here was interrupted. */
  private final Set<SnapshotId> deletesInFlight = ConcurrentHashMap.newKeySet();

  StrictDelete(EngineContext ctx, StoredManifests manifests, Reads reads) {
    this.ctx = ctx;
    this.manifests = manifests;
    this.reads = reads;
  }

  /** See {@link SnapshotEngine#delete}. */
  void delete(TenantId tenant, SnapshotId id) {
    delete(ctx.owned(tenant, id), EventType.DELETED);
  }

  /** Whether this engine is deleting the snapshot right now (so a sweep or retention run skips it). */
  boolean inFlight(SnapshotId id) {
    return deletesInFlight.contains(id);
  }

  /** Deletes {@code snapshot} strictly; {@code doneEvent} is the event of a completed delete. */
  void delete(Snapshot snapshot, EventType doneEvent) {
    SnapshotId id = snapshot.id();
    if (!deletesInFlight.add(id)) {
      throw new SnapshotException(ErrorCode.CONFLICT, "snapshot " + id
          + " cannot be deleted now: a delete is in flight; wait for it to finish")
          .withWorkload(snapshot.workload()).withSnapshot(id);
    }
    try {
      deleteOnce(snapshot, doneEvent);
    } finally {
      deletesInFlight.remove(id);
      // Also after a failure: the removal may have committed before its acknowledgement was lost.
      ctx.usage().invalidate(snapshot.tenant());
    }
  }

  private void deleteOnce(Snapshot snapshot, EventType doneEvent) {
    WorkloadRef workload = snapshot.workload();
    SnapshotId id = snapshot.id();
    List<HostInfo> all = ctx.read("listing hosts", ctx.hosts()::hosts);
    List<HostFailure> notOnline = all.stream().filter(h -> h.status() != HostStatus.ONLINE)
        .map(h -> new HostFailure(h.id(), "host is " + h.status().name().toLowerCase(Locale.ROOT), false)).toList();
    SnapshotStatus from = ctx.transaction("marking snapshot " + id + " DELETING", tx -> {
      Snapshot current = tx.find(id).orElseThrow(() -> notFound(id, workload));
      checkDeletable(current);
      if (!notOnline.isEmpty()) {
        // Refused before any host is asked: nothing is deleted, the row is left as it is.
        tx.append(ctx.event(EventType.DELETE_FAILED, current, Map.of("hosts", hostList(notOnline, ","))));
        return current.status();
      }
      if (current.status() == SnapshotStatus.READY
          && !tx.compareAndSet(SnapshotStatus.READY, current.withStatus(SnapshotStatus.DELETING))) {
        throw new SnapshotException(ErrorCode.CONFLICT, "snapshot " + id
            + " changed while the delete started; retry").withWorkload(workload).withSnapshot(id);
      }
      return current.status();
    });
    if (!notOnline.isEmpty()) {
      notOnline.forEach(f -> ctx.observations().hostDeleteFailed(f.host()));
      throw new SnapshotException(ErrorCode.CONFLICT, "cannot delete snapshot " + id + ": " + described(notOnline)
          + "; the directory does not report " + (notOnline.size() == 1 ? "it" : "them") + " ONLINE, so no host was "
          + "asked and nothing was deleted (the snapshot is still " + from + "); retry the delete once "
          + hostList(notOnline, ", ") + (notOnline.size() == 1 ? " is" : " are") + " back online")
          .withWorkload(workload).withSnapshot(id).withFailedHosts(notOnline.stream().map(HostFailure::host).toList());
    }
    boolean resumed = from == SnapshotStatus.DELETING;
    if (resumed) {
      log.info("resuming the unfinished delete of snapshot {}", id);
    }
    SnapshotStatus marked = from == SnapshotStatus.FAILED ? SnapshotStatus.FAILED : SnapshotStatus.DELETING;
    Broadcast broadcast = broadcast(workload, id, all);
    if (!broadcast.failures().isEmpty()) {
      throw refused(snapshot, marked, resumed, broadcast);
    }
    boolean removed = ctx.transaction("removing snapshot " + id, tx -> {
      Optional<Snapshot> current = tx.find(id);
      if (current.isEmpty() || !tx.remove(id, marked)) {
        return false;
      }
      tx.append(ctx.event(doneEvent, current.get(), Map.of("trigger", current.get().trigger().value())));
      return true;
    });
    if (!removed) {
      log.warn("snapshot {} was removed by someone else while its delete ran", id);
    }
    snapshot.manifest().flatMap(ManifestRef::blobKey).ifPresent(manifests::deleteBlobQuietly);
    reads.forgetSize(id);
  }

  /** Records a delete that some host did not confirm, and returns the CONFLICT saying where the snapshot is left. */
  private SnapshotException refused(Snapshot snapshot, SnapshotStatus marked, boolean resumed, Broadcast broadcast) {
    WorkloadRef workload = snapshot.workload();
    SnapshotId id = snapshot.id();
    List<HostFailure> failures = broadcast.failures();
    List<String> failedHosts = failures.stream().map(HostFailure::host).toList();
    failedHosts.forEach(ctx.observations()::hostDeleteFailed);
    // READY again only while the data is certainly intact: no host confirmed, none may have
    // deleted without answering, and no earlier delete of it had started.
    boolean dataMayBeGone = resumed || broadcast.anyConfirmed() || failures.stream().anyMatch(HostFailure::mayHaveDeleted);
    String unfinished = described(failures) + " did not confirm the delete; run delete again once "
        + hostList(failures, ", ") + (failures.size() == 1 ? " is" : " are") + " back to finish it";
    SnapshotStatus left = ctx.transaction("recording the refused delete of snapshot " + id, tx -> {
      Optional<Snapshot> current = tx.find(id);
      SnapshotStatus now = current.map(Snapshot::status).orElse(marked);
      if (current.isPresent() && now == SnapshotStatus.DELETING) {
        Snapshot row = current.get();
        Snapshot kept = dataMayBeGone ? withFailure(row, unfinished) : row.withStatus(SnapshotStatus.READY);
        if (tx.compareAndSet(SnapshotStatus.DELETING, kept)) {
          now = kept.status();
        }
      }
      tx.append(ctx.event(EventType.DELETE_FAILED, current.orElse(snapshot), Map.of("hosts", String.join(",", failedHosts))));
      return now;
    });
    String outcome = switch (left) {
      case READY -> "no host deleted anything, so the snapshot is READY again; retry the delete when "
          + hostList(failures, ", ") + (failures.size() == 1 ? " is" : " are") + " back";
      case DELETING -> "some hosts may already have dropped its data, so the snapshot stays DELETING and cannot be "
          + "restored; run delete again once " + hostList(failures, ", ") + (failures.size() == 1 ? " is" : " are")
          + " back to finish it (an expiry sweep or retention run also finishes it)";
      default -> "the snapshot was kept (" + left + ") so nothing is orphaned; retry the delete when these hosts are back";
    };
    return new SnapshotException(ErrorCode.CONFLICT, "could not remove snapshot " + id
        + " from every host: " + described(failures) + "; " + outcome).withWorkload(workload).withSnapshot(id)
        .withFailedHosts(failedHosts);
  }

  /** "h3 (host is offline), h4 (timed out …)". */
  private static String described(List<HostFailure> failures) {
    return String.join(", ", failures.stream().map(f -> f.host() + " (" + f.reason() + ")").toList());
  }

  private static String hostList(List<HostFailure> failures, String separator) {
    return String.join(separator, failures.stream().map(HostFailure::host).toList());
  }

  /** The row with {@code text} in its failure field: why a DELETING snapshot's delete is unfinished. */
  private static Snapshot withFailure(Snapshot s, String text) {
    return new Snapshot(s.id(), s.workload(), s.version(), s.name(), s.trigger(), s.status(), s.parent(),
        s.createdAt(), s.expiresAt(), s.sizeBytes(), s.partial(), s.isProtected(), s.labels(), s.host(),
        s.manifest(), Optional.of(text));
  }

  private static void checkDeletable(Snapshot s) {
    if (s.isProtected()) {
      throw new SnapshotException(ErrorCode.FORBIDDEN, "snapshot " + s.id()
          + " is protected; unprotect it before deleting it").withWorkload(s.workload()).withSnapshot(s.id());
    }
    switch (s.status()) {
      case CAPTURING -> throw new SnapshotException(ErrorCode.CONFLICT, "snapshot " + s.id()
          + " cannot be deleted while its capture is still running; retry when it is READY or FAILED")
          .withWorkload(s.workload()).withSnapshot(s.id());
      case READY, FAILED, DELETING -> { }
    }
  }

  /**
   * A host that did not confirm a delete, and why; {@code mayHaveDeleted} when it was asked and
   * gave no answer (timed out, interrupted), so its part of the data may be gone.
   */
  private record HostFailure(String host, String reason, boolean mayHaveDeleted) {}

  /** What a delete fan-out found: the hosts that did not confirm, and whether any host confirmed. */
  private record Broadcast(List<HostFailure> failures, boolean anyConfirmed) {}

  /** Asks every host of {@code all} to delete, in parallel; the hosts that did not confirm are in directory order. */
  private Broadcast broadcast(WorkloadRef workload, SnapshotId id, List<HostInfo> all) {
    Map<String, FutureTask<DeleteOutcome>> tasks = new LinkedHashMap<>();
    Map<String, String> refused = new LinkedHashMap<>();
    for (HostInfo host : all) {
      if (host.status() != HostStatus.ONLINE) {
        refused.put(host.id(), "host is " + host.status().name().toLowerCase(Locale.ROOT));
        continue;
      }
      FutureTask<DeleteOutcome> task = new FutureTask<>(() -> ctx.hosts().agent(host.id()).delete(workload, id));
      try {
        ctx.executor().execute(task);
        tasks.put(host.id(), task);
      } catch (RejectedExecutionException e) {
        refused.put(host.id(), "the engine's executor refused the request");
      }
    }
    long deadline = System.nanoTime() + ctx.settings().hostTimeout().toNanos();
    boolean interrupted = false;
    boolean anyConfirmed = false;
    List<HostFailure> failures = new ArrayList<>();
    for (HostInfo host : all) {
      String reason = refused.get(host.id());
      FutureTask<DeleteOutcome> task = tasks.get(host.id());
      boolean unanswered = false;
      if (reason == null && task != null) {
        reason = interrupted ? INTERRUPTED : await(task, deadline, host.id());
        unanswered = reason != null && (reason.equals(INTERRUPTED) || reason.startsWith(TIMED_OUT));
        if (reason != null && reason.equals(INTERRUPTED)) {
          interrupted = true;
          reason = "the delete was interrupted";
        }
        if (reason != null) {
          task.cancel(true);
        } else {
          anyConfirmed = true;
        }
      }
      if (reason != null) {
        failures.add(new HostFailure(host.id(), reason, unanswered));
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return new Broadcast(failures, anyConfirmed);
  }

  /** Waits for one host's delete; null when it confirmed, else why not. */
  private String await(FutureTask<DeleteOutcome> task, long deadline, String host) {
    try {
      DeleteOutcome outcome = task.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      return outcome == null ? "host gave no answer" : null;
    } catch (TimeoutException e) {
      return TIMED_OUT + ctx.settings().hostTimeout();
    } catch (InterruptedException e) {
      return INTERRUPTED;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof SnapshotException se && se.code() == ErrorCode.HOST_UNAVAILABLE) {
        return "unreachable: " + oneLine(se.getMessage());
      }
      log.debug("delete on host {} failed", host, cause);
      return "error: " + oneLine(cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
    } catch (CancellationException e) {
      return "cancelled";
    }
  }

  /** See {@link SnapshotEngine#protect}. */
  Snapshot protect(TenantId tenant, SnapshotId id, boolean value) {
    Snapshot snapshot = ctx.owned(tenant, id);
    for (int attempt = 0; attempt < 3; attempt++) {
      Optional<Snapshot> result = ctx.transaction("protecting snapshot " + id, tx -> {
        Snapshot current = tx.find(id).orElseThrow(() -> notFound(id, snapshot.workload()));
        if (current.isProtected() == value) {
          return Optional.of(current);
        }
        Snapshot changed = current.withProtected(value);
        return tx.compareAndSet(current.status(), changed) ? Optional.of(changed) : Optional.<Snapshot>empty();
      });
      if (result.isPresent()) {
        return result.get();
      }
    }
    throw new SnapshotException(ErrorCode.CONFLICT, "snapshot " + id
        + " kept changing while its protection was updated; retry").withWorkload(snapshot.workload()).withSnapshot(id);
  }
}
