package io.snapshotkit.jdbc;

import java.sql.SQLException;

/**
 * A {@link SQLException} on its way through code that cannot throw checked exceptions (the
 * store's callbacks), with the statement or step it came from. {@link SqlFailures} classifies it by
 * its cause; {@link #connecting()} says the connection itself could not be opened.
 */
final class SqlError extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final boolean connecting;

  SqlError(String message, SQLException cause, boolean connecting) {
    super(message + ": " + cause.getMessage(), cause);
    this.connecting = connecting;
  }

  /** Whether opening the connection failed (the database could not be reached or opened). */
  boolean connecting() {
    return connecting;
  }

  @Override
  public synchronized SQLException getCause() {
    return (SQLException) super.getCause();
  }
}
