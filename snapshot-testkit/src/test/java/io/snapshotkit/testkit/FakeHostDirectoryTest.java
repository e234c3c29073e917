package io.snapshotkit.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.HostInfo;
import io.snapshotkit.spi.HostStatus;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class FakeHostDirectoryTest {
  private static final WorkloadRef W = WorkloadRef.of("acme", "w1");

  @Test
  @DisplayName("withHosts creates h1..hN online, in order, each with its own agent")
  void withHosts() {
    FakeHostDirectory d = FakeHostDirectory.withHosts(3);
    assertEquals(List.of(HostInfo.online("h1"), HostInfo.online("h2"), HostInfo.online("h3")), d.hosts());
    assertSame(d.agentFor("h2"), d.agent("h2"));
    assertEquals("h3", d.agentFor("h3").hostId());
    assertThrows(IllegalArgumentException.class, () -> FakeHostDirectory.withHosts(0));
  }

  @Test
  @DisplayName("status changes show in hosts(); an unreachable or unknown host's agent() is HOST_UNAVAILABLE")
  void statusAndReachability() {
    FakeHostDirectory d = FakeHostDirectory.withHosts(2);
    d.setStatus("h2", HostStatus.DRAINING);
    assertEquals(List.of(HostInfo.online("h1"), new HostInfo("h2", HostStatus.DRAINING)), d.hosts());
    d.unreachable("h1", true);
    assertEquals(ErrorCode.HOST_UNAVAILABLE, assertThrows(SnapshotException.class, () -> d.agent("h1")).code());
    d.unreachable("h1", false);
    assertSame(d.agentFor("h1"), d.agent("h1"));
    assertEquals(ErrorCode.HOST_UNAVAILABLE, assertThrows(SnapshotException.class, () -> d.agent("h9")).code());
    assertThrows(IllegalArgumentException.class, () -> d.setStatus("h9", HostStatus.OFFLINE));
  }

  @Test
  @DisplayName("place and removeWorkload drive hostOf; duplicate hosts are refused")
  void placement() {
    FakeHostDirectory d = new FakeHostDirectory().addHost(new FakeHostAgent("a")).addHost(new FakeHostAgent("b"));
    assertEquals(Optional.empty(), d.hostOf(W));
    d.place(W, "b");
    assertEquals(Optional.of("b"), d.hostOf(W));
    d.removeWorkload(W);
    assertEquals(Optional.empty(), d.hostOf(W));
    assertThrows(IllegalArgumentException.class, () -> d.place(W, "zzz"));
    assertThrows(IllegalArgumentException.class, () -> d.addHost(new FakeHostAgent("a")));
  }
}
