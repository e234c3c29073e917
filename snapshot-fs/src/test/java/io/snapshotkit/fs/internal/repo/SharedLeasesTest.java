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
import java.util.Optional;
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

  @Test
  @DisplayName("a lease whose delete failed (the store was down when its capture ended) does not block this "
      + "agent's own gc, and that gc deletes it")
  void aLeaseLeftByAFailedDeleteIsNotAnotherAgentsWork() throws Exception {
    AtomicBoolean failDeletes = new AtomicBoolean();
    ObjectStore objects = new FailingLeaseDeletes(new LocalObjectStore(dir.resolve("store")), failDeletes);
    try (SharedLeases leases = new SharedLeases(objects, "h", Duration.ofMinutes(10), Clock.systemUTC());
        SharedLeases otherHost = new SharedLeases(objects, "other", Duration.ofMinutes(10), Clock.systemUTC())) {
      SharedLeases.Lease capture = leases.capture();
      failDeletes.set(true);
      capture.close(); // the store is unreachable: the lease object stays, live for ten minutes
      failDeletes.set(false);
      assertEquals(1, objects.list(SharedLeases.PREFIX).size());

      assertTrue(otherHost.exclusive().isEmpty(), "to another host the leftover is a capture that may still run");
      Optional<SharedLeases.Lease> gc = leases.exclusive();
      assertTrue(gc.isPresent(), "the agent whose capture ended may collect");
      gc.get().close();
      assertEquals(List.of(), objects.list(SharedLeases.PREFIX), "its gc deleted the leftover lease");
      Optional<SharedLeases.Lease> next = otherHost.exclusive();
      assertTrue(next.isPresent(), "then other hosts may collect too");
      next.get().close();
    }
  }

  /** Fails every delete of a lease object while armed, as an unreachable store does. */
  private static final class FailingLeaseDeletes extends ForwardingObjectStore {
    private final AtomicBoolean armed;

    FailingLeaseDeletes(ObjectStore inner, AtomicBoolean armed) {
      super(inner);
      this.armed = armed;
    }

    @Override
    public boolean delete(String name) throws IOException {
      if (name.startsWith(SharedLeases.PREFIX) && armed.get()) {
        throw new java.net.ConnectException("Connection refused");
      }
      return super.delete(name);
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
    public void putUnique(String name, byte[] data) throws IOException {
      if (name.startsWith(SharedLeases.PREFIX) && armed.getAndSet(false)) {
        entered.countDown();
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      inner.putUnique(name, data);
    }
  }
}
