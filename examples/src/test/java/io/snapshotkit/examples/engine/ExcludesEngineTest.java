package io.snapshotkit.examples.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.snapshotkit.DiffResult;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.Excludes;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.RestoreSpec;
import io.snapshotkit.core.SnapshotEngine;
import io.snapshotkit.fs.FsHostAgent;
import io.snapshotkit.jdbc.JdbcManifestStore;
import io.snapshotkit.spi.HostDirectory;
import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.testkit.FaultyHostAgent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exclude patterns through the engine on a real SQLite store and a real directory agent: the
 * patterns a snapshot applied are stored in its manifest, its replace restore and diffs leave
 * excluded paths alone, and an agent that cannot exclude refuses them.
 */
class ExcludesEngineTest {
  private static final WorkloadRef W = WorkloadRef.of("acme", "workspace");
  @TempDir Path dir;
  private ExecutorService pool;
  private FsHostAgent agent;
  private JdbcManifestStore store;
  private Path data;

  @BeforeEach
  void start() throws IOException {
    pool = Executors.newFixedThreadPool(2);
    agent = FsHostAgent.builder().repository(dir.resolve("repo")).build();
    store = JdbcManifestStore.sqlite(dir.resolve("meta.db"));
    data = dir.resolve("live/data");
    Files.createDirectories(data.resolve("node_modules/lib"));
    Files.createDirectories(data.resolve("tmp"));
    Files.writeString(data.resolve("README"), "v1");
    Files.writeString(data.resolve("node_modules/lib/index.js"), "lib v1");
    Files.writeString(data.resolve("tmp/scratch"), "scratch");
    agent.track(W, Map.of("data", data), Excludes.of(List.of("node_modules/")));
  }

  private SnapshotEngine engine(io.snapshotkit.spi.HostAgent host) {
    return SnapshotEngine.builder().manifestStore(store).hosts(HostDirectory.single(host))
        .lifecycle(Lifecycle.none()).clock(Clock.systemUTC()).executor(pool).random(new SplittableRandom(1)).build();
  }

  @AfterEach
  void stop() {
    agent.close();
    store.close();
    pool.shutdownNow();
  }

  @Test
  void theStoredManifestRecordsThePatternsAndAReplaceRestoreLeavesExcludedPathsAlone() throws IOException {
    try (SnapshotEngine engine = engine(agent)) {
      Snapshot s = engine.capture(CaptureSpec.of(W).excludes(Excludes.of(List.of("tmp/"))));
      JsonNode manifest = new ObjectMapper().readTree(store.manifest(s.id()).orElseThrow());
      List<String> recorded = new ArrayList<>();
      manifest.findPath("excludes").forEach(n -> recorded.add(n.asText()));
      assertEquals(List.of("node_modules/", "tmp/"), recorded, manifest.toString());

      Files.writeString(data.resolve("README"), "v2");
      Files.writeString(data.resolve("node_modules/lib/index.js"), "lib v2");
      Files.writeString(data.resolve("tmp/scratch"), "scratch v2");
      DiffResult diff = engine.diffCurrent(W.tenant(), s.id());
      assertEquals(1, diff.families().get(FsHostAgent.FILES_FAMILY).changes().size(), diff.toString());

      engine.restore(W.tenant(), s.id(), RestoreSpec.replace().preRestoreSnapshot(false));
      assertEquals("v1", Files.readString(data.resolve("README")));
      assertEquals("lib v2", Files.readString(data.resolve("node_modules/lib/index.js")), "excluded: left as it is");
      assertEquals("scratch v2", Files.readString(data.resolve("tmp/scratch")), "excluded by the capture: left too");
    }
  }

  @Test
  void anAgentThatCannotExcludeRefusesPatternsAndTheSnapshotFails() {
    try (SnapshotEngine engine = engine(FaultyHostAgent.wrap("local", agent))) {
      SnapshotException e = assertThrows(SnapshotException.class,
          () -> engine.capture(CaptureSpec.of(W).excludes(Excludes.of(List.of("tmp/")))));
      assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
      assertTrue(e.getMessage().contains("cannot exclude paths"), e.getMessage());
      assertEquals(SnapshotStatus.FAILED,
          store.list(io.snapshotkit.SnapshotQuery.of(W)).items().get(0).status());
    }
  }
}
