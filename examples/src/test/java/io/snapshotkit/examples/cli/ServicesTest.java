package io.snapshotkit.examples.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How {@link Services} sets up the engine's threads. */
class ServicesTest {
  @TempDir Path tmp;

  @Test
  void controlPlaneWaitsOnManyHostsAtOnce() throws Exception {
    int hosts = 16;
    try (Services cp = Services.openRegistry(tmp.resolve("registry.db").toString(), Clock.systemUTC(),
        Duration.ofSeconds(5), "token", Optional.empty(), Duration.ofSeconds(3), Optional.empty())) {
      // Each task stands for a call to one host's agent: it waits until every host has been called.
      CountDownLatch called = new CountDownLatch(hosts);
      CountDownLatch release = new CountDownLatch(1);
      for (int i = 0; i < hosts; i++) {
        cp.threads().execute(() -> {
          called.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
      }
      boolean all = called.await(10, TimeUnit.SECONDS);
      long inFlight = hosts - called.getCount();
      release.countDown();
      assertTrue(all, "only " + inFlight + " of " + hosts
          + " host calls were in flight at once: a fan-out would go in batches");
    }
  }
}
