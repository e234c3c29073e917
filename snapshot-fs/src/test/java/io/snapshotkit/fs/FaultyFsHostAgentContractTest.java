package io.snapshotkit.fs;

import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.testkit.FaultyHostAgent;
import org.junit.jupiter.api.BeforeEach;

/**
 * FsHostAgent wrapped in the testkit's FaultyHostAgent, with nothing scripted, still passes the
 * HostAgentContract: the decorator changes nothing until a fault is scripted.
 */
class FaultyFsHostAgentContractTest extends FsHostAgentContractTest {
  private FaultyHostAgent wrapped;

  @BeforeEach
  void wrap() {
    wrapped = FaultyHostAgent.wrap("local", super.agent());
  }

  @Override
  protected HostAgent agent() {
    return wrapped;
  }
}
