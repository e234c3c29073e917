package io.snapshotkit.core;

import static io.snapshotkit.core.Fixture.ACME;
import static io.snapshotkit.core.Fixture.W;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Page;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.Trigger;
import io.snapshotkit.testkit.Fault;
import io.snapshotkit.testkit.FaultyHostAgent.Op;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("List, get, versions and usage")
class ListGetTest {

  /** Forgets a READY snapshot's size in the store, as for rows written before sizes were known. */
  private static Snapshot forgetSize(Fixture f, Snapshot s) {
    Snapshot unknown = new Snapshot(s.id(), s.workload(), s.version(), s.name(), s.trigger(), s.status(), s.parent(),
        s.createdAt(), s.expiresAt(), OptionalLong.empty(), s.partial(), s.isProtected(), s.labels(), s.host(),
        s.manifest(), s.failure());
    f.store.inTransaction(tx -> tx.compareAndSet(SnapshotStatus.READY, unknown));
    return unknown;
  }

  @Test
  @DisplayName("list is newest first, filters by status and trigger, and pages with a cursor covering everything once")
  void listPaging() throws Exception {
    try (Fixture f = Fixture.create()) {
      List<SnapshotId> ids = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        f.clock.advance(java.time.Duration.ofSeconds(1));
        ids.add(f.engine.capture(CaptureSpec.of(W).trigger(i % 2 == 0 ? Trigger.MANUAL : Trigger.SCHEDULE)).id());
      }
      f.h1().failNext(Op.CAPTURE, Fault.error("boom"));
      assertThrows(SnapshotException.class, f::capture);

      List<SnapshotId> seen = new ArrayList<>();
      SnapshotQuery q = SnapshotQuery.of(W).statuses(Set.of(SnapshotStatus.READY)).limit(2);
      Page<Snapshot> page;
      do {
        page = f.engine.list(q);
        page.items().forEach(s -> seen.add(s.id()));
        q = page.nextCursor().map(q::after).orElse(q);
      } while (page.nextCursor().isPresent());
      List<SnapshotId> newestFirst = new ArrayList<>(ids);
      newestFirst.sort(Comparator.reverseOrder());
      assertEquals(newestFirst, seen);

      assertEquals(2, f.engine.list(SnapshotQuery.of(ACME).triggers(Set.of(Trigger.SCHEDULE))).items().size());
      assertEquals(1, f.engine.list(SnapshotQuery.of(ACME).statuses(Set.of(SnapshotStatus.FAILED))).items().size());
      assertEquals(6, f.engine.list(SnapshotQuery.of(ACME).limit(10_000)).items().size(), "limit is clamped, not refused");
    }
  }

  @Test
  @DisplayName("an unknown size is resolved from the capturing host on get, persisted and cached")
  void lazySize() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot s = f.capture();
      long size = s.sizeBytes().getAsLong();
      forgetSize(f, s);
      f.h1().clearCalls();
      assertEquals(OptionalLong.of(size), f.engine.get(ACME, s.id()).sizeBytes());
      assertEquals(OptionalLong.of(size), f.row(s.id()).sizeBytes(), "persisted");
      forgetSize(f, s);
      assertEquals(OptionalLong.of(size), f.engine.list(SnapshotQuery.of(W)).items().get(0).sizeBytes());
      assertEquals(1, f.h1().calls(Op.SIZE).size(), "the second read is served from the cache");
    }
  }

  @Test
  @DisplayName("a host that cannot report a size leaves it unknown without failing the listing")
  void sizeFailureTolerated() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot s = forgetSize(f, f.capture());
      f.h1().failAlways(Op.SIZE, Fault.offline());
      Page<Snapshot> page = f.engine.list(SnapshotQuery.of(W));
      assertEquals(s.id(), page.items().get(0).id());
      assertTrue(page.items().get(0).sizeBytes().isEmpty());
      assertTrue(f.row(s.id()).sizeBytes().isEmpty());
    }
  }

  @Test
  @DisplayName("get of an unknown id is NOT_FOUND")
  void getUnknown() throws Exception {
    try (Fixture f = Fixture.create()) {
      SnapshotId unknown = SnapshotId.generate(f.clock.instant(), new java.util.SplittableRandom(1));
      assertEquals(ErrorCode.NOT_FOUND, assertThrows(SnapshotException.class, () -> f.engine.get(ACME, unknown)).code());
    }
  }

  @Test
  @DisplayName("versions are listed in order and version(N) finds one; a workload without versions is NOT_FOUND")
  void versions() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot v1 = f.capture();
      Snapshot v2 = f.capture();
      assertEquals(List.of(v1.id(), v2.id()), f.engine.versions(W).stream().map(Snapshot::id).toList());
      assertEquals(v2.id(), f.engine.version(W, 2).id());
      assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(SnapshotException.class, () -> f.engine.version(W, 3)).code());
      assertEquals(ErrorCode.NOT_FOUND, assertThrows(SnapshotException.class,
          () -> f.engine.version(io.snapshotkit.WorkloadRef.of(ACME, "empty"), 1)).code());
    }
  }

  @Test
  @DisplayName("the usage gauge is re-synced from the store after captures and deletes")
  void usageGauge() throws Exception {
    try (Fixture f = Fixture.create()) {
      assertEquals(0, f.engine.usageBytes(ACME));
      Snapshot a = f.capture();
      Snapshot b = f.capture();
      long both = a.sizeBytes().getAsLong() + b.sizeBytes().getAsLong();
      assertEquals(both, f.engine.usageBytes(ACME));
      assertEquals(f.store.usageBytes(ACME), f.engine.usageBytes(ACME));
      f.engine.delete(ACME, a.id());
      assertEquals(b.sizeBytes().getAsLong(), f.engine.usageBytes(ACME));
      assertEquals(0, f.engine.usageBytes(Fixture.GLOBEX));
      assertEquals(Optional.empty(), f.store.find(a.id()));
    }
  }
}
