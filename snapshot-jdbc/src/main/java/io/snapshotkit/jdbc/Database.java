package io.snapshotkit.jdbc;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * Where a store's connections come from, and the two ways its code uses one: {@link #withHandle}
 * (auto-commit, for reads) and {@link #inTransaction} (one transaction, committed when the
 * callback returns and rolled back when it throws). Plain JDBC: measured in a cold process
 * (JDK 25 with an AOT cache) opening a SQLite file and running four statements took 165-230 ms
 * and 0.31-0.35 CPU s through JDBI, 91-124 ms and 0.14-0.17 CPU s through JDBC directly; every
 * CLI command pays that.
 *
 * <p>A {@link SQLException} leaves a callback as an {@link SqlError}; so does a failure to
 * connect, marked {@link SqlError#connecting()}.
 *
 * <p><b>Threading:</b> thread-safe if its {@link Connections} is; each handle is used by one thread.
 */
final class Database {
  /** Opens and takes back connections. */
  @FunctionalInterface
  interface Connections {
    /** A connection in auto-commit mode. */
    Connection open() throws SQLException;

    /**
     * Takes back a connection {@link #open} gave, in auto-commit mode unless it failed; closes it
     * unless the implementation keeps connections open.
     */
    default void release(Connection connection) throws SQLException {
      connection.close();
    }
  }

  private final Connections connections;

  Database(Connections connections) {
    this.connections = Objects.requireNonNull(connections, "connections");
  }

  /** Connections from a data source (a pool, usually), closed after each use. */
  static Database of(DataSource dataSource) {
    Objects.requireNonNull(dataSource, "dataSource");
    return new Database(dataSource::getConnection);
  }

  /** A new connection to a JDBC URL for each use. */
  static Database of(String url) {
    Objects.requireNonNull(url, "url");
    return new Database(() -> DriverManager.getConnection(url));
  }

  /** Runs {@code body} on a connection in auto-commit mode. */
  <T> T withHandle(Function<Handle, T> body) {
    Connection c = open();
    Throwable failure = null;
    try {
      return body.apply(new Handle(c));
    } catch (RuntimeException | Error e) {
      failure = e;
      throw e;
    } finally {
      release(c, failure);
    }
  }

  /** Runs {@code body} in one transaction: committed if it returns, rolled back if it throws. */
  <T> T inTransaction(Function<Handle, T> body) {
    Connection c = open();
    Throwable failure = null;
    try {
      try {
        c.setAutoCommit(false);
      } catch (SQLException e) {
        throw new SqlError("beginning a transaction", e, false);
      }
      try {
        T result = body.apply(new Handle(c));
        try {
          c.commit();
        } catch (SQLException e) {
          throw new SqlError("committing a transaction", e, false);
        }
        return result;
      } catch (RuntimeException | Error e) {
        try {
          c.rollback();
        } catch (SQLException | RuntimeException r) {
          e.addSuppressed(r);
        }
        throw e;
      } finally {
        try {
          c.setAutoCommit(true);
        } catch (SQLException e) {
          // the connection is broken; release closes a connection not in auto-commit mode
        }
      }
    } catch (RuntimeException | Error e) {
      failure = e;
      throw e;
    } finally {
      release(c, failure);
    }
  }

  /** {@link #inTransaction} for a callback with no result. */
  void useTransaction(Consumer<Handle> body) {
    inTransaction(h -> {
      body.accept(h);
      return null;
    });
  }

  private Connection open() {
    try {
      return connections.open();
    } catch (SQLException e) {
      throw new SqlError("opening a connection", e, true);
    }
  }

  private void release(Connection c, Throwable failure) {
    try {
      connections.release(c);
    } catch (SQLException e) {
      SqlError error = new SqlError("closing a connection", e, false);
      if (failure == null) {
        throw error;
      }
      failure.addSuppressed(error);
    }
  }
}
