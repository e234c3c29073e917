package io.snapshotkit.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Excludes;
import io.snapshotkit.ProgressEvent;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.ForkOptions;
import io.snapshotkit.core.RestoreSpec;
import io.snapshotkit.core.SnapshotEngine;
import io.snapshotkit.spi.HostDirectory;
import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.testkit.InMemoryManifestStore;
import io.snapshotkit.testkit.RawTree;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Forks through the real engine onto the directory agent: shared content, materialised children, failures. */
class FsForkTest {
  private static final WorkloadRef W = WorkloadRef.of("acme", "golden");
  private static final long MIB = 1 << 20;
  @TempDir Path dir;
  private final ExecutorService pool = Executors.newFixedThreadPool(10);
  private final InMemoryManifestStore store = new InMemoryManifestStore();
  private FsHostAgent agent;
  private SnapshotEngine engine;
  private Path data;

  private void start(FsHostAgent.Builder builder) {
    agent = builder.repository(dir.resolve("repo")).executor(pool).build();
    engine = SnapshotEngine.builder().manifestStore(store).hosts(HostDirectory.single(agent))
        .lifecycle(Lifecycle.none()).clock(Clock.systemUTC()).executor(pool).random(new SplittableRandom(7)).build();
    data = dir.resolve("live/data");
    byte[] big = new byte[(int) (4 * MIB)];
    new SplittableRandom(3).nextBytes(big);
    Trees.write(data.resolve("disk.img"), big);
    for (int i = 0; i < 50; i++) {
      Trees.write(data.resolve("etc/conf-" + i), "setting " + i);
    }
    agent.track(W, Map.of("data", data));
  }

  @AfterEach
  void stop() {
    if (engine != null) {
      engine.close();
    }
    if (agent != null) {
      agent.close();
    }
    pool.shutdownNow();
  }

  private static long bytesUnder(Path root) {
    try (Stream<Path> walk = Files.walk(root)) {
      return walk.filter(Files::isRegularFile).mapToLong(p -> {
        try {
          return Files.size(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }).sum();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  @DisplayName("10 concurrent forks of one snapshot are byte-identical to it, and each adds at most 1 MiB to the repository")
  void tenConcurrentForksAreIdenticalAndShareContent() throws Exception {
    start(FsHostAgent.builder());
    Snapshot source = engine.capture(CaptureSpec.of(W));
    TreeMap<String, String> captured = RawTree.read(data);
    Trees.write(data.resolve("etc/conf-0"), "changed after the snapshot");
    long before = bytesUnder(dir.resolve("repo"));

    CountDownLatch go = new CountDownLatch(1);
    List<Future<Snapshot>> forks = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      WorkloadRef child = WorkloadRef.of("acme", "child-" + i);
      String target = dir.resolve("forks/child-" + i).toString();
      forks.add(pool.submit(() -> {
        go.await();
        return engine.fork(W.tenant(), source.id(), child, ForkOptions.defaults().target(target));
      }));
    }
    go.countDown();
    List<Snapshot> children = new ArrayList<>();
    for (Future<Snapshot> f : forks) {
      children.add(f.get());
    }
    long grown = bytesUnder(dir.resolve("repo")) - before;

    for (int i = 0; i < 10; i++) {
      Snapshot child = children.get(i);
      assertEquals(1, child.version());
      assertEquals(SnapshotStatus.READY, child.status());
      assertEquals(captured, RawTree.read(dir.resolve("forks/child-" + i + "/data")), "child-" + i + " is byte-identical");
      assertEquals(agent.manifest(W, source.id()).orElseThrow().families(),
          agent.manifest(child.workload(), child.id()).orElseThrow().families(), "the same trees");
      assertTrue(child.sizeBytes().getAsLong() < 4096, "a fork stores only its root file: " + child.sizeBytes());
      assertEquals(Optional.of(Map.of("data", dir.resolve("forks/child-" + i + "/data"))),
          agent.volumes(child.workload()), "the child is tracked where it was materialised");
    }
    System.out.printf("10 concurrent forks of a %d-byte snapshot added %d bytes to the repository (%d per fork)%n",
        source.sizeBytes().getAsLong(), grown, grown / 10);
    assertTrue(grown <= 10 * MIB, "10 forks added " + grown + " bytes");
    assertTrue(grown / 10 <= MIB, "each fork added " + grown / 10 + " bytes on average");
    assertTrue(agent.check(false).ok(), agent.check(false).toString());
  }

  @Test
  @DisplayName("a fork into a directory reports its phases and bytes to a listener, ending at the snapshot's size")
  void forkIntoADirectoryReportsProgress() {
    start(FsHostAgent.builder());
    Snapshot source = engine.capture(CaptureSpec.of(W));
    List<ProgressEvent> events = new CopyOnWriteArrayList<>();
    engine.fork(W.tenant(), source.id(), WorkloadRef.of("acme", "watched-child"),
        ForkOptions.defaults().target(dir.resolve("watched").toString()), events::add);
    assertTrue(events.stream().allMatch(e -> e.operation() == ProgressEvent.Operation.FORK), events.toString());
    assertEquals(List.of("admit", "root", "plan", "stage", "swap", "prepare", "store"),
        events.stream().map(ProgressEvent::phase).distinct().toList(), events.toString());
    ProgressEvent last = events.get(events.size() - 1);
    assertTrue(last.finished(), last.toString());
    assertTrue(last.bytesDone() >= 4 * MIB, last.toString());
    assertEquals(last.bytesTotal().orElseThrow(), last.bytesDone(), last.toString());
  }

  @Test
  @DisplayName("a child forked into a directory keeps the source's exclude patterns for its own captures")
  void materialisedChildKeepsTheSourcesExcludes() throws IOException {
    start(FsHostAgent.builder());
    Trees.write(data.resolve("cache/blob"), "left out");
    agent.track(W, Map.of("data", data), Excludes.of(List.of("cache/")));
    Snapshot source = engine.capture(CaptureSpec.of(W));
    WorkloadRef child = WorkloadRef.of("acme", "excluding-child");
    Path target = dir.resolve("child");
    engine.fork(W.tenant(), source.id(), child, ForkOptions.defaults().target(target.toString()));
    assertEquals(List.of("cache/"), agent.excludes(child).patterns());
    assertFalse(Files.exists(target.resolve("data/cache")), "the snapshot never held the excluded directory");
    Trees.write(target.resolve("data/cache/new"), "the child's own cache");
    Snapshot next = engine.capture(CaptureSpec.of(child));
    engine.restore(W.tenant(), next.id(), RestoreSpec.replace().target(dir.resolve("check").toString()));
    assertFalse(Files.exists(dir.resolve("check/data/cache")), "the child's capture left its cache out");
    assertTrue(Files.exists(dir.resolve("check/data/disk.img")));
  }

  @Test
  @DisplayName("a metadata-only fork outlives its source through delete and gc, and restores byte-identical elsewhere")
  void forkOutlivesSourceDeleteAndGc() {
    start(FsHostAgent.builder());
    Snapshot source = engine.capture(CaptureSpec.of(W));
    TreeMap<String, String> captured = RawTree.read(data);
    WorkloadRef child = WorkloadRef.of("acme", "template-child");
    Snapshot forked = engine.fork(W.tenant(), source.id(), child, ForkOptions.defaults());
    assertEquals(Optional.empty(), agent.volumes(child), "without a target only the snapshot is stored");
    engine.delete(W.tenant(), source.id());
    agent.gc();
    assertTrue(agent.check(false).ok(), agent.check(false).toString());
    engine.restore(W.tenant(), forked.id(), RestoreSpec.replace().target(dir.resolve("elsewhere").toString()));
    assertEquals(captured, RawTree.read(dir.resolve("elsewhere/data")));
  }

  @Test
  @DisplayName("a fork whose materialising restore fails at each step leaves no child: FAILED row, target rolled back, "
      + "no root file, not tracked; a retry into the same target completes")
  void failureAtEachRestoreStepLeavesNoChild() {
    AtomicBoolean armed = new AtomicBoolean();
    RestoreStep[] failAt = new RestoreStep[1];
    start(FsHostAgent.builder().restoreListener((step, swapped) -> {
      if (step == failAt[0] && armed.getAndSet(false)) {
        throw new IllegalStateException("power cut at " + step);
      }
    }));
    Snapshot source = engine.capture(CaptureSpec.of(W));
    TreeMap<String, String> captured = RawTree.read(data);
    int n = 0;
    for (RestoreStep step : new RestoreStep[] {RestoreStep.STAGED, RestoreStep.JOURNALED, RestoreStep.VOLUME_SWAPPED}) {
      WorkloadRef child = WorkloadRef.of("acme", "child-" + (++n));
      Path target = dir.resolve("forks/child-" + n);
      failAt[0] = step;
      armed.set(true);
      SnapshotException e = assertThrows(SnapshotException.class,
          () -> engine.fork(W.tenant(), source.id(), child, ForkOptions.defaults().target(target.toString())));
      assertTrue(e.getMessage().contains("power cut"), step + ": " + e.getMessage());
      assertEquals(List.of(), engine.versions(child), step.toString());
      assertEquals(List.of(), agent.snapshots(child), step + ": the child's root file is removed");
      assertEquals(Optional.empty(), agent.volumes(child), step + ": the child is not tracked");
      assertEquals(Map.of(), RawTree.read(target.resolve("data")), step + ": nothing half-written in the target");
      Snapshot retried = engine.fork(W.tenant(), source.id(), child, ForkOptions.defaults().target(target.toString()));
      assertEquals(1, retried.version());
      assertEquals(captured, RawTree.read(target.resolve("data")), step.toString());
    }
  }

  @Test
  @DisplayName("a fork never overwrites: a non-empty target, or one overlapping another workload's volume, is CONFLICT")
  void forkRefusesOccupiedTargets() {
    start(FsHostAgent.builder());
    Snapshot source = engine.capture(CaptureSpec.of(W));
    Path occupied = dir.resolve("occupied");
    Trees.write(occupied.resolve("precious.txt"), "keep me");
    WorkloadRef child = WorkloadRef.of("acme", "child");
    SnapshotException notEmpty = assertThrows(SnapshotException.class,
        () -> engine.fork(W.tenant(), source.id(), child, ForkOptions.defaults().target(occupied.toString())));
    assertEquals(ErrorCode.CONFLICT, notEmpty.code(), notEmpty.getMessage());
    assertTrue(Files.exists(occupied.resolve("precious.txt")), "the occupied target is left alone");
    SnapshotException overlap = assertThrows(SnapshotException.class, () -> engine.fork(W.tenant(), source.id(), child,
        ForkOptions.defaults().target(dir.resolve("live").toString())));
    assertEquals(ErrorCode.CONFLICT, overlap.code(), overlap.getMessage());
    assertEquals(List.of(), engine.versions(child));
    assertEquals(List.of(), agent.snapshots(child));
    assertFalse(Files.exists(dir.resolve("live/data/data")));
  }
}
