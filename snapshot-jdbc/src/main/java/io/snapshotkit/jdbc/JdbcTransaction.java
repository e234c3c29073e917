package io.snapshotkit.jdbc;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotOrigin;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.TenantId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.Admission;
import io.snapshotkit.spi.StoreChecks;
import io.snapshotkit.spi.StoreTransaction;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * One {@link JdbcManifestStore#inTransaction} call's operations on one handle. Remembers
 * whether a statement failed in a way that makes retrying the whole transaction worthwhile, and
 * which manifests it changed so the store can invalidate its cache after the transaction ends.
 *
 * <p><b>Threading:</b> confined to the thread running the work.
 */
final class JdbcTransaction implements StoreTransaction {
  private final Handle handle;
  private final Dialect dialect;
  private final String database;
  private final Set<SnapshotId> touchedManifests = new HashSet<>();
  /** Workload counter rows this transaction holds locked, with their last version as of now. */
  private final Map<WorkloadRef, Integer> lockedWorkloads = new HashMap<>();
  private boolean open = true;
  private SnapshotException retryableFailure;

  JdbcTransaction(Handle handle, Dialect dialect, String database) {
    this.handle = handle;
    this.dialect = dialect;
    this.database = database;
  }

  /** The failure that should make the store retry the transaction, if one happened. */
  Optional<SnapshotException> retryableFailure() {
    return Optional.ofNullable(retryableFailure);
  }

  Set<SnapshotId> touchedManifests() {
    return touchedManifests;
  }

  Handle handle() {
    return handle;
  }

  Dialect dialect() {
    return dialect;
  }

  void close() {
    open = false;
  }

  @Override
  public Optional<Snapshot> find(SnapshotId id) {
    Objects.requireNonNull(id, "id");
    return run("reading snapshot " + id, () -> handle
        .createQuery("SELECT " + Sql.SNAPSHOT_COLUMNS + " FROM sk_snapshot WHERE id = :id")
        .bind("id", id.value())
        .map(Sql::snapshot)
        .findOne());
  }

  @Override
  public Admission insertCapturing(Snapshot row, int maxSnapshots) {
    StoreChecks.insertCapturing(row, maxSnapshots);
    return run("inserting snapshot " + row.id(), () -> {
      lockWorkload(row.workload());
      boolean exists = handle.createQuery("SELECT COUNT(*) FROM sk_snapshot WHERE id = :id")
          .bind("id", row.id().value()).mapTo(Long.class).one() > 0;
      if (exists) {
        throw new SnapshotException(ErrorCode.CONFLICT, "snapshot " + row.id() + " already exists; generate a new id")
            .withSnapshot(row.id());
      }
      long used = handle.createQuery(
              "SELECT COUNT(*) FROM sk_snapshot WHERE tenant = :t AND workload = :w AND status <> 'FAILED'")
          .bind("t", row.tenant().value()).bind("w", row.workload().id())
          .mapTo(Long.class).one();
      if (maxSnapshots != -1 && used >= maxSnapshots) {
        return new Admission(false, used);
      }
      Sql.bindSnapshot(handle.createUpdate("INSERT INTO sk_snapshot (" + Sql.SNAPSHOT_COLUMNS + ") VALUES ("
          + ":id, :tenant, :workload, :version, :name, :trig, :status, :parent, :created_at, :expires_at, "
          + ":size_bytes, :partial, :protected, :labels, :host, :manifest_ref, :failure)"), row).execute();
      LabelRows.insert(handle, row.id().value(), row.labels());
      return new Admission(true, used);
    });
  }

  @Override
  public long usageBytes(TenantId tenant) {
    Objects.requireNonNull(tenant, "tenant");
    return run("summing usage of " + tenant, () -> SnapshotQueries.usageBytes(handle, tenant));
  }

  @Override
  public int nextVersion(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    return run("assigning the next version of " + workload, () -> {
      int last = lockWorkload(workload);
      int next = Math.addExact(last, 1);
      handle.createUpdate("UPDATE sk_workload SET last_version = :v WHERE tenant = :t AND workload = :w")
          .bind("v", next).bind("t", workload.tenant().value()).bind("w", workload.id()).execute();
      lockedWorkloads.put(workload, next);
      return next;
    });
  }

  @Override
  public boolean compareAndSet(SnapshotStatus expected, Snapshot replacement) {
    StoreChecks.compareAndSet(expected, replacement);
    return run("updating snapshot " + replacement.id(), () -> {
      // Labels almost never change: try the update that keeps them first, so the usual compare-and-set
      // stays one statement; only when that matches nothing does a second one tell a changed label set
      // (then sk_label follows it) from a row that is not in the expected status.
      if (update(expected, replacement, " AND labels = :labels") == 1) {
        return true;
      }
      if (update(expected, replacement, "") == 0) {
        return false;
      }
      LabelRows.replace(handle, replacement.id().value(), replacement.labels());
      return true;
    });
  }

  private int update(SnapshotStatus expected, Snapshot replacement, String condition) {
    return Sql.bindSnapshot(handle.createUpdate(
            "UPDATE sk_snapshot SET tenant = :tenant, workload = :workload, version = :version, name = :name, "
                + "trig = :trig, status = :status, parent = :parent, created_at = :created_at, "
                + "expires_at = :expires_at, size_bytes = :size_bytes, partial = :partial, protected = :protected, "
                + "labels = :labels, host = :host, manifest_ref = :manifest_ref, failure = :failure "
                + "WHERE id = :id AND status = :expected" + condition), replacement)
        .bind("expected", expected.name())
        .execute();
  }

  @Override
  public void putManifest(SnapshotId id, byte[] json) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(json, "json");
    byte[] copy = json.clone();
    run("storing the manifest of " + id, () -> {
      touchedManifests.add(id);
      int updated = handle.createUpdate("UPDATE sk_manifest SET content = :c WHERE snapshot_id = :id")
          .bind("c", copy).bind("id", id.value()).execute();
      if (updated == 0) {
        handle.createUpdate("INSERT INTO sk_manifest (snapshot_id, content) VALUES (:id, :c)")
            .bind("id", id.value()).bind("c", copy).execute();
      }
      return null;
    });
  }

  @Override
  public void putOrigin(SnapshotId id, SnapshotOrigin origin) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(origin, "origin");
    run("recording the origin of " + id, () -> {
      int updated = handle.createUpdate(
              "UPDATE sk_snapshot SET origin_snapshot = :s, origin_workload = :w WHERE id = :id")
          .bind("s", origin.snapshot().value()).bind("w", origin.workload().id()).bind("id", id.value()).execute();
      if (updated == 0) {
        throw SnapshotException.notFound("snapshot " + id + " does not exist; its origin cannot be recorded");
      }
      return null;
    });
  }

  @Override
  public boolean remove(SnapshotId id, SnapshotStatus expected) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(expected, "expected");
    return run("removing snapshot " + id, () -> {
      int removed = handle.createUpdate("DELETE FROM sk_snapshot WHERE id = :id AND status = :s")
          .bind("id", id.value()).bind("s", expected.name()).execute();
      if (removed == 0) {
        return false;
      }
      touchedManifests.add(id);
      handle.createUpdate("DELETE FROM sk_manifest WHERE snapshot_id = :id").bind("id", id.value()).execute();
      LabelRows.remove(handle, id.value());
      return true;
    });
  }

  @Override
  public void append(SnapshotEvent event) {
    Objects.requireNonNull(event, "event");
    run("appending event " + event.id(), () -> {
      String tenant = event.tenant().value();
      String workload = event.workload().id();
      lockWorkload(event.workload());
      Sql.lockOutbox(handle, dialect, false);
      long seq = Sql.insertEvent(handle, dialect, event);
      handle.createUpdate("INSERT INTO sk_delivery (hook, seq, tenant, workload, state, attempts) "
              + "SELECT name, CAST(:seq AS BIGINT), CAST(:t AS VARCHAR(128)), CAST(:w AS VARCHAR(128)), 'PENDING', 0 FROM sk_hook")
          .bind("seq", seq).bind("t", tenant).bind("w", workload).execute();
      handle.createUpdate("INSERT INTO sk_claim (hook, tenant, workload) "
              + "SELECT h.name, CAST(:t AS VARCHAR(128)), CAST(:w AS VARCHAR(128)) FROM sk_hook h WHERE NOT EXISTS "
              + "(SELECT 1 FROM sk_claim c WHERE c.hook = h.name AND c.tenant = :t AND c.workload = :w)")
          .bind("t", tenant).bind("w", workload).execute();
      return null;
    });
  }

  /**
   * Locks the workload's counter row once per transaction and returns its last version; later
   * calls in the same transaction already hold the lock, and nobody else can change the row.
   */
  private int lockWorkload(WorkloadRef workload) {
    Integer held = lockedWorkloads.get(workload);
    if (held != null) {
      return held;
    }
    int last = Sql.lockWorkload(handle, dialect, workload);
    lockedWorkloads.put(workload, last);
    return last;
  }

  /** Runs statements of this transaction, classifying failures (also used by the outbox). */
  <R> R run(String what, Supplier<R> statement) {
    if (!open) {
      throw new IllegalStateException("this transaction has ended; use the one passed to the current StoreWork");
    }
    if (retryableFailure != null) {
      // The database already aborted this attempt; the store will roll back and run the work again.
      throw retryableFailure;
    }
    try {
      return statement.get();
    } catch (SnapshotException e) {
      throw e;
    } catch (RuntimeException e) {
      SnapshotException mapped = SqlFailures.map(what, e, database);
      if (SqlFailures.isRetryable(e)) {
        retryableFailure = mapped;
      }
      throw mapped;
    }
  }
}
