package io.snapshotkit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.TenantId;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Usage gauge")
class UsageGaugeTest {
  private static final TenantId ACME = TenantId.of("acme");
  private static final TenantId GLOBEX = TenantId.of("globex");

  @Test
  @DisplayName("a sum is read once and cached until the tenant is invalidated; other tenants keep theirs")
  void cachesUntilInvalidated() {
    UsageGauge gauge = new UsageGauge();
    AtomicLong stored = new AtomicLong(10);
    AtomicInteger reads = new AtomicInteger();
    assertEquals(10, gauge.get(ACME, t -> count(reads, stored)));
    assertEquals(7, gauge.get(GLOBEX, t -> 7));
    stored.set(25);
    assertEquals(10, gauge.get(ACME, t -> count(reads, stored)), "cached");
    assertEquals(1, reads.get());

    gauge.invalidate(ACME);
    assertEquals(25, gauge.get(ACME, t -> count(reads, stored)));
    assertEquals(25, gauge.get(ACME, t -> count(reads, stored)));
    assertEquals(2, reads.get());
    assertEquals(7, gauge.get(GLOBEX, t -> { throw new AssertionError("globex was not invalidated"); }));
  }

  @Test
  @DisplayName("a failed read caches nothing and the next call reads again")
  void failedReadCachesNothing() {
    UsageGauge gauge = new UsageGauge();
    assertThrows(IllegalStateException.class, () -> gauge.get(ACME, t -> { throw new IllegalStateException("db down"); }));
    assertEquals(3, gauge.get(ACME, t -> 3));
  }

  @Test
  @DisplayName("a sum read before a write but returned after its invalidation is not cached")
  void staleReadRacingAnInvalidationIsNotCached() throws Exception {
    UsageGauge gauge = new UsageGauge();
    AtomicLong stored = new AtomicLong(100);
    CountDownLatch read = new CountDownLatch(1);
    CountDownLatch invalidated = new CountDownLatch(1);
    ExecutorService reader = Executors.newSingleThreadExecutor();
    try {
      CompletableFuture<Long> slow = CompletableFuture.supplyAsync(() -> gauge.get(ACME, t -> {
        long sum = stored.get();
        read.countDown();
        await(invalidated);
        return sum;
      }), reader);
      assertTrue(read.await(10, TimeUnit.SECONDS));
      stored.set(150);
      gauge.invalidate(ACME);
      invalidated.countDown();
      assertEquals(100, slow.get(10, TimeUnit.SECONDS), "the racing reader returns what it read");
      assertEquals(150, gauge.get(ACME, t -> stored.get()), "but did not cache it over the write");
    } finally {
      reader.shutdownNow();
    }
  }

  @Test
  @DisplayName("clear forgets every tenant")
  void clearForgets() {
    UsageGauge gauge = new UsageGauge();
    gauge.get(ACME, t -> 1);
    gauge.clear();
    assertEquals(2, gauge.get(ACME, t -> 2));
  }

  private static long count(AtomicInteger reads, AtomicLong stored) {
    reads.incrementAndGet();
    return stored.get();
  }

  private static void await(CountDownLatch latch) {
    try {
      assertTrue(latch.await(10, TimeUnit.SECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
