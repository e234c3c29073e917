package io.snapshotkit.jdbc;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.WorkloadLease;
import io.snapshotkit.spi.WorkloadLock;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link WorkloadLock} on PostgreSQL session advisory locks, so that engine instances sharing one
 * database never capture or restore one workload at once. Each lease holds a dedicated connection
 * from the data source for as long as it is held (size the pool for the concurrent operations you
 * run plus the store's transactions); the lock goes away with the connection, so a crashed
 * instance never leaves a workload locked.
 *
 * <p>The lock key is a stable 64-bit FNV-1a hash of {@code "snapshotkit:" + WorkloadRef.key()}:
 * every instance and version computes the same key, and the prefix keeps it apart from other
 * advisory locks an application may take. Acquiring polls {@code pg_try_advisory_lock} with a
 * short back-off until the timeout, so a waiting thread never holds a database lock queue entry
 * and stays interruptible.
 *
 * <p><b>Failure:</b> {@code CONFLICT} when the timeout passes or the thread is interrupted (with
 * the interrupt flag set again); {@code HOST_UNAVAILABLE} when the database cannot be reached.
 *
 * <p><b>Threading:</b> thread-safe. Not re-entrant: acquiring a workload this instance holds waits
 * like any other caller, as {@link WorkloadLock} requires.
 */
public final class PostgresWorkloadLock implements WorkloadLock {
  private static final Logger LOG = LoggerFactory.getLogger(PostgresWorkloadLock.class);
  private static final long FNV_OFFSET = 0xcbf29ce484222325L;
  private static final long FNV_PRIME = 0x100000001b3L;
  private static final long FIRST_BACKOFF_MILLIS = 5;
  private static final long MAX_BACKOFF_MILLIS = 100;

  private final DataSource dataSource;

  private PostgresWorkloadLock(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** A lock whose leases borrow connections from {@code dataSource} (a PostgreSQL pool). */
  public static PostgresWorkloadLock on(DataSource dataSource) {
    return new PostgresWorkloadLock(Objects.requireNonNull(dataSource, "dataSource"));
  }

  /** The advisory-lock key of a workload: stable across instances, versions and restarts. */
  public static long lockKey(WorkloadRef workload) {
    Objects.requireNonNull(workload, "workload");
    long hash = FNV_OFFSET;
    for (byte b : ("snapshotkit:" + workload.key()).getBytes(StandardCharsets.UTF_8)) {
      hash ^= b & 0xff;
      hash *= FNV_PRIME;
    }
    return hash;
  }

  @Override
  public WorkloadLease acquire(WorkloadRef workload, Duration timeout) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(timeout, "timeout");
    long key = lockKey(workload);
    long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
    if (Thread.currentThread().isInterrupted()) {
      throw interrupted(workload, null);
    }
    Connection connection;
    try {
      connection = dataSource.getConnection();
    } catch (SQLException e) {
      throw Thread.currentThread().isInterrupted() ? interrupted(workload, e) : unreachable(workload, e);
    }
    boolean leased = false;
    try {
      connection.setAutoCommit(true);
      long backoff = FIRST_BACKOFF_MILLIS;
      while (true) {
        if (tryLock(connection, key)) {
          leased = true;
          return new Lease(workload, key, connection);
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new SnapshotException(ErrorCode.CONFLICT,
              "another operation is running on workload " + workload.key() + "; retry when it finishes")
              .withWorkload(workload);
        }
        try {
          TimeUnit.NANOSECONDS.sleep(Math.min(left, TimeUnit.MILLISECONDS.toNanos(backoff)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw interrupted(workload, e);
        }
        backoff = Math.min(MAX_BACKOFF_MILLIS, backoff * 2);
      }
    } catch (SQLException e) {
      throw SqlFailures.isUnreachable(e) ? unreachable(workload, e)
          : SnapshotException.wrap("locking workload " + workload.key() + " in PostgreSQL", e).withWorkload(workload);
    } finally {
      if (!leased) {
        closeQuietly(connection);
      }
    }
  }

  private static boolean tryLock(Connection connection, long key) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
      ps.setLong(1, key);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  /** CONFLICT for an interrupted wait; the caller's interrupt flag stays set. */
  private static SnapshotException interrupted(WorkloadRef workload, Exception cause) {
    return new SnapshotException(ErrorCode.CONFLICT,
        "interrupted while waiting for the lock of workload " + workload.key() + "; retry the operation", cause)
        .withWorkload(workload);
  }

  private static SnapshotException unreachable(WorkloadRef workload, SQLException e) {
    return new SnapshotException(ErrorCode.HOST_UNAVAILABLE,
        "could not lock workload " + workload.key() + " because the database could not be reached; "
            + "check the database is reachable and retry", e).withWorkload(workload);
  }

  private static void closeQuietly(Connection connection) {
    try {
      connection.close();
    } catch (SQLException e) {
      LOG.debug("closing a workload-lock connection failed", e);
    }
  }

  @Override
  public String toString() {
    return "PostgresWorkloadLock";
  }

  /** A held advisory lock and the connection that holds it. */
  private static final class Lease implements WorkloadLease {
    private final WorkloadRef workload;
    private final long key;
    private final Connection connection;
    private final AtomicBoolean closed = new AtomicBoolean();

    Lease(WorkloadRef workload, long key, Connection connection) {
      this.workload = workload;
      this.key = key;
      this.connection = connection;
    }

    @Override
    public WorkloadRef workload() {
      return workload;
    }

    @Override
    public boolean isHeld() {
      if (closed.get()) {
        return false;
      }
      try {
        return connection.isValid(5);
      } catch (SQLException e) {
        return false;
      }
    }

    @Override
    public void close() {
      if (!closed.compareAndSet(false, true)) {
        return;
      }
      boolean unlocked = false;
      try (PreparedStatement ps = connection.prepareStatement("SELECT pg_advisory_unlock(?)")) {
        ps.setLong(1, key);
        try (ResultSet rs = ps.executeQuery()) {
          unlocked = rs.next() && rs.getBoolean(1);
        }
      } catch (SQLException | RuntimeException e) {
        LOG.warn("could not release the lock of workload {}; dropping its connection so the database releases it",
            workload.key(), e);
      }
      if (!unlocked) {
        // Never hand a connection that may still hold the lock back to a pool.
        try {
          connection.abort(Runnable::run);
        } catch (SQLException | RuntimeException e) {
          LOG.debug("aborting a workload-lock connection failed", e);
        }
      }
      closeQuietly(connection);
    }

    @Override
    public String toString() {
      return "PostgresWorkloadLock.Lease[" + workload.key() + (closed.get() ? ", released]" : "]");
    }
  }
}
