package io.snapshotkit.testkit;

import io.snapshotkit.spi.ManifestStore;

/** The in-memory store passes the store contract. */
class InMemoryManifestStoreTest extends ManifestStoreContract {
  @Override
  protected ManifestStore newStore() {
    return new InMemoryManifestStore();
  }
}
