/**
 * An adapter's tests on the module path, compiled and run by ModulePathIT: one class extends a
 * testkit contract, one runs it with the JUnit Platform launcher.
 */
module snapshotkit.contract {
  requires io.snapshotkit.testkit;
  requires org.junit.platform.launcher;

  // JUnit instantiates this module's test class reflectively, as it does the testkit's @Nested groups.
  opens io.snapshotkit.contract to org.junit.platform.commons;
}
