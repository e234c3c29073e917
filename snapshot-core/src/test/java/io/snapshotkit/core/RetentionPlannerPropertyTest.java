package io.snapshotkit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ManifestRef;
import io.snapshotkit.RetentionPolicy;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.Trigger;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.testkit.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** The pure retention planner behind {@link SnapshotEngine#applyRetention}. */
class RetentionPlannerPropertyTest {
  private static final WorkloadRef W = WorkloadRef.of("acme", "ws-1");

  /** One generated snapshot: minutes after the epoch, status, protected flag. */
  record Spec(int minutes, SnapshotStatus status, boolean isProtected) {}

  @Provide
  Arbitrary<List<Spec>> histories() {
    Arbitrary<Spec> spec = Combinators.combine(
        Arbitraries.oneOf(Arbitraries.integers().between(0, 60 * 24 * 60), Arbitraries.integers().between(0, 60 * 24 * 800)),
        Arbitraries.frequency(
            net.jqwik.api.Tuple.of(6, SnapshotStatus.READY),
            net.jqwik.api.Tuple.of(1, SnapshotStatus.FAILED),
            net.jqwik.api.Tuple.of(1, SnapshotStatus.CAPTURING),
            net.jqwik.api.Tuple.of(1, SnapshotStatus.DELETING)),
        Arbitraries.integers().between(0, 9).map(n -> n == 0)).as(Spec::new);
    return spec.list().ofMaxSize(40);
  }

  @Provide
  Arbitrary<RetentionPolicy> policies() {
    Arbitrary<Integer> n = Arbitraries.integers().between(0, 6);
    Arbitrary<Integer> rare = Arbitraries.integers().between(-6, 6).map(i -> Math.max(0, i));
    Arbitrary<Optional<Duration>> within = Arbitraries.integers().between(-3, 3)
        .map(i -> i <= 0 ? Optional.<Duration>empty() : Optional.of(Duration.ofDays(i * 10L).minusMinutes(i)));
    return Combinators.combine(n, rare, n, n, rare, rare, within).as(RetentionPolicy::new);
  }

  @Property(tries = 100)
  @Label("the planner splits exactly the READY snapshots, keeps protected ones and the keepLast newest, and is order-independent")
  void plannerInvariants(@ForAll("histories") List<Spec> history, @ForAll("policies") RetentionPolicy policy,
      @ForAll @IntRange(min = 0, max = 1000) int shuffleSeed) {
    List<Snapshot> snapshots = build(history);
    RetentionPlanner.Plan plan = RetentionPlanner.plan(snapshots, policy);

    List<Snapshot> ready = snapshots.stream().filter(s -> s.status() == SnapshotStatus.READY)
        .sorted(RetentionPlanner.NEWEST_FIRST).toList();
    Set<Snapshot> kept = new HashSet<>(plan.keep());
    Set<Snapshot> deleted = new HashSet<>(plan.delete());
    assertTrue(Collections.disjoint(kept, deleted), "nothing is both kept and deleted");
    Set<Snapshot> union = new HashSet<>(kept);
    union.addAll(deleted);
    assertEquals(new HashSet<>(ready), union, "exactly the READY snapshots are planned; others are never touched");
    assertEquals(plan.keep().stream().sorted(RetentionPlanner.NEWEST_FIRST).toList(), plan.keep(), "newest first");

    for (Snapshot s : ready) {
      if (s.isProtected()) {
        assertTrue(kept.contains(s), "a protected snapshot is never deleted");
      }
    }
    assertTrue(kept.containsAll(ready.subList(0, Math.min(policy.keepLast(), ready.size()))),
        "the keepLast newest are kept");
    long days = ready.stream().map(s -> s.createdAt().truncatedTo(java.time.temporal.ChronoUnit.DAYS)).distinct().count();
    long keptDays = plan.keep().stream().map(s -> s.createdAt().truncatedTo(java.time.temporal.ChronoUnit.DAYS))
        .distinct().count();
    assertTrue(keptDays >= Math.min(policy.keepDaily(), days), "keepDaily distinct days survive");
    assertPeriodsSurvive(ready, plan.keep(), policy.keepHourly(),
        t -> java.time.LocalDateTime.ofInstant(t, java.time.ZoneOffset.UTC).truncatedTo(java.time.temporal.ChronoUnit.HOURS));
    assertPeriodsSurvive(ready, plan.keep(), policy.keepMonthly(),
        t -> java.time.YearMonth.from(java.time.LocalDate.ofInstant(t, java.time.ZoneOffset.UTC)));
    assertPeriodsSurvive(ready, plan.keep(), policy.keepYearly(),
        t -> java.time.LocalDate.ofInstant(t, java.time.ZoneOffset.UTC).getYear());
    policy.keepWithin().ifPresent(d -> ready.stream().findFirst().ifPresent(newest -> {
      for (Snapshot s : ready) {
        if (!s.createdAt().isBefore(newest.createdAt().minus(d))) {
          assertTrue(kept.contains(s), "a snapshot within keepWithin of the newest is kept");
        }
      }
    }));
    if (policy.keepsNothing()) {
      assertEquals(ready.stream().filter(Snapshot::isProtected).count(), plan.keep().size(),
          "an empty policy keeps only protected snapshots");
    }

    List<Snapshot> shuffled = new ArrayList<>(snapshots);
    Collections.shuffle(shuffled, new Random(shuffleSeed));
    assertEquals(plan, RetentionPlanner.plan(shuffled, policy), "the same input in any order gives the same plan");
  }

  /** For a "newest of each of the last N periods" rule: the newest of each of the newest N periods is kept. */
  private static void assertPeriodsSurvive(List<Snapshot> readyNewestFirst, List<Snapshot> kept, int count,
      java.util.function.Function<Instant, Object> period) {
    Set<Object> seen = new HashSet<>();
    for (Snapshot s : readyNewestFirst) {
      Object p = period.apply(s.createdAt());
      if (seen.size() >= count) {
        return;
      }
      if (seen.add(p)) {
        assertTrue(kept.contains(s), "the newest snapshot of period " + p + " is kept");
      }
    }
  }

  private static List<Snapshot> build(List<Spec> history) {
    SplittableRandom random = new SplittableRandom(7);
    List<Snapshot> out = new ArrayList<>();
    int version = 0;
    for (Spec spec : history) {
      Instant at = MutableClock.EPOCH.plus(Duration.ofMinutes(spec.minutes()));
      Snapshot s = Snapshot.capturing(SnapshotId.generate(at, random), W, "", Trigger.MANUAL, Optional.empty(), at,
          Optional.empty(), Map.of()).withProtected(spec.isProtected());
      s = switch (spec.status()) {
        case CAPTURING -> s;
        case FAILED -> s.failed("boom");
        case READY -> s.ready(++version, OptionalLong.of(10), false, ManifestRef.inline(Map.of(), 10));
        case DELETING -> s.ready(++version, OptionalLong.of(10), false, ManifestRef.inline(Map.of(), 10))
            .withStatus(SnapshotStatus.DELETING);
      };
      out.add(s);
    }
    return out;
  }
}
