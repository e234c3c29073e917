package io.snapshotkit.bench.jdbc;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A minimal connection pool for the benchmarks (the bench module has no pool library): closing a
 * borrowed connection rolls back anything left open, restores auto-commit and returns it to the
 * idle queue. Both the store and the raw-JDBC baseline borrow from one of these, so neither pays
 * for opening PostgreSQL connections in the measured loop.
 *
 * <p><b>Threading:</b> thread-safe; the benchmarks use it from one thread.
 */
final class SimplePool implements DataSource, AutoCloseable {
  private final DataSource target;
  private final ConcurrentLinkedQueue<Connection> idle = new ConcurrentLinkedQueue<>();

  SimplePool(DataSource target) {
    this.target = Objects.requireNonNull(target, "target");
  }

  @Override
  public Connection getConnection() throws SQLException {
    Connection physical = idle.poll();
    if (physical == null || physical.isClosed()) {
      physical = target.getConnection();
    }
    Connection real = physical;
    boolean[] returned = {false};
    return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
        (proxy, method, args) -> {
          switch (method.getName()) {
            case "close" -> {
              if (!returned[0]) {
                returned[0] = true;
                if (!real.getAutoCommit()) {
                  real.rollback();
                  real.setAutoCommit(true);
                }
                idle.offer(real);
              }
              return null;
            }
            case "isClosed" -> {
              return returned[0] || real.isClosed();
            }
            default -> {
              if (returned[0]) {
                throw new SQLException("connection already returned to the pool");
              }
              try {
                return method.invoke(real, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            }
          }
        });
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    throw new SQLFeatureNotSupportedException("the bench pool has fixed credentials");
  }

  @Override
  public void close() throws SQLException {
    for (Connection c = idle.poll(); c != null; c = idle.poll()) {
      c.close();
    }
  }

  @Override
  public PrintWriter getLogWriter() {
    return null;
  }

  @Override
  public void setLogWriter(PrintWriter out) {
    // no logging in the bench pool
  }

  @Override
  public void setLoginTimeout(int seconds) {
    // connections are opened by the target data source with its own timeout
  }

  @Override
  public int getLoginTimeout() {
    return 0;
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    throw new SQLFeatureNotSupportedException("no java.util.logging in the bench pool");
  }

  @Override
  public <T> T unwrap(Class<T> type) throws SQLException {
    throw new SQLException("the bench pool wraps nothing");
  }

  @Override
  public boolean isWrapperFor(Class<?> type) {
    return false;
  }
}
