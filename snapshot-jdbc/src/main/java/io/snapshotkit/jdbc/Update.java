package io.snapshotkit.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An {@code INSERT}, {@code UPDATE}, {@code DELETE} or DDL statement on a {@link Handle}. Run it
 * once with {@link #execute}, or as a batch: bind one row's values, {@link #add()}, repeat, then
 * {@link #execute}.
 */
final class Update extends SqlStatement<Update> {
  private final List<Map<String, Value>> rows = new ArrayList<>();

  Update(Connection connection, String sql) {
    super(connection, sql);
  }

  /** Ends a batch row: the values bound since the last {@code add} are one row of the batch. */
  Update add() {
    rows.add(takeRow());
    return this;
  }

  /**
   * Runs the statement; after {@link #add()}, once for every row added (and the batch is empty
   * again).
   *
   * @return the rows changed (for a batch, their sum)
   * @throws IllegalStateException if values were bound after a batch's last {@link #add()}
   */
  int execute() {
    try {
      if (!rows.isEmpty()) {
        if (hasValues()) {
          throw new IllegalStateException("values were bound after the batch's last add(); add() them or drop them");
        }
        int changed = executeBatch(rows);
        rows.clear();
        return changed;
      }
      try (PreparedStatement ps = prepare()) {
        return ps.executeUpdate();
      }
    } catch (SQLException e) {
      throw failed(e);
    }
  }
}
