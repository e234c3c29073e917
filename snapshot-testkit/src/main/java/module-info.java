/**
 * Test support for SnapshotKit users and adapter authors: the in-memory store, fakes, fault
 * wrappers and the contract suites, all in {@code io.snapshotkit.testkit}.
 */
module io.snapshotkit.testkit {
  requires transitive io.snapshotkit.api;
  requires transitive org.junit.jupiter.api;

  exports io.snapshotkit.testkit;
  // The contract suites' @Nested groups and their test methods are package-private; JUnit
  // instantiates and invokes them reflectively when an adapter's test extends a contract.
  opens io.snapshotkit.testkit to org.junit.platform.commons;
}
