package io.snapshotkit.core;

import static io.snapshotkit.core.Fixture.ACME;
import static io.snapshotkit.core.Fixture.W;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.DiffResult;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.EventType;
import io.snapshotkit.FamilyDiff;
import io.snapshotkit.FamilyRestore;
import io.snapshotkit.Plan;
import io.snapshotkit.RestoreReport;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.HostStatus;
import io.snapshotkit.testkit.FakeHostAgent;
import io.snapshotkit.testkit.Fault;
import io.snapshotkit.testkit.FaultyHostAgent.Op;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** Invariants of the engine under random operation sequences and concurrency. */
class EnginePropertyTest {
  private static final Duration STUCK_AFTER = Duration.ofMinutes(10);
  private static final List<String> FAMILIES = List.of("settings", "users");

  // ───────────── versions ─────────────

  /** One step of a single-threaded script. */
  sealed interface Step permits Capture, FailCapture, Delete, FailDelete, LateReport, Sweep, Protect {}

  record Capture() implements Step {}

  record FailCapture() implements Step {}

  record Delete(int pick) implements Step {}

  /** A delete while host h2 is offline: refused before any host is asked, the row untouched. */
  record FailDelete(int pick) implements Step {}

  /** A capture reaped as stuck while it runs, whose result then arrives late. */
  record LateReport() implements Step {}

  /** The clock passes the plan's retention and the sweeper runs. */
  record Sweep() implements Step {}

  record Protect(int pick, boolean value) implements Step {}

  @Provide
  Arbitrary<List<Step>> versionScripts() {
    Arbitrary<Integer> pick = Arbitraries.integers().between(0, 50);
    Arbitrary<Step> capture = Arbitraries.just(new Capture());
    Arbitrary<Step> fail = Arbitraries.just(new FailCapture());
    Arbitrary<Step> delete = pick.map(Delete::new);
    return Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(5, capture),
            net.jqwik.api.Tuple.of(2, fail),
            net.jqwik.api.Tuple.of(2, delete))
        .list().ofMinSize(1).ofMaxSize(25);
  }

  @Property(tries = 60)
  @Label("versions are 1..N in capture order, gap-free and never reused, under random captures, failures and deletes")
  void versionsGapFree(@ForAll("versionScripts") List<Step> script) throws Exception {
    try (Fixture f = Fixture.create(o -> o.threads = 1)) {
      List<Integer> assigned = new ArrayList<>();
      for (Step step : script) {
        if (step instanceof Capture) {
          assigned.add(f.capture().version());
        } else if (step instanceof FailCapture) {
          f.h1().failNext(Op.CAPTURE, Fault.error("disk full"));
          SnapshotException e = expectFailure(f::capture);
          assertEquals(0, f.row(e.snapshotId().orElseThrow()).version(), "a failed capture uses no version");
        } else if (step instanceof Delete d) {
          List<Snapshot> versions = f.engine.versions(W);
          if (!versions.isEmpty()) {
            f.engine.delete(ACME, versions.get(d.pick() % versions.size()).id());
          }
        }
      }
      assertEquals(IntStream.rangeClosed(1, assigned.size()).boxed().toList(), assigned);
      List<Integer> remaining = f.engine.versions(W).stream().map(Snapshot::version).toList();
      assertEquals(new TreeSet<>(remaining).stream().toList(), remaining, "versions() is ascending without duplicates");
      assertTrue(assigned.containsAll(remaining));
    }
  }

  @Property(tries = 30)
  @Label("captures within one millisecond (a clock that does not advance) list newest first by version, on one page and paged")
  void sameMillisecondCapturesListNewestFirst(@ForAll @IntRange(min = 2, max = 40) int captures,
      @ForAll @IntRange(min = 1, max = 7) int pageSize) throws Exception {
    try (Fixture f = Fixture.create(o -> o.threads = 1)) {
      for (int i = 0; i < captures; i++) {
        f.capture();
      }
      List<Integer> newestFirst = IntStream.rangeClosed(1, captures).map(v -> captures + 1 - v).boxed().toList();
      assertEquals(newestFirst, f.engine.list(SnapshotQuery.of(W).limit(SnapshotQuery.MAX_LIMIT)).items().stream()
          .map(Snapshot::version).toList());
      List<Integer> paged = new ArrayList<>();
      SnapshotQuery query = SnapshotQuery.of(W).limit(pageSize);
      while (true) {
        io.snapshotkit.Page<Snapshot> page = f.engine.list(query);
        page.items().forEach(s -> paged.add(s.version()));
        if (page.nextCursor().isEmpty()) {
          break;
        }
        query = query.after(page.nextCursor().get());
      }
      assertEquals(newestFirst, paged, "pages follow the same order");
    }
  }

  /** {@code round} only repeats each size: the interleavings differ from run to run. */
  @Property(tries = 12)
  @Label("8 threads capturing one workload get versions 1..N with no gap and no duplicate")
  void concurrentVersions(@ForAll @IntRange(min = 1, max = 3) int perThread,
      @ForAll @IntRange(min = 1, max = 4) int round) throws Exception {
    int threads = 8;
    ExecutorService callers = Executors.newFixedThreadPool(threads);
    try (Fixture f = Fixture.create()) {
      CyclicBarrier start = new CyclicBarrier(threads);
      List<Future<List<Integer>>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        results.add(callers.submit(() -> {
          start.await(10, TimeUnit.SECONDS);
          List<Integer> mine = new ArrayList<>();
          for (int i = 0; i < perThread; i++) {
            mine.add(f.capture().version());
          }
          return mine;
        }));
      }
      List<Integer> all = new ArrayList<>();
      for (Future<List<Integer>> r : results) {
        all.addAll(r.get(30, TimeUnit.SECONDS));
      }
      Collections.sort(all);
      assertEquals(IntStream.rangeClosed(1, threads * perThread).boxed().toList(), all);
      f.lifecycle.assertNoViolations();
    } finally {
      callers.shutdownNow();
    }
  }

  /** {@code round} only repeats each limit: the interleavings differ from run to run. */
  @Property(tries = 14)
  @Label("concurrent captures never exceed maxSnapshots: exactly min(max, callers) succeed, the rest are QUOTA_EXCEEDED")
  void quotaNeverExceeded(@ForAll @IntRange(min = 1, max = 7) int max,
      @ForAll @IntRange(min = 1, max = 2) int round) throws Exception {
    int threads = 8;
    ExecutorService callers = Executors.newFixedThreadPool(threads);
    try (Fixture f = Fixture.create(o -> o.plans = t -> new Plan(max, java.util.Optional.empty()))) {
      CyclicBarrier start = new CyclicBarrier(threads);
      List<Future<ErrorCode>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        results.add(callers.submit(() -> {
          start.await(10, TimeUnit.SECONDS);
          try {
            f.capture();
            return null;
          } catch (SnapshotException e) {
            return e.code();
          }
        }));
      }
      int ok = 0;
      int refused = 0;
      for (Future<ErrorCode> r : results) {
        ErrorCode code = r.get(30, TimeUnit.SECONDS);
        if (code == null) {
          ok++;
        } else {
          assertEquals(ErrorCode.QUOTA_EXCEEDED, code);
          refused++;
        }
      }
      assertEquals(Math.min(max, threads), ok);
      assertEquals(threads - ok, refused);
      assertEquals(ok, f.store.snapshotCount(), "a refused capture stores no row");
      assertEquals(refused, f.events(EventType.QUOTA_REJECTED).size());
    } finally {
      callers.shutdownNow();
    }
  }

  // ───────────── status transitions ─────────────

  @Provide
  Arbitrary<List<Step>> lifeScripts() {
    Arbitrary<Integer> pick = Arbitraries.integers().between(0, 50);
    Arbitrary<Step> capture = Arbitraries.just(new Capture());
    Arbitrary<Step> fail = Arbitraries.just(new FailCapture());
    Arbitrary<Step> delete = pick.map(Delete::new);
    Arbitrary<Step> failDelete = pick.map(FailDelete::new);
    Arbitrary<Step> late = Arbitraries.just(new LateReport());
    Arbitrary<Step> sweep = Arbitraries.just(new Sweep());
    Arbitrary<Step> protect = Combinators.combine(pick, Arbitraries.of(true, false)).as(Protect::new);
    return Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(5, capture),
            net.jqwik.api.Tuple.of(2, fail),
            net.jqwik.api.Tuple.of(2, delete),
            net.jqwik.api.Tuple.of(2, failDelete),
            net.jqwik.api.Tuple.of(1, late),
            net.jqwik.api.Tuple.of(1, sweep),
            net.jqwik.api.Tuple.of(1, protect))
        .list().ofMinSize(1).ofMaxSize(25);
  }

  /** Two hosts and two threads, no snapshot limit, captures reaped after {@link #STUCK_AFTER}. */
  private static Fixture lifeFixture() {
    return Fixture.create(o -> {
      o.hosts = 2;
      o.threads = 2;
      o.stuckAfter = STUCK_AFTER;
      o.plans = t -> Plan.of(-1, Duration.ofDays(1));
    });
  }

  @Property(tries = 50)
  @Label("a snapshot's status only moves along SnapshotStatus.canTransitionTo, even with late reports, and its version never changes")
  void statusNeverMovesBackwards(@ForAll("lifeScripts") List<Step> script) throws Exception {
    try (Fixture f = lifeFixture()) {
      Map<SnapshotId, Snapshot> before = rows(f);
      for (Step step : script) {
        run(f, step);
        Map<SnapshotId, Snapshot> after = rows(f);
        for (Map.Entry<SnapshotId, Snapshot> e : after.entrySet()) {
          Snapshot was = before.get(e.getKey());
          Snapshot now = e.getValue();
          if (was == null) {
            assertTrue(now.status() == SnapshotStatus.CAPTURING || now.status() == SnapshotStatus.READY
                || now.status() == SnapshotStatus.FAILED, "a new row starts its life: " + now.status());
            continue;
          }
          assertTrue(was.status() == now.status() || was.status().canTransitionTo(now.status()),
              step + " moved " + e.getKey() + " from " + was.status() + " to " + now.status());
          if (was.version() > 0) {
            assertEquals(was.version(), now.version(), "a version never changes");
          }
          if (now.status() == SnapshotStatus.FAILED) {
            assertEquals(0, now.version(), "a FAILED snapshot never holds a version");
          }
        }
        before = after;
      }
      f.lifecycle.assertAllResumed();
    }
  }

  @Property(tries = 30)
  @Label("the usage gauge equals the store's sum after every step: captures, failures, deletes, late reports, sweeps")
  void usageGaugeIsExact(@ForAll("lifeScripts") List<Step> script) throws Exception {
    try (Fixture f = lifeFixture()) {
      for (Step step : script) {
        run(f, step);
        assertEquals(f.store.usageBytes(ACME), f.engine.usageBytes(ACME), "after " + step);
      }
    }
  }

  private static void run(Fixture f, Step step) throws Exception {
    if (step instanceof Capture) {
      f.capture();
    } else if (step instanceof FailCapture) {
      f.h1().failNext(Op.CAPTURE, Fault.error("disk full"));
      expectFailure(f::capture);
    } else if (step instanceof Delete d) {
      pick(f, d.pick()).ifPresent(s -> tolerate(() -> f.engine.delete(ACME, s.id())));
    } else if (step instanceof FailDelete d) {
      f.directory.setStatus("h2", HostStatus.OFFLINE);
      try {
        pick(f, d.pick()).ifPresent(s -> tolerate(() -> f.engine.delete(ACME, s.id())));
      } finally {
        f.directory.setStatus("h2", HostStatus.ONLINE);
      }
    } else if (step instanceof LateReport) {
      FakeHostAgent h1 = f.h1();
      CountDownLatch arrived = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      h1.gate(Op.CAPTURE, arrived, release);
      PendingCapture pending = f.engine.startCapture(CaptureSpec.of(W));
      try {
        assertTrue(arrived.await(10, TimeUnit.SECONDS));
        f.clock.advance(STUCK_AFTER.plusMinutes(1));
        assertTrue(f.engine.reapStuckCaptures() >= 1);
      } finally {
        release.countDown();
      }
      try {
        pending.result().get(10, TimeUnit.SECONDS);
        throw new AssertionError("a reaped capture must not complete");
      } catch (ExecutionException e) {
        assertEquals(ErrorCode.CONFLICT, ((SnapshotException) e.getCause()).code());
      }
      h1.gate(Op.CAPTURE, new CountDownLatch(0), new CountDownLatch(0));
    } else if (step instanceof Sweep) {
      f.clock.advance(Duration.ofDays(1).plusMinutes(1));
      f.engine.sweepExpired();
    } else if (step instanceof Protect p) {
      pick(f, p.pick()).ifPresent(s -> tolerate(() -> f.engine.protect(ACME, s.id(), p.value())));
    }
  }

  private static java.util.Optional<Snapshot> pick(Fixture f, int pick) {
    List<Snapshot> all = new ArrayList<>(rows(f).values());
    return all.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(all.get(pick % all.size()));
  }

  /** Runs an operation whose refusal (FORBIDDEN, CONFLICT…) is a legitimate outcome of a random script. */
  private static void tolerate(Runnable op) {
    try {
      op.run();
    } catch (SnapshotException e) {
      assertTrue(e.code() == ErrorCode.FORBIDDEN || e.code() == ErrorCode.CONFLICT, e.getMessage());
    }
  }

  private static Map<SnapshotId, Snapshot> rows(Fixture f) {
    Map<SnapshotId, Snapshot> rows = new TreeMap<>();
    f.store.list(SnapshotQuery.of(ACME).limit(SnapshotQuery.MAX_LIMIT)).items().forEach(s -> rows.put(s.id(), s));
    return rows;
  }

  private static SnapshotException expectFailure(Runnable op) {
    try {
      op.run();
    } catch (SnapshotException e) {
      return e;
    }
    throw new AssertionError("expected the operation to fail");
  }

  // ───────────── diff and additive restore ─────────────

  /** A workload state: family → key → value. */
  @Provide
  Arbitrary<Map<String, Map<String, String>>> states() {
    Arbitrary<Map<String, String>> family = Arbitraries.maps(
        Arbitraries.of("a", "b", "c", "d", "e", "f"), Arbitraries.of("x", "y", "z")).ofMaxSize(6);
    return Combinators.combine(family, family).as((settings, users) -> {
      Map<String, Map<String, String>> state = new TreeMap<>();
      state.put("settings", settings);
      state.put("users", users);
      return state;
    });
  }

  @Property(tries = 50)
  @Label("diff(B, A) is the mirror of diff(A, B), and each side counts exactly the keys added, removed and changed")
  void diffIsSymmetric(@ForAll("states") Map<String, Map<String, String>> a,
      @ForAll("states") Map<String, Map<String, String>> b) throws Exception {
    WorkloadRef w = WorkloadRef.of(ACME, "ws-prop");
    try (Fixture f = Fixture.create(o -> o.threads = 1)) {
      f.directory.place(w, "h1");
      f.h1().createWorkload(w);
      setState(f.h1(), w, a);
      Snapshot sa = f.engine.capture(CaptureSpec.of(w));
      setState(f.h1(), w, b);
      Snapshot sb = f.engine.capture(CaptureSpec.of(w));

      DiffResult ab = f.engine.diff(ACME, sa.id(), sb.id());
      DiffResult ba = f.engine.diff(ACME, sb.id(), sa.id());
      assertEquals(ab.families().keySet(), ba.families().keySet());
      for (Map.Entry<String, FamilyDiff> e : ab.families().entrySet()) {
        assertEquals(e.getValue().mirror(), ba.families().get(e.getKey()), e.getKey());
      }
      for (String family : FAMILIES) {
        Map<String, String> from = a.get(family);
        Map<String, String> to = b.get(family);
        FamilyDiff d = ab.families().get(family);
        long added = to.keySet().stream().filter(k -> !from.containsKey(k)).count();
        long removed = from.keySet().stream().filter(k -> !to.containsKey(k)).count();
        long changed = to.keySet().stream().filter(k -> from.containsKey(k) && !from.get(k).equals(to.get(k))).count();
        assertEquals(added, d == null ? 0 : d.added(), family + " added");
        assertEquals(removed, d == null ? 0 : d.removed(), family + " removed");
        assertEquals(changed, d == null ? 0 : d.changed(), family + " changed");
      }
      assertTrue(f.engine.diff(ACME, sa.id(), sa.id()).isEmpty(), "a snapshot does not differ from itself");
    }
  }

  @Property(tries = 50)
  @Label("additive restore re-creates exactly what the workload lacks, keeps what it has, and creates nothing when run again")
  void additiveRestoreIsIdempotent(@ForAll("states") Map<String, Map<String, String>> snapshotState,
      @ForAll("states") Map<String, Map<String, String>> laterState) throws Exception {
    WorkloadRef w = WorkloadRef.of(ACME, "ws-prop");
    try (Fixture f = Fixture.create(o -> o.threads = 1)) {
      f.directory.place(w, "h1");
      f.h1().createWorkload(w);
      setState(f.h1(), w, snapshotState);
      Snapshot s = f.engine.capture(CaptureSpec.of(w));
      setState(f.h1(), w, laterState);

      RestoreReport first = f.engine.restore(ACME, s.id(), RestoreSpec.additive());
      for (String family : FAMILIES) {
        Set<String> had = snapshotState.get(family).keySet();
        Set<String> has = laterState.get(family).keySet();
        int missing = (int) had.stream().filter(k -> !has.contains(k)).count();
        int present = had.size() - missing;
        FamilyRestore r = first.families().getOrDefault(family, new FamilyRestore(0, 0, List.of()));
        assertEquals(missing, r.created(), family + " created");
        assertEquals(present, r.skipped(), family + " skipped");
      }
      Map<String, Map<String, String>> expected = new HashMap<>();
      for (String family : FAMILIES) {
        Map<String, String> merged = new TreeMap<>(snapshotState.get(family));
        merged.putAll(laterState.get(family));
        expected.put(family, merged);
      }
      assertEquals(expected, stateOf(f.h1(), w), "what the workload had is kept; what it lacked is back");

      RestoreReport second = f.engine.restore(ACME, s.id(), RestoreSpec.additive());
      assertEquals(0, second.created());
      assertEquals(expected, stateOf(f.h1(), w));
      assertTrue(!first.hasErrors() && !second.hasErrors());
    }
  }

  private static void setState(FakeHostAgent agent, WorkloadRef w, Map<String, Map<String, String>> state) {
    Map<String, Map<String, String>> current = stateOf(agent, w);
    current.forEach((family, entries) -> new HashSet<>(entries.keySet()).forEach(key -> {
      if (!state.getOrDefault(family, Map.of()).containsKey(key)) {
        agent.remove(w, family, key);
      }
    }));
    state.forEach((family, entries) -> entries.forEach((key, value) -> agent.put(w, family, key, Fixture.doc("v", value))));
  }

  private static Map<String, Map<String, String>> stateOf(FakeHostAgent agent, WorkloadRef w) {
    Map<String, Map<String, String>> out = new HashMap<>();
    for (String family : FAMILIES) {
      out.put(family, new TreeMap<>());
    }
    agent.state(w).forEach((family, entries) ->
        entries.forEach((key, doc) -> out.computeIfAbsent(family, x -> new TreeMap<>()).put(key, doc.get("v").asText())));
    return out;
  }
}
