package io.snapshotkit.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A {@code SELECT} on a {@link Handle}: bind its parameters, then {@link #map} its rows (or
 * {@link #mapTo} its single column) and read them with {@link Rows#list}, {@link Rows#one} or
 * {@link Rows#findOne}. The statement runs, is read to the end and is closed within that call.
 */
final class Query extends SqlStatement<Query> {
  Query(Connection connection, String sql) {
    super(connection, sql);
  }

  /** The rows, each turned into a value by {@code mapper}. */
  <T> Rows<T> map(RowMapper<T> mapper) {
    return new Rows<>(this, mapper);
  }

  /**
   * The rows' first column as {@code type}: {@link Integer}, {@link Long}, {@link String} or
   * {@code byte[]} (SQL NULL reads as {@code null}).
   */
  @SuppressWarnings("unchecked")
  <T> Rows<T> mapTo(Class<T> type) {
    RowMapper<?> column;
    if (type == Integer.class) {
      column = rs -> {
        int v = rs.getInt(1);
        return rs.wasNull() ? null : v;
      };
    } else if (type == Long.class) {
      column = rs -> {
        long v = rs.getLong(1);
        return rs.wasNull() ? null : v;
      };
    } else if (type == String.class) {
      column = rs -> rs.getString(1);
    } else if (type == byte[].class) {
      column = rs -> rs.getBytes(1);
    } else {
      throw new IllegalArgumentException("no column mapping to " + type.getName());
    }
    return new Rows<>(this, (RowMapper<T>) column);
  }

  /**
   * A query's rows as values.
   *
   * @param <T> the value of one row
   */
  static final class Rows<T> {
    private final Query query;
    private final RowMapper<T> mapper;

    private Rows(Query query, RowMapper<T> mapper) {
      this.query = query;
      this.mapper = mapper;
    }

    /** Every row, in the order the database returned them. */
    List<T> list() {
      return read(Integer.MAX_VALUE);
    }

    /**
     * The only row.
     *
     * @throws IllegalStateException if there is none or more than one
     */
    T one() {
      List<T> rows = read(2);
      if (rows.size() != 1) {
        throw new IllegalStateException("expected one row, found " + (rows.isEmpty() ? "none" : "more"));
      }
      return rows.get(0);
    }

    /**
     * The only row, or empty if there is none.
     *
     * @throws IllegalStateException if there is more than one
     */
    Optional<T> findOne() {
      List<T> rows = read(2);
      if (rows.size() > 1) {
        throw new IllegalStateException("expected at most one row, found more");
      }
      return rows.isEmpty() ? Optional.empty() : Optional.ofNullable(rows.get(0));
    }

    private List<T> read(int limit) {
      try (PreparedStatement ps = query.prepare(); ResultSet rs = ps.executeQuery()) {
        List<T> rows = new ArrayList<>();
        while (rows.size() < limit && rs.next()) {
          rows.add(mapper.map(rs));
        }
        return rows;
      } catch (SQLException e) {
        throw query.failed(e);
      }
    }
  }
}
