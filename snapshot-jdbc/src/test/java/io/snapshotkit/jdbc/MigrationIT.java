package io.snapshotkit.jdbc;

import static io.snapshotkit.jdbc.Rows.BASE;
import static io.snapshotkit.jdbc.Rows.W1;
import static io.snapshotkit.jdbc.Rows.W2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.spi.Delivery;
import io.snapshotkit.spi.ParkedEvent;
import io.snapshotkit.spi.StartPosition;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Schema migrations: upgrades keep data, opting out touches nothing, newer schemas are refused. */
@DisplayName("Schema migrations")
class MigrationIT {
  @TempDir
  Path dir;

  @ParameterizedTest(name = "{0}")
  @EnumSource(Dialect.class)
  @DisplayName("a database created by schema version 1 is upgraded to the latest with no data lost")
  void upgradeKeepsData(Dialect dialect) {
    try (TestDatabase db = TestDatabase.create(dialect, dir)) {
      assertEquals(1, Migrations.migrate(db.sql(), dialect, 1));
      JdbcManifestStore v1 = db.builder().migrateOnStart(false).build();
      assertEquals(1, v1.schemaVersion());

      // Everything version 1 can hold: rows in several states, a manifest, counters, hooks and outbox state.
      Snapshot s1 = Rows.capturing(W1, 1);
      Snapshot s2 = Rows.capturing(W1, 2);
      Snapshot s3 = Rows.capturing(W2, 3);
      byte[] manifest = "{\"families\":{}}".getBytes(StandardCharsets.UTF_8);
      v1.outbox().register("audit", StartPosition.BEGINNING);
      insertAsOlderSchema(db, List.of(s1, s2, s3));
      Snapshot ready = v1.inTransaction(tx -> {
        Snapshot r = Rows.ready(s1, tx.nextVersion(W1));
        tx.compareAndSet(SnapshotStatus.CAPTURING, r);
        tx.putManifest(s1.id(), manifest);
        tx.compareAndSet(SnapshotStatus.CAPTURING, s2.failed("host went away"));
        tx.append(Rows.event(W1, 1));
        tx.append(Rows.event(W1, 2));
        tx.append(Rows.event(W2, 3));
        return r;
      });
      List<Delivery> first = v1.outbox().claim("audit", "d1", 10, BASE, Duration.ofMinutes(1));
      assertEquals(2, first.size());
      v1.outbox().acknowledge("audit", first.get(0).sequence());
      v1.outbox().park("audit", first.get(1).sequence(), 5, "hook down", BASE.plusSeconds(9));
      SnapshotException noBlobs = assertThrows(SnapshotException.class, () -> v1.blobStore().put("k", new byte[] {1}));
      assertEquals(ErrorCode.INTERNAL, noBlobs.code(), "version 1 has no blob table");

      JdbcManifestStore upgraded = db.builder().build();

      assertEquals(JdbcManifestStore.latestSchemaVersion(), upgraded.schemaVersion());
      assertEquals(Optional.of(ready), upgraded.find(s1.id()));
      assertEquals(Optional.of(s2.failed("host went away")), upgraded.find(s2.id()));
      assertEquals(Optional.of(s3), upgraded.find(s3.id()));
      assertArrayEquals(manifest, upgraded.manifest(s1.id()).orElseThrow());
      assertEquals(List.of(ready), upgraded.versions(W1));
      assertEquals(Integer.valueOf(2), upgraded.inTransaction(tx -> tx.nextVersion(W1)), "the version counter survives");
      assertEquals(List.of("audit"), upgraded.outbox().hooks());
      List<ParkedEvent> parked = upgraded.outbox().parked("audit");
      assertEquals(1, parked.size());
      assertEquals(first.get(1).sequence(), parked.get(0).sequence());
      List<Delivery> next = upgraded.outbox().claim("audit", "d2", 10, BASE.plusSeconds(120), Duration.ofMinutes(1));
      assertEquals(List.of(Rows.event(W1, 2)), next.stream().map(Delivery::event).toList(),
          "the acknowledged event stays done and the next one of its workload is claimable");
      upgraded.blobStore().put("k", new byte[] {1, 2});
      assertArrayEquals(new byte[] {1, 2}, upgraded.blobStore().get("k").orElseThrow());
      assertEquals(JdbcManifestStore.latestSchemaVersion(), upgraded.migrate(), "migrating again changes nothing");
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Dialect.class)
  @DisplayName("upgrading to schema version 4 indexes the labels of the snapshots already stored, so a label filter finds them")
  void labelIndexFilledFromExistingRows(Dialect dialect) {
    try (TestDatabase db = TestDatabase.create(dialect, dir)) {
      assertEquals(3, Migrations.migrate(db.sql(), dialect, 3));
      Snapshot prod = withLabels(Rows.capturing(W1, 1), Map.of("env", "prod", "team", "a"));
      Snapshot staging = withLabels(Rows.capturing(W1, 2), Map.of("env", "staging"));
      Snapshot none = Rows.capturing(W2, 3);
      insertAsOlderSchema(db, List.of(prod, staging, none));

      JdbcManifestStore upgraded = db.builder().build();

      assertEquals(List.of(prod), upgraded.list(SnapshotQuery.of(W1.tenant()).label("env", "prod")).items());
      assertEquals(List.of(prod), upgraded.list(SnapshotQuery.of(W1.tenant()).label("team", "a")).items());
      assertEquals(List.of(staging), upgraded.list(SnapshotQuery.of(W1.tenant()).label("env", "staging")).items());
      assertEquals(3, upgraded.list(SnapshotQuery.of(W1.tenant())).items().size());
    }
  }

  /**
   * Inserts rows the way a SnapshotKit of an older schema did: only into {@code sk_snapshot}
   * (today's store also writes {@code sk_label}, which an older schema does not have).
   */
  private static void insertAsOlderSchema(TestDatabase db, List<Snapshot> rows) {
    db.sql().useTransaction(h -> {
      for (Snapshot row : rows) {
        Sql.bindSnapshot(h.createUpdate("INSERT INTO sk_snapshot (" + Sql.SNAPSHOT_COLUMNS + ") VALUES (:id, "
            + ":tenant, :workload, :version, :name, :trig, :status, :parent, :created_at, :expires_at, "
            + ":size_bytes, :partial, :protected, :labels, :host, :manifest_ref, :failure)"), row).execute();
      }
    });
  }

  private static Snapshot withLabels(Snapshot s, Map<String, String> labels) {
    return new Snapshot(s.id(), s.workload(), s.version(), s.name(), s.trigger(), s.status(), s.parent(),
        s.createdAt(), s.expiresAt(), s.sizeBytes(), s.partial(), s.isProtected(), labels, s.host(), s.manifest(),
        s.failure());
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Dialect.class)
  @DisplayName("with migrations turned off, building a store creates no tables; migrate() then brings the schema up")
  void optOutTouchesNothing(Dialect dialect) {
    try (TestDatabase db = TestDatabase.create(dialect, dir)) {
      JdbcManifestStore store = db.builder().migrateOnStart(false).build();
      assertEquals(0, store.schemaVersion());
      SnapshotException missing = assertThrows(SnapshotException.class, () -> store.find(Rows.id(1)));
      assertEquals(ErrorCode.INTERNAL, missing.code());
      assertEquals(JdbcManifestStore.latestSchemaVersion(), store.migrate());
      assertEquals(Optional.empty(), store.find(Rows.id(1)));
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Dialect.class)
  @DisplayName("a database migrated by a newer SnapshotKit is refused with CONFLICT, not altered")
  void newerSchemaRefused(Dialect dialect) {
    try (TestDatabase db = TestDatabase.create(dialect, dir)) {
      db.builder().build();
      int newer = JdbcManifestStore.latestSchemaVersion() + 1;
      db.sql().withHandle(h -> h.createUpdate("INSERT INTO sk_schema_version (version, description) VALUES (:v, 'future')")
          .bind("v", newer).execute());
      SnapshotException e = assertThrows(SnapshotException.class, () -> db.builder().build());
      assertEquals(ErrorCode.CONFLICT, e.code());
      assertTrue(e.getMessage().contains("upgrade SnapshotKit"), e.getMessage());
    }
  }

  @Test
  @DisplayName("two PostgreSQL instances starting at once migrate the schema exactly once")
  void concurrentStartsOnPostgres() throws Exception {
    try (TestDatabase db = TestDatabase.create(Dialect.POSTGRES, dir)) {
      CyclicBarrier start = new CyclicBarrier(2);
      ExecutorService threads = Executors.newFixedThreadPool(2);
      try {
        List<Future<Integer>> versions = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
          versions.add(threads.submit(() -> {
            start.await();
            return db.builder().build().schemaVersion();
          }));
        }
        for (Future<Integer> v : versions) {
          assertEquals(JdbcManifestStore.latestSchemaVersion(), v.get());
        }
      } finally {
        threads.shutdownNow();
      }
      List<Integer> applied = db.sql().withHandle(h ->
          h.createQuery("SELECT version FROM sk_schema_version ORDER BY version").mapTo(Integer.class).list());
      assertEquals(IntStream.rangeClosed(1, JdbcManifestStore.latestSchemaVersion()).boxed().toList(), applied,
          "each version applied once");
      assertFalse(applied.isEmpty());
    }
  }
}
