package io.snapshotkit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.testkit.FakeHostDirectory;
import io.snapshotkit.testkit.InMemoryManifestStore;
import io.snapshotkit.testkit.MutableClock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The engine's default randomness")
class LazySecureRandomTest {
  @Test
  @DisplayName("an engine built without random() seeds no SecureRandom until it makes an id (a cold `list` "
      + "would pay 25-45 ms for it)")
  void theDefaultIsMadeOnFirstUse() {
    SnapshotEngine engine = SnapshotEngine.builder().manifestStore(new InMemoryManifestStore())
        .hosts(new FakeHostDirectory()).lifecycle(Lifecycle.none()).clock(MutableClock.epoch())
        .executor(Runnable::run).build();
    LazySecureRandom random = assertInstanceOf(LazySecureRandom.class, engine.settings().random());
    assertFalse(random.made(), "nothing drew from it yet");
    random.nextLong();
    assertTrue(random.made());
  }

  @Test
  @DisplayName("threads that draw at once make one generator, and every draw goes to it")
  void oneGeneratorForConcurrentFirstDraws() throws Exception {
    AtomicInteger made = new AtomicInteger();
    AtomicLong drawn = new AtomicLong();
    CountDownLatch inFactory = new CountDownLatch(1);
    LazySecureRandom random = new LazySecureRandom(() -> {
      made.incrementAndGet();
      try {
        inFactory.await(200, TimeUnit.MILLISECONDS); // let the other threads arrive meanwhile
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      // Thread-safe, unlike SplittableRandom (two threads drawing from one at once can both read
      // the same seed): the n-th draw made of it is n, so a lost or foreign draw shows.
      RandomGenerator counting = drawn::incrementAndGet;
      return counting;
    });
    ExecutorService pool = Executors.newFixedThreadPool(4);
    Set<Long> draws = new TreeSet<>();
    try {
      List<Future<Long>> futures = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        futures.add(pool.submit(() -> random.nextLong()));
      }
      for (Future<Long> f : futures) {
        draws.add(f.get(10, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(1, made.get());
    assertEquals(Set.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L), draws, "each draw is the delegate's own");
    assertEquals(9L, random.nextLong(), "the next draw too");
  }
}
