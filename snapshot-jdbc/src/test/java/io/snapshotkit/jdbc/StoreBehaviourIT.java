package io.snapshotkit.jdbc;

import static io.snapshotkit.jdbc.Rows.W1;
import static io.snapshotkit.jdbc.Rows.W2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Store behaviour beyond the SPI contract: caching, retries, failure mapping, misuse. */
@DisplayName("JdbcManifestStore behaviour")
class StoreBehaviourIT {
  @TempDir
  Path dir;

  @ParameterizedTest(name = "{0}")
  @EnumSource(Dialect.class)
  @DisplayName("a cached manifest is replaced by a later put and gone after the snapshot is removed")
  void manifestCacheInvalidated(Dialect dialect) {
    try (TestDatabase db = TestDatabase.create(dialect, dir)) {
      JdbcManifestStore store = db.builder().build();
      Snapshot row = Rows.capturing(W1, 1);
      store.inTransaction(tx -> {
        tx.insertCapturing(row, -1);
        tx.putManifest(row.id(), new byte[] {1});
        return null;
      });
      assertArrayEquals(new byte[] {1}, store.manifest(row.id()).orElseThrow());
      store.inTransaction(tx -> {
        tx.putManifest(row.id(), new byte[] {2});
        return null;
      });
      assertArrayEquals(new byte[] {2}, store.manifest(row.id()).orElseThrow(), "a put invalidates the cached copy");
      store.inTransaction(tx -> tx.remove(row.id(), SnapshotStatus.CAPTURING));
      assertEquals(Optional.empty(), store.manifest(row.id()), "a remove invalidates the cached copy");
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Dialect.class)
  @DisplayName("manifest reads are served from the cache until one of the store's own writes changes them; size 0 turns it off")
  void manifestCacheServesReadsUntilAWrite(Dialect dialect) {
    try (TestDatabase db = TestDatabase.create(dialect, dir)) {
      JdbcManifestStore cached = db.builder().build();
      JdbcManifestStore uncached = db.builder().migrateOnStart(false).manifestCacheBytes(0).build();
      Snapshot row = Rows.capturing(W1, 1);
      cached.inTransaction(tx -> {
        tx.insertCapturing(row, -1);
        tx.putManifest(row.id(), new byte[] {1});
        return null;
      });
      assertArrayEquals(new byte[] {1}, cached.manifest(row.id()).orElseThrow());
      // Change the row behind both stores' backs: only the uncached store sees it.
      db.sql().withHandle(h -> h.createUpdate("UPDATE sk_manifest SET content = :c WHERE snapshot_id = :id")
          .bind("c", new byte[] {9}).bind("id", row.id().value()).execute());
      assertArrayEquals(new byte[] {1}, cached.manifest(row.id()).orElseThrow(), "the second read came from the cache");
      assertArrayEquals(new byte[] {9}, uncached.manifest(row.id()).orElseThrow(), "manifestCacheBytes(0) reads the database");
      byte[] handedOut = cached.manifest(row.id()).orElseThrow();
      handedOut[0] = 7;
      assertArrayEquals(new byte[] {1}, cached.manifest(row.id()).orElseThrow(), "callers get copies, never the cached array");

      cached.inTransaction(tx -> {
        tx.putManifest(row.id(), new byte[] {3});
        return null;
      });
      assertArrayEquals(new byte[] {3}, cached.manifest(row.id()).orElseThrow(), "the store's put invalidated the entry");
      // A transaction that touches the row but not the manifest keeps the (still correct) cached copy.
      cached.inTransaction(tx -> tx.compareAndSet(SnapshotStatus.CAPTURING, row.failed("test")));
      assertArrayEquals(new byte[] {3}, cached.manifest(row.id()).orElseThrow());
      cached.inTransaction(tx -> tx.remove(row.id(), SnapshotStatus.FAILED));
      assertEquals(Optional.empty(), cached.manifest(row.id()), "the store's remove invalidated the entry");
    }
  }

  @Test
  @DisplayName("SQLite: the store keeps a connection open between transactions; close() releases it and the WAL is checkpointed")
  void sqliteConnectionsKeptAndReleased() {
    Path file = dir.resolve("kept.db");
    Path wal = dir.resolve("kept.db-wal");
    JdbcManifestStore store = JdbcManifestStore.sqlite(file);
    assertEquals(Integer.valueOf(1), store.inTransaction(tx -> tx.nextVersion(W1)));
    assertTrue(Files.exists(wal), "an open connection keeps the write-ahead log");
    store.close();
    assertFalse(Files.exists(wal), "closing the last connection checkpointed the log into the database file");
    assertThrows(IllegalStateException.class, () -> store.inTransaction(tx -> tx.nextVersion(W1)));
    assertThrows(IllegalStateException.class, () -> store.find(Rows.id(1)));
    store.close();
    try (JdbcManifestStore reopened = JdbcManifestStore.sqlite(file)) {
      assertEquals(Integer.valueOf(2), reopened.inTransaction(tx -> tx.nextVersion(W1)), "nothing was lost");
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Dialect.class)
  @DisplayName("a rolled-back put leaves the committed manifest readable, not the rolled-back one")
  void rolledBackPutNotCached(Dialect dialect) {
    try (TestDatabase db = TestDatabase.create(dialect, dir)) {
      JdbcManifestStore store = db.builder().build();
      SnapshotId id = Rows.id(1);
      store.inTransaction(tx -> {
        tx.putManifest(id, new byte[] {1});
        return null;
      });
      assertArrayEquals(new byte[] {1}, store.manifest(id).orElseThrow());
      IllegalStateException boom = new IllegalStateException("work failed");
      assertSame(boom, assertThrows(IllegalStateException.class, () -> store.inTransaction(tx -> {
        tx.putManifest(id, new byte[] {2});
        throw boom;
      })), "the work's own exception is rethrown unchanged");
      assertArrayEquals(new byte[] {1}, store.manifest(id).orElseThrow());
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Dialect.class)
  @DisplayName("a transaction started inside another on the same thread is refused instead of deadlocking")
  void nestedTransactionRefused(Dialect dialect) {
    try (TestDatabase db = TestDatabase.create(dialect, dir)) {
      JdbcManifestStore store = db.builder().build();
      assertThrows(IllegalStateException.class,
          () -> store.inTransaction(tx -> store.inTransaction(inner -> inner.nextVersion(W1))));
      assertEquals(Integer.valueOf(1), store.inTransaction(tx -> tx.nextVersion(W1)), "the outer one rolled back");
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Dialect.class)
  @DisplayName("a transaction object used after its work returned is refused")
  void transactionNotUsableAfterwards(Dialect dialect) {
    try (TestDatabase db = TestDatabase.create(dialect, dir)) {
      JdbcManifestStore store = db.builder().build();
      io.snapshotkit.spi.StoreTransaction leaked = store.inTransaction(tx -> tx);
      assertThrows(IllegalStateException.class, () -> leaked.nextVersion(W1));
    }
  }

  @Test
  @DisplayName("PostgreSQL: a transaction aborted by a deadlock is run again and both transactions commit once")
  void deadlockRetried() throws Exception {
    try (TestDatabase db = TestDatabase.create(Dialect.POSTGRES, dir)) {
      JdbcManifestStore store = db.builder().build();
      CyclicBarrier bothHoldOneLock = new CyclicBarrier(2);
      AtomicInteger runs = new AtomicInteger();
      ExecutorService threads = Executors.newFixedThreadPool(2);
      try {
        List<Future<List<Integer>>> results = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
          boolean forward = i == 0;
          results.add(threads.submit(() -> store.inTransaction(tx -> {
            int run = runs.incrementAndGet();
            int a = tx.nextVersion(forward ? W1 : W2);
            if (run <= 2) {
              try {
                bothHoldOneLock.await();
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            }
            int b = tx.nextVersion(forward ? W2 : W1);
            return List.of(a, b);
          })));
        }
        List<Integer> all = new ArrayList<>();
        for (Future<List<Integer>> f : results) {
          all.addAll(f.get());
        }
        // The deadlock aborts one of them; its retry may deadlock again with the survivor (it can win the
        // freed row lock first), so there are 3 or more runs, and exactly 2 commits as checked below.
        assertTrue(runs.get() >= 3, "a deadlock victim was run again: " + runs.get());
        assertEquals(List.of(1, 2), all.stream().sorted().distinct().toList());
      } finally {
        threads.shutdownNow();
      }
      assertEquals(Integer.valueOf(3), store.inTransaction(tx -> tx.nextVersion(W1)), "each committed once: no lost or doubled version");
      assertEquals(Integer.valueOf(3), store.inTransaction(tx -> tx.nextVersion(W2)));
    }
  }

  @Test
  @DisplayName("an unreachable PostgreSQL is HOST_UNAVAILABLE at start-up and on every call, saying what to check")
  void unreachableDatabase() {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl("jdbc:postgresql://127.0.0.1:1/none");
    config.setUsername("postgres");
    config.setConnectionTimeout(250);
    config.setInitializationFailTimeout(-1);
    try (HikariDataSource dead = new HikariDataSource(config)) {
      SnapshotException atStart = assertThrows(SnapshotException.class, () -> JdbcManifestStore.postgres(dead));
      assertEquals(ErrorCode.HOST_UNAVAILABLE, atStart.code());
      assertTrue(atStart.getMessage().contains("check the database is reachable"), atStart.getMessage());

      JdbcManifestStore store = JdbcManifestStore.builder().postgres(dead).migrateOnStart(false).build();
      assertEquals(ErrorCode.HOST_UNAVAILABLE,
          assertThrows(SnapshotException.class, () -> store.find(Rows.id(1))).code());
      assertEquals(ErrorCode.HOST_UNAVAILABLE,
          assertThrows(SnapshotException.class, () -> store.inTransaction(tx -> tx.nextVersion(W1))).code());
      assertEquals(ErrorCode.HOST_UNAVAILABLE,
          assertThrows(SnapshotException.class, () -> store.outbox().hooks()).code());
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Dialect.class)
  @DisplayName("a duplicate id that slips past the check (unique violation) is CONFLICT naming what to do")
  void uniqueViolationIsConflict(Dialect dialect) {
    try (TestDatabase db = TestDatabase.create(dialect, dir)) {
      JdbcManifestStore store = db.builder().build();
      Snapshot row = Rows.capturing(W1, 1);
      store.inTransaction(tx -> tx.insertCapturing(row, -1));
      // Write a row with that id behind the store's existence check: the raw INSERT must fail as a conflict.
      SnapshotException e = assertThrows(SnapshotException.class, () -> store.transaction("test insert", tx ->
          tx.run("inserting a duplicate", () -> tx.handle()
              .createUpdate("INSERT INTO sk_manifest (snapshot_id, content) VALUES (:id, :c)")
              .bind("id", "X").bind("c", new byte[] {1}).execute()
              + tx.handle().createUpdate("INSERT INTO sk_manifest (snapshot_id, content) VALUES (:id, :c)")
              .bind("id", "X").bind("c", new byte[] {1}).execute())));
      assertEquals(ErrorCode.CONFLICT, e.code());
      assertEquals(Optional.empty(), store.manifest(new SnapshotId("00000000000000000000000000")), "rolled back");
      assertEquals(Integer.valueOf(1), db.sql().withHandle(h -> h.createQuery("SELECT COUNT(*) FROM sk_snapshot")
          .mapTo(Integer.class).one()));
    }
  }
}
