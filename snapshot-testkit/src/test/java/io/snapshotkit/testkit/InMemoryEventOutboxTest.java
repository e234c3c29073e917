package io.snapshotkit.testkit;

import io.snapshotkit.spi.ManifestStore;

/** The in-memory store's outbox passes the outbox contract. */
class InMemoryEventOutboxTest extends EventOutboxContract {
  @Override
  protected ManifestStore newStore() {
    return new InMemoryManifestStore();
  }
}
