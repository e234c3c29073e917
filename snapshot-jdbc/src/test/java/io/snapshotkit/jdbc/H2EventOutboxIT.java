package io.snapshotkit.jdbc;

import io.snapshotkit.spi.ManifestStore;
import io.snapshotkit.testkit.EventOutboxContract;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;

/** The outbox contract on an in-memory H2 database, a fresh one per test. */
@DisplayName("JdbcOutbox on H2")
class H2EventOutboxIT extends EventOutboxContract {
  private static final AtomicInteger DATABASES = new AtomicInteger();

  @Override
  protected ManifestStore newStore() {
    return JdbcManifestStore.h2("jdbc:h2:mem:outbox" + DATABASES.incrementAndGet() + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000");
  }
}
