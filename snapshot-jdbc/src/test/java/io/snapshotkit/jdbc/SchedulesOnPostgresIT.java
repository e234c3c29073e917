package io.snapshotkit.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import io.snapshotkit.Schedule;
import io.snapshotkit.ScheduleState;
import io.snapshotkit.Snapshot;
import io.snapshotkit.Trigger;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.ScheduleReport;
import io.snapshotkit.core.ScheduleRun;
import io.snapshotkit.core.SnapshotEngine;
import io.snapshotkit.jdbc.testing.PostgresServer;
import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.testkit.FaultyHostAgent.Op;
import io.snapshotkit.testkit.FakeHostDirectory;
import io.snapshotkit.testkit.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Two engine instances (two stores on two pools, advisory workload locks) on one real PostgreSQL
 * database, sharing one controllable clock and running their schedules at the same moments from
 * two threads: each slot is claimed by exactly one of them.
 */
@DisplayName("Schedules with two SnapshotEngine instances on one PostgreSQL database")
class SchedulesOnPostgresIT {
  private static final Instant START = MutableClock.EPOCH;
  private static final WorkloadRef EVERY_MINUTE = WorkloadRef.of("acme", "every-minute");
  private static final WorkloadRef CRON = WorkloadRef.of("acme", "cron-2min");
  private static final WorkloadRef OTHER_TENANT = WorkloadRef.of("globex", "every-90s");

  private final MutableClock clock = MutableClock.at(START);
  private final FakeHostDirectory hosts = FakeHostDirectory.withHosts(1);
  private ExecutorService engineExecutor;
  private ExecutorService runners;
  private HikariDataSource poolA;
  private HikariDataSource poolB;
  private SnapshotEngine a;
  private SnapshotEngine b;

  @BeforeEach
  void twoEngines() {
    for (WorkloadRef w : List.of(EVERY_MINUTE, CRON, OTHER_TENANT)) {
      hosts.agentFor("h1").createWorkload(w);
      hosts.place(w, "h1");
    }
    engineExecutor = Executors.newFixedThreadPool(4);
    runners = Executors.newFixedThreadPool(2);
    String database = PostgresServer.newDatabase();
    poolA = PostgresServer.pool(database, 6);
    poolB = PostgresServer.pool(database, 6);
    a = engine(poolA);
    b = engine(poolB);
  }

  private SnapshotEngine engine(HikariDataSource pool) {
    return SnapshotEngine.builder()
        .manifestStore(JdbcManifestStore.postgres(pool))
        .workloadLock(PostgresWorkloadLock.on(pool))
        .hosts(hosts)
        .lifecycle(Lifecycle.none())
        .clock(clock)
        .executor(engineExecutor)
        .build();
  }

  @AfterEach
  void close() {
    hosts.agents().forEach(h -> h.releaseHangs());
    a.close();
    b.close();
    runners.shutdownNow();
    engineExecutor.shutdownNow();
    poolA.close();
    poolB.close();
  }

  /** Both engines run their due schedules at once, from two threads; returns both reports. */
  private List<ScheduleReport> bothRunDue() throws Exception {
    CountDownLatch go = new CountDownLatch(1);
    List<Future<ScheduleReport>> reports = new ArrayList<>();
    for (SnapshotEngine e : List.of(a, b)) {
      Callable<ScheduleReport> run = () -> {
        go.await();
        return e.schedules().runDue();
      };
      reports.add(runners.submit(run));
    }
    go.countDown();
    List<ScheduleReport> out = new ArrayList<>();
    for (Future<ScheduleReport> f : reports) {
      out.add(f.get(60, TimeUnit.SECONDS));
    }
    return out;
  }

  @Test
  @DisplayName("over 1 hour in 20 s steps, each of the 130 slots of three schedules (interval, cron, jitter, two tenants) runs exactly once")
  void everySlotExactlyOnce() throws Exception {
    a.schedules().set(Schedule.every(EVERY_MINUTE, Duration.ofMinutes(1)).jitter(Duration.ofSeconds(40)));
    b.schedules().set(Schedule.cron(CRON, "*/2 * * * *").jitter(Duration.ofSeconds(30)));
    a.schedules().set(Schedule.every(OTHER_TENANT, Duration.ofSeconds(90)));
    Map<WorkloadRef, List<Instant>> claimed = new TreeMap<>();
    int byA = 0;
    int byB = 0;
    Instant end = START.plus(Duration.ofHours(1));
    while (clock.instant().isBefore(end)) {
      clock.advance(Duration.ofSeconds(20));
      List<ScheduleReport> reports = bothRunDue();
      byA += reports.get(0).runs().size();
      byB += reports.get(1).runs().size();
      for (ScheduleReport r : reports) {
        for (ScheduleRun run : r.runs()) {
          assertEquals(ScheduleRun.Outcome.CAPTURED, run.outcome(), run.toString());
          assertTrue(!run.caughtUp(), "no slot is missed when runs are every 20 s: " + run);
          claimed.computeIfAbsent(run.workload(), w -> new ArrayList<>()).add(run.slot());
        }
      }
    }
    // Every slot of each schedule whose due time has passed by the end: minutes, even minutes, 90 s.
    Map<WorkloadRef, Integer> expected = Map.of(EVERY_MINUTE, 60, CRON, 30, OTHER_TENANT, 40);
    for (Map.Entry<WorkloadRef, Integer> e : expected.entrySet()) {
      List<Instant> slots = claimed.get(e.getKey());
      assertEquals(new HashSet<>(slots).size(), slots.size(), e.getKey() + ": a slot ran twice");
      Duration step = e.getKey().equals(CRON) ? Duration.ofMinutes(2)
          : e.getKey().equals(OTHER_TENANT) ? Duration.ofSeconds(90) : Duration.ofMinutes(1);
      Set<Instant> all = new TreeSet<>();
      for (int i = 1; i <= e.getValue(); i++) {
        all.add(START.plus(step.multipliedBy(i)));
      }
      // The last slot's jitter may not have passed at the end; every other one must have run.
      Set<Instant> ran = new TreeSet<>(slots);
      Set<Instant> missing = new TreeSet<>(all);
      missing.removeAll(ran);
      assertTrue(missing.isEmpty() || missing.equals(Set.of(START.plus(step.multipliedBy(e.getValue())))),
          e.getKey() + " never ran " + missing);
      assertTrue(all.containsAll(ran), e.getKey() + " ran slots that are not its own: " + ran);
      List<Snapshot> snapshots = a.versions(e.getKey());
      assertEquals(slots.size(), snapshots.size(), "one snapshot per slot of " + e.getKey());
      assertTrue(snapshots.stream().allMatch(s -> s.trigger().equals(Trigger.SCHEDULE)));
      assertEquals(new TreeSet<>(slots.stream().map(Instant::toString).toList()),
          new TreeSet<>(snapshots.stream().map(s -> s.labels().get("schedule.slot")).toList()));
      ScheduleState state = b.schedules().get(e.getKey()).orElseThrow();
      assertEquals(slots.size(), state.runs());
      assertEquals(0, state.skips());
    }
    assertTrue(byA + byB >= 128, "runs by A " + byA + ", by B " + byB);
  }

  @Test
  @DisplayName("a slot due while the other instance is still capturing the workload is skipped, counted, and the next one runs")
  void skipWhileTheOtherInstanceCaptures() throws Exception {
    a.schedules().set(Schedule.every(EVERY_MINUTE, Duration.ofMinutes(1)));
    CountDownLatch arrived = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    hosts.agentFor("h1").gate(Op.CAPTURE, arrived, release);
    clock.advance(Duration.ofMinutes(1));
    Future<ScheduleReport> onA = runners.submit(() -> a.schedules().runDue());
    assertTrue(arrived.await(30, TimeUnit.SECONDS), "A's scheduled capture started");
    clock.advance(Duration.ofMinutes(1));

    ScheduleReport onB = b.schedules().runDue();

    assertEquals(List.of(ScheduleRun.Outcome.SKIPPED), onB.runs().stream().map(ScheduleRun::outcome).toList());
    assertEquals(START.plus(Duration.ofMinutes(2)), onB.runs().get(0).slot());
    release.countDown();
    ScheduleReport aReport = onA.get(30, TimeUnit.SECONDS);
    assertEquals(List.of(ScheduleRun.Outcome.CAPTURED), aReport.runs().stream().map(ScheduleRun::outcome).toList());
    assertEquals(0, a.schedules().runDue().runs().size() + b.schedules().runDue().runs().size(),
        "the skipped slot is used up on both");
    clock.advance(Duration.ofMinutes(1));
    List<ScheduleReport> next = bothRunDue();
    assertEquals(1, next.get(0).runs().size() + next.get(1).runs().size());
    ScheduleState state = a.schedules().get(EVERY_MINUTE).orElseThrow();
    assertEquals(2, state.runs());
    assertEquals(1, state.skips());
  }

  @Test
  @DisplayName("after three days with no engine running, both instances together run each schedule once, for the latest slot")
  void catchUpAfterLongGapRunsOnce() throws Exception {
    a.schedules().set(Schedule.every(EVERY_MINUTE, Duration.ofMinutes(1)).jitter(Duration.ofSeconds(40)));
    a.schedules().set(Schedule.cron(CRON, "0 3 * * *"));
    clock.advance(Duration.ofDays(3).plusHours(4));

    List<ScheduleReport> reports = bothRunDue();

    List<ScheduleRun> runs = new ArrayList<>(reports.get(0).runs());
    runs.addAll(reports.get(1).runs());
    assertEquals(2, runs.size(), runs.toString());
    for (ScheduleRun run : runs) {
      assertTrue(run.caughtUp(), run.toString());
      assertEquals(ScheduleRun.Outcome.CAPTURED, run.outcome());
    }
    Instant now = clock.instant();
    Instant latestMinute = runs.stream().filter(r -> r.workload().equals(EVERY_MINUTE)).findFirst().orElseThrow().slot();
    assertTrue(latestMinute.equals(now) || latestMinute.equals(now.minus(Duration.ofMinutes(1))),
        "the most recent due minute, not an old one: " + latestMinute);
    assertEquals(START.plus(Duration.ofDays(3)).plus(Duration.ofHours(3)),
        runs.stream().filter(r -> r.workload().equals(CRON)).findFirst().orElseThrow().slot());
    assertEquals(List.of(), bothRunDue().stream().flatMap(r -> r.runs().stream()).toList(), "never a burst");
    assertEquals(1, a.versions(CRON).size());
    assertEquals(1, a.versions(EVERY_MINUTE).size());
  }
}
