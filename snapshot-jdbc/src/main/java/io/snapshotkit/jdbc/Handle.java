package io.snapshotkit.jdbc;

import java.sql.Connection;

/**
 * One connection of a {@link Database}, lent to a callback: the statements it creates run on that
 * connection, inside the transaction if the callback runs in one. The connection goes back when
 * the callback returns; a handle must not be kept.
 *
 * <p><b>Threading:</b> confined to the callback's thread.
 */
final class Handle {
  private final Connection connection;

  Handle(Connection connection) {
    this.connection = connection;
  }

  /** The JDBC connection, for what statements do not cover (metadata). */
  Connection connection() {
    return connection;
  }

  /** A query with {@code :name} parameters. */
  Query createQuery(String sql) {
    return new Query(connection, sql);
  }

  /** A statement that changes rows or the schema, with {@code :name} parameters. */
  Update createUpdate(String sql) {
    return new Update(connection, sql);
  }

  /** Runs a statement without parameters; returns the rows changed. */
  int execute(String sql) {
    return createUpdate(sql).execute();
  }
}
