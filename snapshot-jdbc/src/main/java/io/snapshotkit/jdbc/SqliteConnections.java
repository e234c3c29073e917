package io.snapshotkit.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteDataSource;

/**
 * The connections of a store built with {@link JdbcManifestStore#sqlite}: opened with the
 * store's settings ({@code BEGIN IMMEDIATE}, busy timeout, WAL) and kept open between
 * transactions, up to {@value #MAX_IDLE} idle ones.
 *
 * <p>Why: opening a SQLite connection re-applies its pragmas, and closing the last connection of
 * a WAL database checkpoints and deletes the WAL file; doing both for every transaction made a
 * metadata-only capture several times slower than the SQL it runs. A connection comes back here
 * only in auto-commit mode with no transaction open; one that fails that check is closed.
 *
 * <p><b>Threading:</b> thread-safe; each connection is used by one thread at a time.
 */
final class SqliteConnections implements Database.Connections {
  /** How many open, unused connections are kept; more concurrent transactions open more. */
  static final int MAX_IDLE = 4;
  private static final Logger LOG = LoggerFactory.getLogger(SqliteConnections.class);

  private final SQLiteDataSource dataSource;
  private final Deque<Connection> idle = new ArrayDeque<>();
  private boolean closed;

  SqliteConnections(SQLiteDataSource dataSource) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
  }

  @Override
  public Connection open() throws SQLException {
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("this SQLite store was closed; build a new one");
      }
      Connection reused = idle.pollFirst();
      if (reused != null) {
        return reused;
      }
    }
    return dataSource.getConnection();
  }

  @Override
  public void release(Connection connection) throws SQLException {
    boolean reusable;
    try {
      reusable = !connection.isClosed() && connection.getAutoCommit();
    } catch (SQLException e) {
      reusable = false;
    }
    synchronized (this) {
      if (reusable && !closed && idle.size() < MAX_IDLE) {
        idle.addFirst(connection);
        return;
      }
    }
    connection.close();
  }

  /** Closes the idle connections; connections in use are closed when their transaction ends. */
  void close() {
    Connection[] toClose;
    synchronized (this) {
      closed = true;
      toClose = idle.toArray(new Connection[0]);
      idle.clear();
    }
    for (Connection c : toClose) {
      try {
        c.close();
      } catch (SQLException e) {
        LOG.warn("could not close a SQLite connection of {}: {}", dataSource.getUrl(), e.toString());
      }
    }
  }
}
