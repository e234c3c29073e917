package io.snapshotkit.jdbc;

import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Turns the current row of a {@link ResultSet} into a value; must not move the cursor.
 *
 * @param <T> the value's type
 */
@FunctionalInterface
interface RowMapper<T> {
  T map(ResultSet rs) throws SQLException;
}
