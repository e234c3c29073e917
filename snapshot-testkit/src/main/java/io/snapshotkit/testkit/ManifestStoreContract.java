package io.snapshotkit.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ManifestRef;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.Trigger;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.ManifestStore;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link ManifestStore} must show, one {@link Nested} group per capability.
 * An adapter proves itself by extending this class and returning a fresh, empty store from
 * {@link #newStore()}; its {@link ManifestStore#outbox() outbox} is checked by
 * {@link EventOutboxContract}, which the adapter extends in a second class:
 *
 * <pre>{@code
 * class SqliteManifestStoreIT extends ManifestStoreContract {
 *   @TempDir Path dir;
 *   protected ManifestStore newStore() { return JdbcManifestStore.sqlite(dir.resolve("s.db")); }
 * }
 * }</pre>
 *
 * <p>All times are explicit, whole seconds after {@link #BASE}; nothing sleeps. Where the SPI
 * leaves a detail open this suite pins it down: {@link ManifestStore#expired} is ordered by
 * {@code expiresAt}, {@link ManifestStore#capturingSince} by {@code createdAt}.
 *
 * <p><b>Thread-safety:</b> a JUnit test class; each test runs on one instance (the concurrency
 * tests start their own threads and join them).
 */
public abstract class ManifestStoreContract extends StoreFixture {

  /** Creates the contract; subclasses supply {@link #newStore()}. */
  protected ManifestStoreContract() {}

  /** Rows round-trip; versions are gap-free, per workload, consumed only on commit and never reused. */
  @Nested
  @DisplayName("Insert and versions")
  class InsertAndVersions extends VersionChecks {
    @Override
    StoreFixture fixture() {
      return ManifestStoreContract.this;
    }
  }

  /** insertCapturing admits up to the workload's limit, atomically. */
  @Nested
  @DisplayName("Quotas and admission")
  class QuotasAndAdmission extends AdmissionChecks {
    @Override
    StoreFixture fixture() {
      return ManifestStoreContract.this;
    }
  }

  /** Status changes happen only from the expected status and only along legal transitions. */
  @Nested
  @DisplayName("Transitions (compare-and-set and remove)")
  class Transitions extends TransitionChecks {
    @Override
    StoreFixture fixture() {
      return ManifestStoreContract.this;
    }
  }

  /** A transaction commits all its writes together or none of them. */
  @Nested
  @DisplayName("Transactions")
  class Transactions extends TransactionChecks {
    @Override
    StoreFixture fixture() {
      return ManifestStoreContract.this;
    }
  }

  /** list and versions: order, filters, tenant isolation, page sizes and cursors. */
  @Nested
  @DisplayName("Listing and pagination")
  class ListingAndPagination extends ListingChecks {
    @Override
    StoreFixture fixture() {
      return ManifestStoreContract.this;
    }
  }

  /** The schedule store: round trip, replace keeps progress, pages, removal, and the slot claim. */
  @Nested
  @DisplayName("Schedules")
  class Schedules extends ScheduleChecks {
    @Override
    StoreFixture fixture() {
      return ManifestStoreContract.this;
    }
  }

  /** expired and capturingSince, the queries of the sweep and the reaper. */
  @Nested
  @DisplayName("Expiry and stale captures")
  class Expiry {

    @Test
    @DisplayName("expired returns READY and DELETING unprotected snapshots due at or before now, oldest first, across tenants")
    void expiredQuery() {
      Snapshot due1 = expiring(W1, 1, at(100));
      Snapshot unfinishedDelete = expiring(W2, 8, at(150)).withStatus(SnapshotStatus.DELETING);
      assertTrue(check(tx -> tx.compareAndSet(SnapshotStatus.READY, unfinishedDelete)));
      Snapshot dueExactlyNow = expiring(OTHER, 2, at(200));
      expiring(W1, 3, at(201));
      Snapshot prot = expiring(W1, 4, at(50));
      assertTrue(check(tx -> tx.compareAndSet(SnapshotStatus.READY, prot.withProtected(true))));
      insert(Snapshot.capturing(id(5), W1, "", Trigger.MANUAL, Optional.empty(), at(5), Optional.of(at(10)), Map.of()));
      readyRow(W2, 6, OptionalLong.empty());
      Snapshot due0 = expiring(W2, 7, at(20));
      assertEquals(List.of(due0, due1, unfinishedDelete, dueExactlyNow), store.expired(at(200), 10));
      assertEquals(List.of(due0, due1), store.expired(at(200), 2));
      assertEquals(List.of(), store.expired(at(19), 10));
    }

    @Test
    @DisplayName("capturingSince returns CAPTURING rows created before the cutoff, oldest first, across tenants")
    void capturingSinceQuery() {
      insert(row(W1, 3));
      insert(row(OTHER, 1));
      readyRow(W1, 2, OptionalLong.empty());
      insert(row(W2, 10));
      assertEquals(List.of(id(1), id(3)), ids(store.capturingSince(at(10), 10)));
      assertEquals(List.of(id(1)), ids(store.capturingSince(at(10), 1)));
      assertEquals(List.of(id(1), id(3), id(10)), ids(store.capturingSince(at(11), 10)));
    }

    private Snapshot expiring(WorkloadRef workload, int n, Instant expiresAt) {
      Snapshot r = Snapshot.capturing(id(n), workload, "", Trigger.MANUAL, Optional.empty(), at(n),
          Optional.of(expiresAt), Map.of());
      return markReady(insert(r), OptionalLong.empty());
    }
  }

  /** usageBytes sums and inline manifest storage. */
  @Nested
  @DisplayName("Usage and inline manifests")
  class UsageAndManifests extends UsageChecks {
    @Override
    StoreFixture fixture() {
      return ManifestStoreContract.this;
    }
  }

  /** Arguments the SPI forbids are refused before anything is written. */
  @Nested
  @DisplayName("Preconditions")
  class Preconditions {

    @Test
    @DisplayName("insertCapturing refuses a row that is not CAPTURING and a limit below -1, and inserts nothing")
    void insertCapturingRefusesBadArguments() {
      Snapshot ready = row(W1, 1).ready(1, OptionalLong.empty(), false, ManifestRef.inline(Map.of(), 0));
      assertThrows(IllegalArgumentException.class, () -> store.inTransaction(tx -> tx.insertCapturing(ready, -1)));
      assertThrows(IllegalArgumentException.class,
          () -> store.inTransaction(tx -> tx.insertCapturing(row(W1, 2), -2)));
      assertThrows(NullPointerException.class, () -> store.inTransaction(tx -> tx.insertCapturing(null, -1)));
      assertEquals(List.of(), listAll(SnapshotQuery.of(W1)));
    }

    @Test
    @DisplayName("compareAndSet refuses null arguments")
    void compareAndSetRefusesNulls() {
      Snapshot row = insert(row(W1, 1));
      assertThrows(NullPointerException.class, () -> check(tx -> tx.compareAndSet(null, row.failed("x"))));
      assertThrows(NullPointerException.class, () -> check(tx -> tx.compareAndSet(SnapshotStatus.CAPTURING, null)));
      assertEquals(Optional.of(row), store.find(row.id()));
    }

    @Test
    @DisplayName("expired and capturingSince refuse a limit below 1")
    void sweepQueriesRefuseLimitBelowOne() {
      assertThrows(IllegalArgumentException.class, () -> store.expired(at(1), 0));
      assertThrows(IllegalArgumentException.class, () -> store.capturingSince(at(1), 0));
    }
  }
}
