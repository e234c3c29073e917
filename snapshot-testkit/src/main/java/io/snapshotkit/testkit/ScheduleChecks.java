package io.snapshotkit.testkit;

import static io.snapshotkit.testkit.StoreFixture.OTHER;
import static io.snapshotkit.testkit.StoreFixture.TENANT;
import static io.snapshotkit.testkit.StoreFixture.W1;
import static io.snapshotkit.testkit.StoreFixture.W2;
import static io.snapshotkit.testkit.StoreFixture.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.RetentionPolicy;
import io.snapshotkit.Schedule;
import io.snapshotkit.ScheduleState;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.ScheduleStore;
import io.snapshotkit.spi.SlotClaim;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The test methods of {@link ManifestStoreContract}'s "Schedules" group (the
 * {@link io.snapshotkit.spi.ScheduleStore}), in a file of their own like {@link ListingChecks}; the
 * group is a {@code @Nested} inner class of the contract that extends this one.
 *
 * <p><b>Thread-safety:</b> a JUnit test class; each test runs on one instance (the concurrency
 * test starts its own threads and joins them).
 */
abstract class ScheduleChecks extends ContractGroup {

  ScheduleChecks() {}

  private ScheduleStore schedules() {
    return fixture().store.schedules();
  }

  private static Schedule full(WorkloadRef w) {
    return Schedule.cron(w, "*/15 9-17 * * 1-5").jitter(Duration.ofSeconds(90))
        .retention(RetentionPolicy.builder().keepLast(3).keepHourly(24).keepDaily(7).keepWeekly(4).keepMonthly(12)
            .keepYearly(2).keepWithin(Duration.ofHours(36)).build());
  }

  @Test
  @DisplayName("a stored schedule reads back with every field, starting at the time it was set with no runs")
  void putThenFind() {
    Schedule cron = full(W1);
    Schedule every = Schedule.every(W2, Duration.ofMillis(90_061_001)).jitter(Duration.ofNanos(1_500));
    assertEquals(new ScheduleState(cron, at(10), 0, 0), schedules().put(cron, at(10)));
    schedules().put(every, at(11));
    assertEquals(Optional.of(new ScheduleState(cron, at(10), 0, 0)), schedules().find(W1));
    assertEquals(Optional.of(new ScheduleState(every, at(11), 0, 0)), schedules().find(W2));
    assertEquals(Optional.empty(), schedules().find(OTHER));
  }

  @Test
  @DisplayName("replacing a schedule keeps its last slot and counts, so a changed schedule never re-runs slots")
  void replaceKeepsProgress() {
    schedules().put(Schedule.every(W1, Duration.ofHours(1)), at(0));
    assertTrue(schedules().claim(W1, at(0), at(3600), SlotClaim.RUN));
    assertTrue(schedules().claim(W1, at(3600), at(7200), SlotClaim.SKIP));
    Schedule changed = Schedule.cron(W1, "0 3 * * *");
    ScheduleState stored = schedules().put(changed, at(9000));
    assertEquals(new ScheduleState(changed, at(7200), 1, 1), stored);
    assertEquals(Optional.of(stored), schedules().find(W1));
  }

  @Test
  @DisplayName("list returns one tenant's schedules by workload id; remove says whether there was one")
  void listAndRemove() {
    schedules().put(Schedule.every(W2, Duration.ofMinutes(5)), at(0));
    schedules().put(Schedule.every(W1, Duration.ofMinutes(5)), at(0));
    schedules().put(Schedule.every(OTHER, Duration.ofMinutes(5)), at(0));
    assertEquals(List.of(W1, W2), schedules().list(TENANT).stream().map(ScheduleState::workload).toList());
    assertTrue(schedules().remove(W1));
    assertFalse(schedules().remove(W1));
    assertEquals(List.of(W2), schedules().list(TENANT).stream().map(ScheduleState::workload).toList());
    assertEquals(Optional.empty(), schedules().find(W1));
    assertFalse(schedules().claim(W1, at(0), at(300), SlotClaim.RUN), "a removed schedule cannot be claimed");
  }

  @Test
  @DisplayName("pages cover every tenant's schedules once, each page continuing after the last one")
  void pagesCoverEverySchedule() {
    Set<WorkloadRef> all = new HashSet<>();
    for (int i = 0; i < 7; i++) {
      WorkloadRef w = WorkloadRef.of(i % 2 == 0 ? "acme" : "globex", "w" + i);
      all.add(w);
      schedules().put(Schedule.every(w, Duration.ofMinutes(1)), at(i));
    }
    List<WorkloadRef> seen = new ArrayList<>();
    Optional<WorkloadRef> after = Optional.empty();
    while (true) {
      List<ScheduleState> page = schedules().page(after, 3);
      page.forEach(s -> seen.add(s.workload()));
      if (page.size() < 3) {
        break;
      }
      after = Optional.of(page.get(page.size() - 1).workload());
    }
    assertEquals(7, seen.size(), "no schedule twice: " + seen);
    assertEquals(all, new HashSet<>(seen));
  }

  @Test
  @DisplayName("a claim is a compare-and-set on the last slot: a stale expected slot loses and changes nothing")
  void claimIsCompareAndSet() {
    schedules().put(Schedule.every(W1, Duration.ofMinutes(1)), at(0));
    assertTrue(schedules().claim(W1, at(0), at(60), SlotClaim.RUN));
    assertFalse(schedules().claim(W1, at(0), at(60), SlotClaim.RUN), "the same slot again");
    assertFalse(schedules().claim(W1, at(0), at(120), SlotClaim.RUN), "a stale expected slot");
    assertTrue(schedules().claim(W1, at(60), at(180), SlotClaim.SKIP));
    ScheduleState s = schedules().find(W1).orElseThrow();
    assertEquals(at(180), s.lastSlot());
    assertEquals(1, s.runs());
    assertEquals(1, s.skips());
    assertThrows(IllegalArgumentException.class, () -> schedules().claim(W1, at(180), at(180), SlotClaim.RUN));
  }

  @Test
  @DisplayName("of 8 threads claiming the same 20 slots, exactly one wins each slot")
  void oneWinnerPerSlotUnderConcurrency() throws Exception {
    schedules().put(Schedule.every(W1, Duration.ofMinutes(1)), at(0));
    AtomicInteger won = new AtomicInteger();
    List<List<Integer>> perThread = StoreFixture.runConcurrently(8, () -> {
      List<Integer> mine = new ArrayList<>();
      for (int slot = 1; slot <= 20; slot++) {
        Instant expected = at(60L * (slot - 1));
        // Each thread waits until the previous slot is claimed by someone, then races for this one.
        while (!schedules().find(W1).orElseThrow().lastSlot().equals(expected)
            && schedules().find(W1).orElseThrow().lastSlot().isBefore(expected)) {
          Thread.onSpinWait();
        }
        if (schedules().claim(W1, expected, at(60L * slot), SlotClaim.RUN)) {
          mine.add(slot);
          won.incrementAndGet();
        }
      }
      return mine;
    });
    List<Integer> all = new ArrayList<>();
    perThread.forEach(all::addAll);
    all.sort(null);
    assertEquals(IntStream.rangeClosed(1, 20).boxed().toList(), all);
    assertEquals(20, schedules().find(W1).orElseThrow().runs());
  }

  @Test
  @DisplayName("8 threads setting the first schedule of the same 30 workloads at once all succeed, one row each")
  void concurrentFirstPutsAllSucceed() throws Exception {
    List<WorkloadRef> workloads = IntStream.range(0, 30).mapToObj(i -> new WorkloadRef(TENANT, "race-" + i)).toList();
    List<Integer> failures = StoreFixture.runConcurrently(8, () -> {
      int failed = 0;
      for (WorkloadRef w : workloads) {
        try {
          schedules().put(Schedule.every(w, Duration.ofMinutes(5)), at(0));
        } catch (RuntimeException e) {
          failed++;
        }
      }
      return failed;
    });
    assertEquals(List.of(0, 0, 0, 0, 0, 0, 0, 0), failures);
    assertEquals(30, schedules().list(TENANT).stream().filter(s -> s.workload().id().startsWith("race-")).count());
  }
}
