package io.snapshotkit.jdbc;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;

/**
 * Classifies SQL failures: which ones a transaction should simply retry (lock conflicts,
 * deadlocks, a busy SQLite file) and which {@link ErrorCode} the others become.
 */
final class SqlFailures {
  private static final int SQLITE_BUSY = 5;
  private static final int SQLITE_LOCKED = 6;
  private static final int SQLITE_READONLY = 8;
  private static final int SQLITE_CORRUPT = 11;
  private static final int SQLITE_CONSTRAINT = 19;
  private static final int SQLITE_NOTADB = 26;
  /** How a failure names the database when the store has nothing more precise. */
  static final String DATABASE = "the snapshot database";
  private static final int H2_LOCK_TIMEOUT = 50200;

  private SqlFailures() {}

  /** The first {@link SQLException} in the cause chain, or null. */
  static SQLException sqlCause(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SQLException e) {
        return e;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return null;
  }

  /** Whether retrying the whole transaction may succeed: a deadlock, lock timeout or busy database. */
  static boolean isRetryable(Throwable failure) {
    SQLException e = sqlCause(failure);
    if (e == null) {
      return false;
    }
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    if (state.equals("40001") || state.equals("40P01") || state.equals("55P03")) {
      return true;
    }
    int code = e.getErrorCode();
    if (state.equals("HYT00") || code == H2_LOCK_TIMEOUT) {
      return true;
    }
    return isSqlite(e) && ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED);
  }

  /** Whether the failure is a unique or primary-key violation. */
  static boolean isUniqueViolation(Throwable failure) {
    SQLException e = sqlCause(failure);
    if (e == null) {
      return false;
    }
    if ("23505".equals(e.getSQLState())) {
      return true;
    }
    String message = String.valueOf(e.getMessage());
    return isSqlite(e) && (e.getErrorCode() & 0xff) == SQLITE_CONSTRAINT
        && (message.contains("UNIQUE") || message.contains("PRIMARYKEY") || message.contains("PRIMARY KEY"));
  }

  /** Whether SQLite found the database file damaged or not a database at all. */
  static boolean isCorrupt(Throwable failure) {
    SQLException e = sqlCause(failure);
    return e != null && isSqlite(e)
        && ((e.getErrorCode() & 0xff) == SQLITE_CORRUPT || (e.getErrorCode() & 0xff) == SQLITE_NOTADB);
  }

  /** Whether SQLite refused a write because the database (or its directory) is read-only. */
  static boolean isReadOnly(Throwable failure) {
    SQLException e = sqlCause(failure);
    return e != null && isSqlite(e) && (e.getErrorCode() & 0xff) == SQLITE_READONLY;
  }

  /** Whether the database could not be reached at all. */
  static boolean isUnreachable(Throwable failure) {
    if (failure instanceof SqlError e && e.connecting()) {
      return true;
    }
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SQLTransientConnectionException || t instanceof SQLNonTransientConnectionException) {
        return true;
      }
      if (t instanceof SQLException e && e.getSQLState() != null
          && (e.getSQLState().startsWith("08") || e.getSQLState().equals("57P01")
              || e.getSQLState().equals("57P02") || e.getSQLState().equals("57P03"))) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  /** As {@link #map(String, RuntimeException, String)} for a database with no more precise name. */
  static SnapshotException map(String what, RuntimeException failure) {
    return map(what, failure, DATABASE);
  }

  /**
   * The {@link SnapshotException} a caller sees for a failure while doing {@code what}: a damaged
   * SQLite file → CORRUPT, a write to a read-only one → FORBIDDEN (both naming {@code database},
   * such as "the snapshot database /path/file.db", and what to do), unreachable database →
   * HOST_UNAVAILABLE, unique violation → CONFLICT, anything else INTERNAL with the cause kept.
   * A SnapshotException passes through unchanged.
   */
  static SnapshotException map(String what, RuntimeException failure, String database) {
    if (failure instanceof SnapshotException e) {
      return e;
    }
    if (isCorrupt(failure)) {
      return new SnapshotException(ErrorCode.CORRUPT, what + " failed: " + database + " is damaged ("
          + sqlCause(failure).getMessage() + "); restore it from a backup, or move it away to start over with an "
          + "empty database (the snapshots it recorded are then forgotten)", failure);
    }
    if (isReadOnly(failure)) {
      return readOnly(what, database, failure);
    }
    if (isUnreachable(failure)) {
      return new SnapshotException(ErrorCode.HOST_UNAVAILABLE,
          what + " failed because the snapshot database could not be reached; check the database is reachable and retry",
          failure);
    }
    if (isUniqueViolation(failure)) {
      return new SnapshotException(ErrorCode.CONFLICT,
          what + " conflicts with a row that already exists; use a new id or re-read the current state and retry",
          failure);
    }
    if (isRetryable(failure)) {
      return new SnapshotException(ErrorCode.CONFLICT,
          what + " kept conflicting with concurrent transactions; retry the operation", failure);
    }
    return SnapshotException.wrap(what, failure);
  }

  /** FORBIDDEN: {@code what} needs to write {@code database}, which is read-only. */
  static SnapshotException readOnly(String what, String database, Throwable cause) {
    return new SnapshotException(ErrorCode.FORBIDDEN, what + " needs to write " + database + ", which is read-only; "
        + "make the file and its directory writable and retry (commands that only read work meanwhile)", cause);
  }

  private static boolean isSqlite(SQLException e) {
    return e.getClass().getName().startsWith("org.sqlite.");
  }
}
