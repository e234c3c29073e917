package io.snapshotkit.testkit;

import static io.snapshotkit.testkit.StoreFixture.OTHER;
import static io.snapshotkit.testkit.StoreFixture.OTHER_TENANT;
import static io.snapshotkit.testkit.StoreFixture.TENANT;
import static io.snapshotkit.testkit.StoreFixture.W1;
import static io.snapshotkit.testkit.StoreFixture.W2;
import static io.snapshotkit.testkit.StoreFixture.at;
import static io.snapshotkit.testkit.StoreFixture.id;
import static io.snapshotkit.testkit.StoreFixture.ids;
import static io.snapshotkit.testkit.StoreFixture.row;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.Page;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.Trigger;
import io.snapshotkit.WorkloadRef;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The test methods of {@link ManifestStoreContract}'s "Listing and pagination" group, in a file of
 * their own to keep the contract short. The group is a {@code @Nested} inner class of the contract
 * that extends this one and hands over the contract instance, so every adapter still runs these
 * tests by extending {@link ManifestStoreContract} alone; JUnit discovers inherited test methods.
 *
 * <p><b>Thread-safety:</b> a JUnit test class; each test runs on one instance.
 */
abstract class ListingChecks extends ContractGroup {

  ListingChecks() {}

  @Test
  @DisplayName("list returns the newest first (descending id)")
  void listNewestFirst() {
    for (int n : new int[] {3, 1, 5, 2, 4}) {
      insert(row(W1, n));
    }
    assertEquals(List.of(id(5), id(4), id(3), id(2), id(1)), ids(listAll(SnapshotQuery.of(TENANT))));
  }

  @Test
  @DisplayName("ids of one millisecond (as the engine makes them, each the previous one's successor) list newest first, also across pages and after the cursor's row is removed")
  void listSameMillisecondByIdAcrossPages() {
    List<SnapshotId> created = new ArrayList<>();
    SnapshotId next = id(7);
    for (int i = 0; i < 9; i++) {
      created.add(next);
      insert(Snapshot.capturing(next, W1, "", Trigger.MANUAL, Optional.empty(), at(7), Optional.empty(), Map.of()));
      next = next.successor().orElseThrow();
    }
    List<SnapshotId> newestFirst = new ArrayList<>(created);
    Collections.reverse(newestFirst);
    assertEquals(newestFirst, ids(listAll(SnapshotQuery.of(W1))));

    List<SnapshotId> seen = new ArrayList<>();
    SnapshotQuery query = SnapshotQuery.of(W1).limit(2);
    for (int pages = 0; ; pages++) {
      assertTrue(pages < 20, "pagination does not terminate");
      Page<Snapshot> page = store().list(query);
      seen.addAll(ids(page.items()));
      if (page.nextCursor().isEmpty()) {
        break;
      }
      SnapshotId cursor = page.nextCursor().get();
      if (pages == 1) {
        assertTrue(check(tx -> tx.remove(cursor, SnapshotStatus.CAPTURING)), "the cursor's row is removed between pages");
      }
      query = query.after(cursor);
    }
    assertEquals(newestFirst, seen);
  }

  @Test
  @DisplayName("list filters by workload, status and trigger")
  void listFilters() {
    readyRow(W1, 1, OptionalLong.empty());
    insert(row(W1, 2));
    insert(row(W2, 3));
    Snapshot scheduled = Snapshot.capturing(id(4), W1, "", Trigger.SCHEDULE, Optional.empty(), at(4),
        Optional.empty(), Map.of());
    insert(scheduled);
    assertEquals(List.of(id(4), id(2), id(1)), ids(listAll(SnapshotQuery.of(W1))));
    assertEquals(List.of(id(1)), ids(listAll(SnapshotQuery.of(TENANT).statuses(Set.of(SnapshotStatus.READY)))));
    assertEquals(List.of(id(4), id(3), id(2)),
        ids(listAll(SnapshotQuery.of(TENANT).statuses(Set.of(SnapshotStatus.CAPTURING)))));
    assertEquals(List.of(id(4)), ids(listAll(SnapshotQuery.of(TENANT).triggers(Set.of(Trigger.SCHEDULE)))));
    assertEquals(List.of(id(2)), ids(listAll(SnapshotQuery.of(W1)
        .statuses(Set.of(SnapshotStatus.CAPTURING)).triggers(Set.of(Trigger.MANUAL)))));
  }

  private Snapshot labelled(WorkloadRef workload, int n, Map<String, String> labels) {
    return insert(Snapshot.capturing(id(n), workload, "", Trigger.MANUAL, Optional.empty(), at(n), Optional.empty(),
        labels));
  }

  @Test
  @DisplayName("list filters by labels: a snapshot matches when it carries every pair with exactly that value")
  void listFiltersByLabels() {
    labelled(W1, 1, Map.of("env", "prod", "team", "a"));
    labelled(W1, 2, Map.of("env", "prod"));
    labelled(W2, 3, Map.of("env", "staging", "team", "a"));
    labelled(W1, 4, Map.of("env", "", "note", "env=prod"));
    insert(row(W1, 5));

    assertEquals(List.of(id(2), id(1)), ids(listAll(SnapshotQuery.of(TENANT).label("env", "prod"))));
    assertEquals(List.of(id(1)), ids(listAll(SnapshotQuery.of(TENANT).label("env", "prod").label("team", "a"))));
    assertEquals(List.of(id(3), id(1)), ids(listAll(SnapshotQuery.of(TENANT).label("team", "a"))));
    assertEquals(List.of(id(3)), ids(listAll(SnapshotQuery.of(TENANT).label("team", "a").workload(W2.id()))));
    assertEquals(List.of(id(4)), ids(listAll(SnapshotQuery.of(TENANT).label("env", ""))),
        "an empty value matches only a label whose value is empty");
    assertEquals(List.of(), ids(listAll(SnapshotQuery.of(TENANT).label("env", "pro"))), "values match exactly");
    assertEquals(List.of(), ids(listAll(SnapshotQuery.of(TENANT).label("ENV", "prod"))), "keys match exactly");
    assertEquals(List.of(), ids(listAll(SnapshotQuery.of(TENANT).label("env", "prod").label("team", "b"))));
    assertEquals(List.of(id(5), id(4), id(3), id(2), id(1)), ids(listAll(SnapshotQuery.of(TENANT).labels(Map.of()))));
  }

  @Test
  @DisplayName("a label filter pages with the cursor like any other filter, and never crosses tenants")
  void labelFilterPagesAndStaysInTenant() {
    for (int n = 1; n <= 7; n++) {
      labelled(W1, n, n % 2 == 1 ? Map.of("keep", "yes") : Map.of("keep", "no"));
    }
    labelled(OTHER, 8, Map.of("keep", "yes"));
    List<SnapshotId> seen = new ArrayList<>();
    SnapshotQuery query = SnapshotQuery.of(TENANT).label("keep", "yes").limit(2);
    for (int pages = 0; ; pages++) {
      assertTrue(pages < 10, "pagination does not terminate");
      Page<Snapshot> page = store().list(query);
      seen.addAll(ids(page.items()));
      if (page.nextCursor().isEmpty()) {
        break;
      }
      query = query.after(page.nextCursor().get());
    }
    assertEquals(List.of(id(7), id(5), id(3), id(1)), seen);
    assertEquals(List.of(id(8)), ids(listAll(SnapshotQuery.of(OTHER_TENANT).label("keep", "yes"))));
  }

  @Test
  @DisplayName("a label filter follows a row's labels through an update and forgets a removed row")
  void labelFilterFollowsUpdatesAndRemoval() {
    Snapshot first = labelled(W1, 1, Map.of("phase", "old"));
    Snapshot second = labelled(W1, 2, Map.of("phase", "old"));
    Snapshot relabelled = new Snapshot(first.id(), first.workload(), first.version(), first.name(), first.trigger(),
        first.status(), first.parent(), first.createdAt(), first.expiresAt(), first.sizeBytes(), first.partial(),
        first.isProtected(), Map.of("phase", "new"), first.host(), first.manifest(), first.failure());
    assertTrue(check(tx -> tx.compareAndSet(SnapshotStatus.CAPTURING, relabelled)));
    assertEquals(List.of(id(2)), ids(listAll(SnapshotQuery.of(TENANT).label("phase", "old"))));
    assertEquals(List.of(id(1)), ids(listAll(SnapshotQuery.of(TENANT).label("phase", "new"))));

    assertTrue(check(tx -> tx.remove(second.id(), SnapshotStatus.CAPTURING)));
    assertEquals(List.of(), ids(listAll(SnapshotQuery.of(TENANT).label("phase", "old"))));
    labelled(W1, 3, Map.of());
    assertEquals(List.of(id(3), id(1)), ids(listAll(SnapshotQuery.of(W1))));
  }

  @Test
  @DisplayName("list never shows another tenant's snapshots")
  void listTenantIsolation() {
    insert(row(W1, 1));
    insert(row(OTHER, 2));
    assertEquals(List.of(id(1)), ids(listAll(SnapshotQuery.of(TENANT))));
    assertEquals(List.of(id(2)), ids(listAll(SnapshotQuery.of(OTHER_TENANT))));
    assertEquals(List.of(), listAll(SnapshotQuery.of(WorkloadRef.of(OTHER_TENANT, "w2"))));
  }

  @Test
  @DisplayName("list clamps the page size to 1..500")
  void listLimitClamping() {
    store().inTransaction(tx -> {
      for (int n = 1; n <= 501; n++) {
        tx.insertCapturing(row(W1, n), -1);
      }
      return null;
    });
    Page<Snapshot> one = store().list(SnapshotQuery.of(TENANT).limit(0));
    assertEquals(List.of(id(501)), ids(one.items()));
    assertTrue(one.nextCursor().isPresent());
    Page<Snapshot> max = store().list(SnapshotQuery.of(TENANT).limit(10_000));
    assertEquals(500, max.items().size());
    assertTrue(max.nextCursor().isPresent());
    assertEquals(List.of(id(1)), ids(store().list(SnapshotQuery.of(TENANT).after(max.nextCursor().get())).items()));
  }

  @Test
  @DisplayName("following cursors visits every matching snapshot exactly once, in order")
  void cursorPaginationCoversEverything() {
    List<SnapshotId> expected = new ArrayList<>();
    for (int n = 1; n <= 23; n++) {
      insert(row(n % 3 == 0 ? W2 : W1, n));
      if (n % 3 != 0) {
        expected.add(0, id(n));
      }
    }
    insert(row(OTHER, 50));
    List<SnapshotId> seen = new ArrayList<>();
    SnapshotQuery query = SnapshotQuery.of(W1).limit(4);
    for (int pages = 0; ; pages++) {
      assertTrue(pages < 20, "pagination does not terminate");
      Page<Snapshot> page = store().list(query);
      seen.addAll(ids(page.items()));
      if (page.nextCursor().isEmpty()) {
        break;
      }
      assertEquals(page.items().get(page.items().size() - 1).id(), page.nextCursor().get(),
          "the cursor is the last item of the page");
      query = query.after(page.nextCursor().get());
    }
    assertEquals(expected, seen);
    assertEquals(new HashSet<>(seen).size(), seen.size());
  }

  @Test
  @DisplayName("the last page has no cursor")
  void lastPageHasNoCursor() {
    insert(row(W1, 1));
    insert(row(W1, 2));
    Page<Snapshot> page = store().list(SnapshotQuery.of(W1).limit(5));
    assertEquals(2, page.items().size());
    assertEquals(Optional.empty(), page.nextCursor());
    assertEquals(List.of(), store().list(SnapshotQuery.of(WorkloadRef.of(TENANT, "nothing"))).items());
  }

  @Test
  @DisplayName("versions lists the workload's versioned snapshots ascending by version")
  void versionsAscending() {
    Snapshot a = insert(row(W1, 1));
    Snapshot b = insert(row(W1, 2));
    Snapshot c = insert(row(W1, 3));
    insert(row(W1, 4));
    readyRow(W2, 5, OptionalLong.empty());
    Snapshot vc = markReady(c, OptionalLong.empty());
    Snapshot va = markReady(a, OptionalLong.empty());
    Snapshot vb = markReady(b, OptionalLong.empty());
    assertEquals(List.of(vc, va, vb), store().versions(W1));
    assertEquals(List.of(1, 2, 3), store().versions(W1).stream().map(Snapshot::version).toList());
    assertEquals(List.of(), store().versions(WorkloadRef.of(TENANT, "none")));
  }
}
