package io.snapshotkit.jdbc;

import io.snapshotkit.spi.ManifestStore;
import io.snapshotkit.testkit.ManifestStoreContract;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on a real SQLite database file, a fresh one per test. */
@DisplayName("JdbcManifestStore on SQLite")
class SqliteManifestStoreIT extends ManifestStoreContract {
  @TempDir
  Path dir;

  @Override
  protected ManifestStore newStore() {
    return JdbcManifestStore.sqlite(dir.resolve("snapshots.db"));
  }
}
