package io.snapshotkit.jdbc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store's JDBC layer on a real SQLite file: binding, row mapping, batches, transactions, failures. */
@DisplayName("the store's JDBC layer")
class DatabaseTest {
  @TempDir
  Path dir;
  private Database db;

  @BeforeEach
  void table() {
    db = Database.of("jdbc:sqlite:" + dir.resolve("t.db"));
    db.withHandle(h -> h.execute("CREATE TABLE t (id VARCHAR(10) PRIMARY KEY, n INTEGER, big BIGINT, flag BOOLEAN, "
        + "data BLOB)"));
  }

  private int insert(Handle h, String id, Integer n, Long big, boolean flag, byte[] data) {
    return h.createUpdate("INSERT INTO t (id, n, big, flag, data) VALUES (:id, :n, :big, :flag, :data)")
        .bind("id", id).bind("n", n).bind("big", big).bind("flag", flag).bind("data", data).execute();
  }

  @Test
  @DisplayName("values and NULLs of each bound type read back as bound")
  void bindsAndReadsBack() {
    assertEquals(Integer.valueOf(1), db.<Integer>withHandle(h -> insert(h, "a", 7, 1L << 40, true, new byte[] {1, 2})));
    assertEquals(Integer.valueOf(1), db.<Integer>withHandle(h -> insert(h, "b", null, null, false, null)));
    assertEquals(Integer.valueOf(7), db.withHandle(h -> h.createQuery("SELECT n FROM t WHERE id = :id")
        .bind("id", "a").mapTo(Integer.class).one()));
    assertEquals(Long.valueOf(1L << 40), db.withHandle(h -> h.createQuery("SELECT big FROM t WHERE id = :id")
        .bind("id", "a").mapTo(Long.class).one()));
    assertArrayEquals(new byte[] {1, 2}, db.withHandle(h -> h.createQuery("SELECT data FROM t WHERE id = :id")
        .bind("id", "a").mapTo(byte[].class).one()));
    assertNull(db.withHandle(h -> h.createQuery("SELECT n FROM t WHERE id = :id").bind("id", "b")
        .mapTo(Integer.class).one()));
    assertNull(db.withHandle(h -> h.createQuery("SELECT big FROM t WHERE id = :id").bind("id", "b")
        .mapTo(Long.class).one()));
    assertEquals(List.of("a:true", "b:false"), db.withHandle(h -> h.createQuery("SELECT id, flag FROM t ORDER BY id")
        .map(rs -> rs.getString("id") + ":" + rs.getBoolean("flag")).list()));
  }

  @Test
  @DisplayName("one wants exactly one row, findOne at most one")
  void rowCounts() {
    db.withHandle(h -> insert(h, "a", 1, 1L, true, null) + insert(h, "b", 1, 1L, true, null));
    assertThrows(IllegalStateException.class,
        () -> db.withHandle(h -> h.createQuery("SELECT id FROM t WHERE n = 1").mapTo(String.class).one()));
    assertThrows(IllegalStateException.class,
        () -> db.withHandle(h -> h.createQuery("SELECT id FROM t WHERE n = 2").mapTo(String.class).one()));
    assertThrows(IllegalStateException.class,
        () -> db.withHandle(h -> h.createQuery("SELECT id FROM t WHERE n = 1").mapTo(String.class).findOne()));
    assertEquals(Optional.empty(),
        db.withHandle(h -> h.createQuery("SELECT id FROM t WHERE n = 2").mapTo(String.class).findOne()));
    assertEquals(Optional.of("a"), db.withHandle(h -> h.createQuery("SELECT id FROM t WHERE id = :id")
        .bind("id", "a").mapTo(String.class).findOne()));
  }

  @Test
  @DisplayName("a name left unbound, or bound but not in the SQL, fails before the statement runs")
  void bindingMistakes() {
    IllegalStateException unbound = assertThrows(IllegalStateException.class,
        () -> db.withHandle(h -> h.createQuery("SELECT id FROM t WHERE id = :id AND n = :n").bind("id", "a")
            .mapTo(String.class).list()));
    assertTrue(unbound.getMessage().contains(":n"), unbound.getMessage());
    IllegalStateException unused = assertThrows(IllegalStateException.class,
        () -> db.withHandle(h -> h.createUpdate("DELETE FROM t WHERE id = :id").bind("id", "a").bind("n", 1)
            .execute()));
    assertTrue(unused.getMessage().contains(":n"), unused.getMessage());
  }

  @Test
  @DisplayName("a batch runs once per row added, each row with its own values")
  void batch() {
    int changed = db.withHandle(h -> {
      Update batch = h.createUpdate("INSERT INTO t (id, n, big, flag, data) VALUES (:id, :n, 0, :flag, NULL)");
      for (int i = 0; i < 3; i++) {
        batch.bind("id", "r" + i).bind("n", i).bind("flag", i % 2 == 0).add();
      }
      return batch.execute();
    });
    assertEquals(3, changed);
    assertEquals(List.of("r0=0", "r1=1", "r2=2"), db.withHandle(h -> h.createQuery("SELECT id, n FROM t ORDER BY id")
        .map(rs -> rs.getString(1) + "=" + rs.getInt(2)).list()));
  }

  @Test
  @DisplayName("a batch with values bound after its last add() fails instead of dropping that row")
  void batchRowNotAdded() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> db.useTransaction(h -> {
      Update batch = h.createUpdate("INSERT INTO t (id, n, big, flag, data) VALUES (:id, 1, 0, TRUE, NULL)");
      batch.bind("id", "added").add();
      batch.bind("id", "forgotten");
      batch.execute();
    }));
    assertTrue(e.getMessage().contains("add()"), e.getMessage());
    assertEquals(List.of(), db.withHandle(h -> h.createQuery("SELECT id FROM t").mapTo(String.class).list()),
        "the transaction was rolled back");
  }

  @Test
  @DisplayName("a transaction commits when its callback returns and leaves nothing when it throws")
  void transactions() {
    db.useTransaction(h -> insert(h, "kept", 1, 1L, true, null));
    IllegalStateException thrown = new IllegalStateException("the callback failed");
    assertEquals(thrown, assertThrows(IllegalStateException.class, () -> db.useTransaction(h -> {
      insert(h, "gone", 1, 1L, true, null);
      throw thrown;
    })));
    assertEquals(List.of("kept"), db.withHandle(h -> h.createQuery("SELECT id FROM t").mapTo(String.class).list()));
  }

  @Test
  @DisplayName("a failing statement is an SqlError naming its SQL, mapped like any SQL failure")
  void failures() {
    db.withHandle(h -> insert(h, "a", 1, 1L, true, null));
    SqlError duplicate = assertThrows(SqlError.class, () -> db.withHandle(h -> insert(h, "a", 2, 2L, true, null)));
    assertTrue(duplicate.getMessage().contains("INSERT INTO t"), duplicate.getMessage());
    assertFalse(duplicate.connecting());
    assertEquals(ErrorCode.CONFLICT, SqlFailures.map("inserting", duplicate).code());
  }

  @Test
  @DisplayName("a database that cannot be opened is an SqlError while connecting: HOST_UNAVAILABLE")
  void connectionFailure() {
    Database missing = Database.of("jdbc:sqlite:" + dir.resolve("no/such/dir/t.db"));
    SqlError e = assertThrows(SqlError.class, () -> missing.withHandle(h -> h.execute("SELECT 1")));
    assertTrue(e.connecting(), e.getMessage());
    assertEquals(ErrorCode.HOST_UNAVAILABLE, SqlFailures.map("opening", e).code());
  }
}
