package io.snapshotkit.fs.internal.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.fs.internal.store.LocalObjectStore;
import io.snapshotkit.fs.store.ObjectStore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lease objects of {@link SharedLeases} on a real local store. */
class SharedLeasesTest {
  @TempDir Path dir;

  @Test
  @DisplayName("a lease closed while its renewal is writing leaves no lease object behind (it would block other "
      + "hosts' gc for a lease time)")
  void closingDuringARenewalLeavesNoLeaseObject() throws Exception {
    CountDownLatch renewing = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean blockNextLease = new AtomicBoolean();
    ObjectStore objects = new HoldingLeaseWrites(new LocalObjectStore(dir.resolve("store")), blockNextLease,
        renewing, release);
    try (SharedLeases leases = new SharedLeases(objects, "h", Duration.ofMillis(300), Clock.systemUTC())) {
      SharedLeases.Lease lease = leases.capture();
      blockNextLease.set(true);
      assertTrue(renewing.await(30, TimeUnit.SECONDS), "the renewal started");
      Thread closer = new Thread(lease::close);
      closer.start();
      closer.join(200); // the close runs (or waits) while the renewal's write is held
      release.countDown();
      closer.join(30_000);
      Thread.sleep(250); // a renewal still running would finish within this
      assertEquals(List.of(), objects.list(SharedLeases.PREFIX));
    }
  }

  /** Holds the next lease write, once armed, until released. */
  private static final class HoldingLeaseWrites extends ForwardingObjectStore {
    private final ObjectStore inner;
    private final AtomicBoolean armed;
    private final CountDownLatch entered;
    private final CountDownLatch release;

    HoldingLeaseWrites(ObjectStore inner, AtomicBoolean armed, CountDownLatch entered, CountDownLatch release) {
      super(inner);
      this.inner = inner;
      this.armed = armed;
      this.entered = entered;
      this.release = release;
    }

    @Override
    public boolean putIfAbsent(String name, byte[] data) throws IOException {
      if (name.startsWith(SharedLeases.PREFIX) && armed.getAndSet(false)) {
        entered.countDown();
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return inner.putIfAbsent(name, data);
    }
  }
}
