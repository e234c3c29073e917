package io.snapshotkit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.Plan;
import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.spi.QuiescePolicy;
import io.snapshotkit.testkit.FakeHostDirectory;
import io.snapshotkit.testkit.InMemoryManifestStore;
import io.snapshotkit.testkit.MutableClock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Engine builder")
class EngineBuilderTest {
  private static final Executor DIRECT = Runnable::run;

  @Test
  @DisplayName("build() names every missing required setting at once")
  void missingSettingsAllReported() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> SnapshotEngine.builder().build());
    for (String setting : new String[] {"manifestStore", "hosts", "lifecycle", "clock", "executor"}) {
      assertTrue(e.getMessage().contains(setting), setting + " missing from: " + e.getMessage());
    }
    IllegalStateException some = assertThrows(IllegalStateException.class,
        () -> SnapshotEngine.builder().manifestStore(new InMemoryManifestStore()).clock(MutableClock.epoch()).build());
    assertTrue(some.getMessage().contains("hosts") && some.getMessage().contains("executor"), some.getMessage());
    assertTrue(!some.getMessage().contains("manifestStore") && !some.getMessage().contains("clock"), some.getMessage());
  }

  @Test
  @DisplayName("a setting set twice throws IllegalStateException naming the old value")
  void doubleSetNamesOldValue() {
    SnapshotEngine.Builder b = SnapshotEngine.builder().hostTimeout(Duration.ofSeconds(7)).quiescePolicy(QuiescePolicy.STOP);
    IllegalStateException timeout = assertThrows(IllegalStateException.class, () -> b.hostTimeout(Duration.ofSeconds(9)));
    assertEquals("hostTimeout was already set to PT7S", timeout.getMessage());
    IllegalStateException policy = assertThrows(IllegalStateException.class, () -> b.quiescePolicy(QuiescePolicy.PAUSE));
    assertTrue(policy.getMessage().contains("STOP"), policy.getMessage());
    IllegalStateException hook = assertThrows(IllegalStateException.class,
        () -> b.eventHook("audit", e -> { }).eventHook("audit", e -> { }));
    assertTrue(hook.getMessage().contains("'audit' was already registered"), hook.getMessage());
  }

  @Test
  @DisplayName("bad values are refused at once with IllegalArgumentException")
  void badValues() {
    SnapshotEngine.Builder b = SnapshotEngine.builder();
    assertThrows(IllegalArgumentException.class, () -> b.inlineManifestLimit(-1));
    assertThrows(IllegalArgumentException.class, () -> b.hostTimeout(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> b.lockTimeout(Duration.ofSeconds(-1)));
    assertThrows(IllegalArgumentException.class, () -> b.stuckCaptureAfter(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> b.eventHook(" ", e -> { }));
    assertThrows(NullPointerException.class, () -> b.manifestStore(null));
  }

  @Test
  @DisplayName("defaults are frozen into the settings, and a builder builds exactly one engine")
  void defaultsAndSingleUse() {
    SnapshotEngine.Builder b = SnapshotEngine.builder()
        .manifestStore(new InMemoryManifestStore())
        .hosts(FakeHostDirectory.withHosts(1))
        .lifecycle(Lifecycle.none())
        .clock(MutableClock.epoch())
        .executor(DIRECT);
    try (SnapshotEngine engine = b.build()) {
      EngineSettings s = engine.settings();
      assertEquals(EngineSettings.DEFAULT_INLINE_MANIFEST_LIMIT, s.inlineManifestLimit());
      assertEquals(EngineSettings.DEFAULT_HOST_TIMEOUT, s.hostTimeout());
      assertEquals(EngineSettings.DEFAULT_LOCK_TIMEOUT, s.lockTimeout());
      assertEquals(EngineSettings.DEFAULT_STUCK_CAPTURE_AFTER, s.stuckCaptureAfter());
      assertEquals(QuiescePolicy.PAUSE, s.quiescePolicy());
      assertEquals(Optional.empty(), s.blobStore());
      assertEquals(Plan.UNLIMITED, s.plans().planFor(io.snapshotkit.TenantId.of("anyone")));
      assertTrue(s.hooks().isEmpty());
    }
    IllegalStateException again = assertThrows(IllegalStateException.class, b::build);
    assertTrue(again.getMessage().contains("already built"), again.getMessage());
    assertThrows(IllegalStateException.class, () -> b.lockTimeout(Duration.ofSeconds(1)));
  }
}
