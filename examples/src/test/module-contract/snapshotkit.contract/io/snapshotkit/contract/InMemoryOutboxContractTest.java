package io.snapshotkit.contract;

import io.snapshotkit.spi.ManifestStore;
import io.snapshotkit.testkit.EventOutboxContract;
import io.snapshotkit.testkit.InMemoryManifestStore;

/** The testkit's outbox contract, run against its in-memory store, from another module. */
public class InMemoryOutboxContractTest extends EventOutboxContract {
  /** Creates the test; JUnit calls it. */
  public InMemoryOutboxContractTest() {}

  @Override
  protected ManifestStore newStore() {
    return new InMemoryManifestStore();
  }
}
