package io.snapshotkit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.testkit.FakeHostDirectory;
import io.snapshotkit.testkit.InMemoryManifestStore;
import io.snapshotkit.testkit.MutableClock;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
    CountDownLatch inFactory = new CountDownLatch(1);
    LazySecureRandom random = new LazySecureRandom(() -> {
      made.incrementAndGet();
      try {
        inFactory.await(200, TimeUnit.MILLISECONDS); // let the other threads arrive meanwhile
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return new SplittableRandom(7);
    });
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      Future<?>[] draws = new Future<?>[8];
      for (int i = 0; i < draws.length; i++) {
        draws[i] = pool.submit(() -> random.nextLong());
      }
      for (Future<?> f : draws) {
        f.get(10, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(1, made.get());
    RandomGenerator expected = new SplittableRandom(7);
    for (int i = 0; i < 8; i++) {
      expected.nextLong();
    }
    byte[] a = new byte[13];
    byte[] b = new byte[13];
    random.nextBytes(a);
    expected.nextBytes(b);
    assertEquals(java.util.Arrays.toString(b), java.util.Arrays.toString(a), "draws are the delegate's own");
  }
}
