package io.snapshotkit.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.Plan;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.TenantId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.DispatcherSettings;
import io.snapshotkit.core.RestoreSpec;
import io.snapshotkit.core.SnapshotEngine;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.jdbc.JdbcManifestStore;
import io.snapshotkit.spi.HostDirectory;
import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.testkit.Fault;
import io.snapshotkit.testkit.FaultyHostAgent;
import io.snapshotkit.testkit.RecordingEventHook;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("SnapshotMetrics on a real engine (SQLite store, directory agent)")
class SnapshotMetricsTest {
  private static final TenantId ACME = TenantId.of("acme");
  private static final WorkloadRef W = WorkloadRef.of(ACME, "app");

  @TempDir Path dir;
  private ExecutorService pool;
  private FsHostAgent agent;
  private FaultyHostAgent host;
  private JdbcManifestStore store;
  private SnapshotEngine engine;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final RecordingEventHook billing = new RecordingEventHook();

  @BeforeEach
  void start() throws IOException {
    pool = Executors.newFixedThreadPool(2);
    agent = FsHostAgent.builder().repository(dir.resolve("repo")).executor(pool).build();
    host = FaultyHostAgent.wrap("local", agent);
    store = JdbcManifestStore.sqlite(dir.resolve("snapshots.db"));
    Path data = dir.resolve("live");
    Files.createDirectories(data);
    Files.writeString(data.resolve("README"), "hello");
    agent.track(W, Map.of("data", data));
    billing.failAlways(true);
    SnapshotMetrics metrics = SnapshotMetrics.on(registry);
    engine = SnapshotEngine.builder()
        .manifestStore(store)
        .hosts(HostDirectory.single(host))
        .lifecycle(Lifecycle.none())
        .clock(Clock.systemUTC())
        .executor(pool)
        .plans(t -> new Plan(2, java.util.Optional.empty()))
        .eventHook("audit", new RecordingEventHook())
        .eventHook("billing", billing)
        .manualEventDispatch(Runnable::run, DispatcherSettings.defaults().withMaxAttempts(1))
        .observer(metrics)
        .build();
    metrics.bindTo(engine).trackUsage(engine, ACME);
  }

  @AfterEach
  void stop() {
    engine.close();
    agent.close();
    store.close();
    pool.shutdownNow();
  }

  @Test
  @DisplayName("after real operations every meter has the counts they imply")
  void metersAfterRealOperations() {
    Snapshot first = engine.capture(CaptureSpec.of(W));
    Snapshot second = engine.capture(CaptureSpec.of(W));
    assertEquals(ErrorCode.QUOTA_EXCEEDED, assertThrows(SnapshotException.class,
        () -> engine.capture(CaptureSpec.of(W))).code());
    engine.restore(ACME, first.id(), RestoreSpec.additive());
    host.failNext(FaultyHostAgent.Op.DELETE, Fault.offline());
    assertEquals(ErrorCode.CONFLICT, assertThrows(SnapshotException.class, () -> engine.delete(ACME, second.id())).code());
    engine.delete(ACME, second.id());
    engine.pollEvents();

    assertEquals(2, timerCount("capture", "success"));
    assertEquals(1, timerCount("capture", "quota_exceeded"));
    assertEquals(1, timerCount("restore", "success"));
    assertEquals(1, timerCount("delete", "conflict"));
    assertEquals(1, timerCount("delete", "success"));
    assertEquals(1.0, registry.get(SnapshotMetrics.HOST_DELETE_FAILURES).tag("host", "local").counter().count());
    long events = registry.get(SnapshotMetrics.EVENT_LAG).tag("hook", "audit").timer().count();
    assertTrue(events >= 6, "audit received every event (captures, refusal, restore, deletes): " + events);
    assertTrue(registry.get(SnapshotMetrics.EVENT_FAILURES).tags("hook", "billing", "parked", "true").counter().count() >= 1);
    assertEquals(engine.parkedEvents("billing").size(),
        registry.get(SnapshotMetrics.EVENTS_PARKED).tag("hook", "billing").gauge().value());
    assertEquals(0.0, registry.get(SnapshotMetrics.EVENTS_PARKED).tag("hook", "audit").gauge().value());
    double usage = registry.get(SnapshotMetrics.USAGE_BYTES).tag("tenant", "acme").gauge().value();
    assertEquals(engine.usageBytes(ACME), (long) usage);
    assertTrue(usage > 0, "the first snapshot stores the file");
  }

  @Test
  @DisplayName("the meter table in the module README lists exactly the meters the engine registers")
  void readmeListsEveryMeter() throws IOException {
    metersAfterRealOperations();
    Set<String> registered = registry.getMeters().stream().map(m -> m.getId().getName())
        .collect(Collectors.toCollection(TreeSet::new));
    String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
    Set<String> documented = new TreeSet<>();
    Matcher m = Pattern.compile("^\\| `(snapshotkit\\.[a-z.]+)` \\|", Pattern.MULTILINE).matcher(readme);
    while (m.find()) {
      documented.add(m.group(1));
    }
    assertEquals(registered, documented);
    for (Meter meter : registry.getMeters()) {
      for (var tag : meter.getId().getTags()) {
        assertTrue(readme.contains("`" + tag.getKey() + "`"), "README names tag " + tag.getKey());
      }
    }
  }

  private long timerCount(String operation, String outcome) {
    return registry.get(SnapshotMetrics.OPERATION).tags("operation", operation, "outcome", outcome).timer().count();
  }
}
