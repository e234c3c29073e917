package io.snapshotkit.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.testkit.ReadOnlyDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A SQLite file that is damaged, or that cannot be written, is reported as what it is (not as an
 * unreachable database), naming the file; a read-only one still answers reads. Real files, a real
 * read-only mount when running as root.
 */
@DisplayName("a SQLite store on a damaged or read-only file")
class SqliteFileStateTest {
  @TempDir
  Path dir;

  @Test
  @DisplayName("a file overwritten with garbage is CORRUPT, naming the file and what to do")
  void aDamagedFileIsCorruptNamingIt() throws IOException {
    Path db = dir.resolve("snapshots.db");
    JdbcManifestStore.sqlite(db).close();
    byte[] garbage = new byte[64 * 1024];
    new SplittableRandom(11).nextBytes(garbage);
    Files.write(db, garbage);
    SnapshotException e = assertThrows(SnapshotException.class, () -> JdbcManifestStore.sqlite(db));
    assertEquals(ErrorCode.CORRUPT, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains(db.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("restore it from a backup") && e.getMessage().contains("move it away"), e.getMessage());
  }

  @Test
  @DisplayName("a read-only file still reads, and a write is FORBIDDEN saying the file is read-only")
  void aReadOnlyFileReadsAndRefusesWrites() throws IOException {
    try (ReadOnlyDirectory ro = ReadOnlyDirectory.at(dir.resolve("ro"))) {
      Path db = ro.dir().resolve("snapshots.db");
      Snapshot row = Rows.capturing(Rows.W1, 1);
      try (JdbcManifestStore store = JdbcManifestStore.sqlite(db)) {
        store.inTransaction(tx -> tx.insertCapturing(row, 10));
      }
      ro.makeReadOnly();
      try (JdbcManifestStore store = JdbcManifestStore.sqlite(db)) {
        assertEquals(Optional.of(row.id()), store.inTransaction(tx -> tx.find(row.id())).map(Snapshot::id));
        SnapshotException e = assertThrows(SnapshotException.class,
            () -> store.inTransaction(tx -> tx.insertCapturing(Rows.capturing(Rows.W1, 2), 10)));
        assertEquals(ErrorCode.FORBIDDEN, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains(db.toString()) && e.getMessage().contains("read-only"), e.getMessage());
        assertFalse(e.getMessage().contains("could not be reached"), e.getMessage());
      }
    }
  }

  @Test
  @DisplayName("opening a file whose schema is current takes no write lock, so it opens and reads while another writer holds it")
  void openingACurrentFileWritesNothing() throws Exception {
    Path db = dir.resolve("snapshots.db");
    Snapshot row = Rows.capturing(Rows.W1, 1);
    try (JdbcManifestStore store = JdbcManifestStore.sqlite(db)) {
      store.inTransaction(tx -> tx.insertCapturing(row, 10));
    }
    try (java.sql.Connection writer = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db);
        java.sql.Statement st = writer.createStatement()) {
      st.execute("BEGIN IMMEDIATE"); // another process in the middle of a write transaction
      try (JdbcManifestStore store = JdbcManifestStore.builder().sqlite(db)
          .sqliteBusyTimeout(java.time.Duration.ofMillis(200)).build()) {
        assertEquals(Optional.of(row.id()), store.find(row.id()).map(Snapshot::id));
        assertEquals(JdbcManifestStore.latestSchemaVersion(), store.schemaVersion());
      }
      st.execute("ROLLBACK");
    }
  }
}
