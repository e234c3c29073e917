package io.snapshotkit.jdbc;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The {@code sk_label} table (schema version 4): one row per label of a snapshot, kept equal to
 * the row's {@code labels} column, so that a list filtered by labels probes an index. Each label
 * is found by the SHA-256 of its key, a NUL and its value ({@code pair_hash}), which keeps the
 * index small whatever the label's size; the filter compares the key and value as well, so a
 * hash collision could never match a wrong label.
 *
 * <p><b>Threading:</b> stateless; each call runs on the caller's handle and transaction.
 */
final class LabelRows {
  private LabelRows() {}

  /** Writes the rows of a newly inserted snapshot. */
  static void insert(Handle h, String snapshotId, Map<String, String> labels) {
    if (labels.isEmpty()) {
      return;
    }
    Update batch = h.createUpdate("INSERT INTO sk_label (snapshot_id, pair_hash, label_key, label_value) "
        + "VALUES (:id, :h, :k, :v)");
    labels.forEach((k, v) -> batch.bind("id", snapshotId).bind("h", pairHash(k, v)).bind("k", k).bind("v", v).add());
    batch.execute();
  }

  /** Makes the rows equal {@code labels} after an update of the snapshot row. */
  static void replace(Handle h, String snapshotId, Map<String, String> labels) {
    remove(h, snapshotId);
    insert(h, snapshotId, labels);
  }

  /** Removes the rows of a removed snapshot. */
  static void remove(Handle h, String snapshotId) {
    h.createUpdate("DELETE FROM sk_label WHERE snapshot_id = :id").bind("id", snapshotId).execute();
  }

  /**
   * Appends one {@code EXISTS} condition per label to a query on {@code sk_snapshot} (whose rows
   * the query calls {@code s}), with parameters {@code lh0, lk0, lv0, ...}; bind them with {@link #bind}.
   */
  static void appendFilter(StringBuilder sql, int count) {
    for (int i = 0; i < count; i++) {
      sql.append(" AND EXISTS (SELECT 1 FROM sk_label l WHERE l.snapshot_id = s.id AND l.pair_hash = :lh").append(i)
          .append(" AND l.label_key = :lk").append(i).append(" AND l.label_value = :lv").append(i).append(')');
    }
  }

  /** Binds the parameters {@link #appendFilter} named, in the same order. */
  static void bind(Query q, List<Map.Entry<String, String>> labels) {
    for (int i = 0; i < labels.size(); i++) {
      String k = labels.get(i).getKey();
      String v = labels.get(i).getValue();
      q.bind("lh" + i, pairHash(k, v)).bind("lk" + i, k).bind("lv" + i, v);
    }
  }

  /** Fills the table from every existing row: the Java step of migrating to schema version 4. */
  static void backfill(Handle h) {
    h.createQuery("SELECT id, labels FROM sk_snapshot WHERE labels <> '{}'")
        .map(rs -> Map.entry(rs.getString("id"), rs.getString("labels")))
        .list()
        .forEach(row -> insert(h, row.getKey(), Codec.stringMap(row.getValue())));
  }

  static String pairHash(String key, String value) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(key.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(value.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}
