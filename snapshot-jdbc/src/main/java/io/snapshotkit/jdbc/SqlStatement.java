package io.snapshotkit.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A statement being built on a {@link Handle}: its SQL with {@code :name} parameters and the
 * values bound to them. Every name in the SQL must be bound and every bound name must appear in it
 * (a mistake either way fails before the statement runs). A {@code null} binds SQL NULL of the
 * overload's type.
 *
 * <p><b>Threading:</b> confined to the thread of its handle.
 *
 * @param <S> the statement's own type, so that {@code bind} calls chain
 */
abstract sealed class SqlStatement<S extends SqlStatement<S>> permits Query, Update {
  /** Sets one parameter of a prepared statement. */
  @FunctionalInterface
  interface Value {
    void set(PreparedStatement ps, int position) throws SQLException;
  }

  private final Connection connection;
  private final NamedSql sql;
  private Map<String, Value> values = new HashMap<>();

  SqlStatement(Connection connection, String sql) {
    this.connection = connection;
    this.sql = NamedSql.of(sql);
  }

  @SuppressWarnings("unchecked")
  private S bind(String name, Value value) {
    values.put(name, value);
    return (S) this;
  }

  final S bind(String name, String value) {
    return bind(name, value == null ? (ps, i) -> ps.setNull(i, Types.VARCHAR) : (ps, i) -> ps.setString(i, value));
  }

  final S bind(String name, int value) {
    return bind(name, (ps, i) -> ps.setInt(i, value));
  }

  final S bind(String name, long value) {
    return bind(name, (ps, i) -> ps.setLong(i, value));
  }

  final S bind(String name, boolean value) {
    return bind(name, (ps, i) -> ps.setBoolean(i, value));
  }

  final S bind(String name, Integer value) {
    return value == null ? bind(name, (ps, i) -> ps.setNull(i, Types.INTEGER)) : bind(name, value.intValue());
  }

  final S bind(String name, Long value) {
    return value == null ? bind(name, (ps, i) -> ps.setNull(i, Types.BIGINT)) : bind(name, value.longValue());
  }

  final S bind(String name, byte[] value) {
    return bind(name, value == null ? (ps, i) -> ps.setNull(i, Types.VARBINARY) : (ps, i) -> ps.setBytes(i, value));
  }

  /** The statement prepared, with the values bound so far. */
  final PreparedStatement prepare() throws SQLException {
    PreparedStatement ps = connection.prepareStatement(sql.jdbc());
    try {
      bind(ps, values);
      return ps;
    } catch (SQLException | RuntimeException e) {
      ps.close();
      throw e;
    }
  }

  /** Runs the statement once per row of values taken by {@link #takeRow()}; returns the rows changed. */
  final int executeBatch(List<Map<String, Value>> rows) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement(sql.jdbc())) {
      for (Map<String, Value> row : rows) {
        bind(ps, row);
        ps.addBatch();
      }
      int changed = 0;
      for (int n : ps.executeBatch()) {
        changed += Math.max(n, 0);
      }
      return changed;
    }
  }

  /** Whether any value is bound since the statement was made or its last row taken. */
  final boolean hasValues() {
    return !values.isEmpty();
  }

  /** The values bound so far, as one row of a batch; the next row binds its own. */
  final Map<String, Value> takeRow() {
    Map<String, Value> row = values;
    values = new HashMap<>();
    return row;
  }

  private void bind(PreparedStatement ps, Map<String, Value> row) throws SQLException {
    List<String> names = sql.names();
    for (String bound : row.keySet()) {
      if (!names.contains(bound)) {
        throw new IllegalStateException(":" + bound + " is bound but not used in: " + sql.jdbc());
      }
    }
    for (int i = 0; i < names.size(); i++) {
      Value v = row.get(names.get(i));
      if (v == null) {
        throw new IllegalStateException("no value bound to :" + names.get(i) + " in: " + sql.jdbc());
      }
      v.set(ps, i + 1);
    }
  }

  /** A failure of this statement, unchecked, naming its SQL. */
  final SqlError failed(SQLException e) {
    return new SqlError("SQL failed: " + sql.jdbc(), e, false);
  }
}
