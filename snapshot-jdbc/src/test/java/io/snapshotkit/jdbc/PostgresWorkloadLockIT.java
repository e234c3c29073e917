package io.snapshotkit.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.jdbc.testing.PostgresServer;
import io.snapshotkit.spi.WorkloadLease;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The advisory-lock WorkloadLock, with two "engine instances" that each have their own pool. */
@DisplayName("PostgresWorkloadLock")
class PostgresWorkloadLockIT {
  private static final WorkloadRef W1 = WorkloadRef.of("acme", "w1");
  private static final WorkloadRef W2 = WorkloadRef.of("acme", "w2");
  private static final Duration SHORT = Duration.ofMillis(200);

  private HikariDataSource poolA;
  private HikariDataSource poolB;
  private PostgresWorkloadLock instanceA;
  private PostgresWorkloadLock instanceB;

  @BeforeEach
  void start() {
    String database = PostgresServer.newDatabase();
    poolA = PostgresServer.pool(database, 4);
    poolB = PostgresServer.pool(database, 4);
    instanceA = PostgresWorkloadLock.on(poolA);
    instanceB = PostgresWorkloadLock.on(poolB);
  }

  @AfterEach
  void stop() {
    poolA.close();
    poolB.close();
  }

  @Test
  @DisplayName("a workload held by one instance times out with CONFLICT in another; other workloads are free")
  void exclusiveAcrossInstances() {
    try (WorkloadLease held = instanceA.acquire(W1, SHORT)) {
      assertTrue(held.isHeld());
      assertEquals(W1, held.workload());
      SnapshotException e = assertThrows(SnapshotException.class, () -> instanceB.acquire(W1, SHORT));
      assertEquals(ErrorCode.CONFLICT, e.code());
      assertEquals(W1, e.workload().orElseThrow());
      assertTrue(e.getMessage().contains("retry when it finishes"), e.getMessage());
      try (WorkloadLease other = instanceB.acquire(W2, SHORT)) {
        assertTrue(other.isHeld());
      }
    }
    try (WorkloadLease after = instanceB.acquire(W1, SHORT)) {
      assertTrue(after.isHeld(), "closing the lease released the lock");
    }
  }

  @Test
  @DisplayName("the lock is not re-entrant: the same instance acquiring a held workload waits and times out")
  void notReentrant() {
    try (WorkloadLease held = instanceA.acquire(W1, SHORT)) {
      assertTrue(held.isHeld());
      SnapshotException e = assertThrows(SnapshotException.class, () -> instanceA.acquire(W1, SHORT));
      assertEquals(ErrorCode.CONFLICT, e.code());
    }
  }

  @Test
  @DisplayName("a waiter gets the lock as soon as the holder releases it")
  void waiterProceedsAfterRelease() throws Exception {
    WorkloadLease held = instanceA.acquire(W1, SHORT);
    ExecutorService waiter = Executors.newSingleThreadExecutor();
    try {
      CountDownLatch waiting = new CountDownLatch(1);
      Future<Boolean> acquired = waiter.submit(() -> {
        waiting.countDown();
        try (WorkloadLease lease = instanceB.acquire(W1, Duration.ofSeconds(30))) {
          return lease.isHeld();
        }
      });
      assertTrue(waiting.await(10, TimeUnit.SECONDS));
      assertFalse(acquired.isDone() && acquired.get(), "the waiter cannot hold it while A does");
      held.close();
      assertTrue(acquired.get(30, TimeUnit.SECONDS));
    } finally {
      held.close();
      waiter.shutdownNow();
    }
  }

  @Test
  @DisplayName("an interrupt while waiting is CONFLICT with the interrupt flag set again")
  void interruptWhileWaiting() {
    try (WorkloadLease held = instanceA.acquire(W1, SHORT)) {
      assertTrue(held.isHeld());
      Thread.currentThread().interrupt();
      try {
        SnapshotException e = assertThrows(SnapshotException.class, () -> instanceB.acquire(W1, Duration.ofMinutes(5)));
        assertEquals(ErrorCode.CONFLICT, e.code());
        assertTrue(Thread.currentThread().isInterrupted());
      } finally {
        Thread.interrupted();
      }
    }
  }

  @Test
  @DisplayName("closing twice is harmless, and a closed lease is no longer held")
  void closeTwice() {
    WorkloadLease lease = instanceA.acquire(W1, SHORT);
    lease.close();
    lease.close();
    assertFalse(lease.isHeld());
    try (WorkloadLease again = instanceA.acquire(W1, SHORT)) {
      assertTrue(again.isHeld());
    }
  }

  @Test
  @DisplayName("when the holder's connection dies the lease reports it lost and the database frees the workload")
  void connectionLossFreesTheWorkload() {
    try (WorkloadLease held = instanceA.acquire(W1, SHORT)) {
      int terminated = Database.of(poolB).withHandle(h -> h.createQuery(
              "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND granted")
          .mapTo(Integer.class).one());
      assertEquals(1, terminated);
      assertFalse(held.isHeld());
      try (WorkloadLease taken = instanceB.acquire(W1, Duration.ofSeconds(10))) {
        assertTrue(taken.isHeld());
      }
    }
  }

  @Test
  @DisplayName("an unreachable database is HOST_UNAVAILABLE and says to check the database")
  void unreachable() {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl("jdbc:postgresql://127.0.0.1:1/none");
    config.setUsername("postgres");
    config.setConnectionTimeout(250);
    config.setInitializationFailTimeout(-1);
    try (HikariDataSource dead = new HikariDataSource(config)) {
      SnapshotException e = assertThrows(SnapshotException.class,
          () -> PostgresWorkloadLock.on(dead).acquire(W1, SHORT));
      assertEquals(ErrorCode.HOST_UNAVAILABLE, e.code());
      assertTrue(e.getMessage().contains("check the database is reachable"), e.getMessage());
    }
  }

  @Test
  @DisplayName("lock keys are stable across releases and differ between tenants' workloads of the same id")
  void stableKeys() {
    // Pinned: changing the hash would let an old and a new instance lock one workload at once.
    // The value is 64-bit FNV-1a of "snapshotkit:acme/w1".
    assertEquals(0x3794dc205f1c3d1eL, PostgresWorkloadLock.lockKey(W1));
    List<Long> keys = List.of(
        PostgresWorkloadLock.lockKey(WorkloadRef.of("acme", "w1")),
        PostgresWorkloadLock.lockKey(WorkloadRef.of("globex", "w1")),
        PostgresWorkloadLock.lockKey(WorkloadRef.of("acme", "w2")));
    assertEquals(3, keys.stream().distinct().count());
    assertNotEquals(0L, keys.get(0));
  }
}
