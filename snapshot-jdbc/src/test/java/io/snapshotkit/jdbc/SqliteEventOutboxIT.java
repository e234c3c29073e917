package io.snapshotkit.jdbc;

import io.snapshotkit.spi.ManifestStore;
import io.snapshotkit.testkit.EventOutboxContract;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;

/** The outbox contract on a real SQLite database file, a fresh one per test. */
@DisplayName("JdbcOutbox on SQLite")
class SqliteEventOutboxIT extends EventOutboxContract {
  @TempDir
  Path dir;

  private final List<JdbcManifestStore> opened = new ArrayList<>();

  @Override
  protected ManifestStore newStore() {
    JdbcManifestStore store = JdbcManifestStore.sqlite(dir.resolve("snapshots.db"));
    opened.add(store);
    return store;
  }

  /** Releases the connections each store keeps open, before the temporary directory is removed. */
  @AfterEach
  void closeStores() {
    opened.forEach(JdbcManifestStore::close);
  }
}
