package io.snapshotkit.jdbc;

import io.snapshotkit.spi.ManifestStore;
import io.snapshotkit.testkit.ManifestStoreContract;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;

/** The store contract on an in-memory H2 database, a fresh one per test. */
@DisplayName("JdbcManifestStore on H2")
class H2ManifestStoreIT extends ManifestStoreContract {
  private static final AtomicInteger DATABASES = new AtomicInteger();

  @Override
  protected ManifestStore newStore() {
    return JdbcManifestStore.h2("jdbc:h2:mem:contract" + DATABASES.incrementAndGet() + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000");
  }
}
