package io.snapshotkit.core.readme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.EventType;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.TenantId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.DispatcherSettings;
import io.snapshotkit.core.SnapshotEngine;
import io.snapshotkit.core.Slf4jAuditHook;
import io.snapshotkit.spi.EventHook;
import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.spi.ParkedEvent;
import io.snapshotkit.spi.StartPosition;
import io.snapshotkit.testkit.FakeHostDirectory;
import io.snapshotkit.testkit.InMemoryManifestStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Keeps snapshot-core/README.md's events example honest: the code between the markers is run
 * here, and the README must contain exactly that code.
 */
class CoreReadmeEventsTest {

  @Test
  @DisplayName("the core README's events example runs: hooks registered, events delivered by pollEvents, parked ones replayed")
  void eventsExampleRuns() {
    ExecutorService executor = Executors.newFixedThreadPool(2);
    InMemoryManifestStore store = new InMemoryManifestStore();
    FakeHostDirectory hosts = FakeHostDirectory.withHosts(1);
    WorkloadRef workspace = WorkloadRef.of(TenantId.of("acme"), "workspace-1");
    hosts.place(workspace, "h1");
    hosts.agentFor("h1").createWorkload(workspace);
    try {
      // EVENTS:begin
      List<SnapshotEvent> billed = new CopyOnWriteArrayList<>();
      EventHook billing = event -> {
        if (event.type() == EventType.CREATED) {
          billed.add(event); // at-least-once: a real hook upserts keyed by event.id()
        }
      };
      try (SnapshotEngine engine = SnapshotEngine.builder()
          .manifestStore(store)
          .hosts(hosts)
          .lifecycle(Lifecycle.none())
          .clock(Clock.systemUTC())
          .executor(executor)
          .eventHook("audit", new Slf4jAuditHook())                 // every retained event
          .eventHook("billing", billing, StartPosition.NOW)         // only events from now on
          .manualEventDispatch(Runnable::run, DispatcherSettings.defaults().withMaxAttempts(5))
          .build()) {
        Snapshot snapshot = engine.capture(CaptureSpec.of(workspace));
        while (engine.pollEvents() > 0) {
          // deliver everything that is due, e.g. before a command-line tool exits
        }
        for (ParkedEvent parked : engine.parkedEvents("billing")) {
          engine.replayEvent("billing", parked.sequence()); // once billing is fixed
        }
        // EVENTS:end
        assertEquals(1, billed.size());
        assertEquals(snapshot.id(), billed.get(0).snapshotId().orElseThrow());
        assertEquals(0, engine.pollEvents(), "everything was delivered and acknowledged");
      }
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  @DisplayName("snapshot-core/README.md shows exactly the events example this test runs")
  void readmeShowsTheTestedExample() throws IOException {
    Path readme = Path.of("README.md");
    assertTrue(Files.isRegularFile(readme), "expected the module README at " + readme.toAbsolutePath());
    String text = Files.readString(readme, StandardCharsets.UTF_8);
    String source = Files.readString(
        Path.of("src/test/java/io/snapshotkit/core/readme/CoreReadmeEventsTest.java"), StandardCharsets.UTF_8);
    int from = source.indexOf("// EVENTS:begin");
    int to = source.indexOf("// EVENTS:end");
    assertTrue(from >= 0 && to > from, "markers not found");
    String example = source.substring(source.indexOf('\n', from) + 1, source.lastIndexOf('\n', to));
    assertTrue(normalize(text).contains(normalize(example)),
        "README.md's events example differs from the code run by CoreReadmeEventsTest; copy it from there:\n"
            + example);
  }

  /** Drops each line's leading indentation and blank lines, so the README may indent differently. */
  private static String normalize(String code) {
    return Arrays.stream(code.split("\n")).map(String::strip).filter(l -> !l.isEmpty())
        .collect(Collectors.joining("\n"));
  }
}
