package io.snapshotkit.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.snapshotkit.Excludes;
import io.snapshotkit.Manifest;
import io.snapshotkit.RestoreMode;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.CaptureResult;
import io.snapshotkit.spi.RestoreOutcome;
import io.snapshotkit.spi.RestoreRequest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exclude patterns on real directories: capture, replace and additive restore, diff. */
class FsExcludesTest {
  private static final WorkloadRef W = WorkloadRef.of("acme", "ws");
  private static final Excludes TRACKED = Excludes.of(List.of("node_modules/", "*.log", "!keep.log", "/build",
      "cache/"));
  @TempDir Path dir;
  private final List<Path> reads = Collections.synchronizedList(new ArrayList<>());
  private FsHostAgent agent;
  private Path data;
  private int ids;

  @BeforeEach
  void start() {
    agent = open();
    data = dir.resolve("live/data");
    Trees.write(data.resolve("README"), "v1");
    Trees.write(data.resolve("app.log"), "noise");
    Trees.write(data.resolve("keep.log"), "kept");
    Trees.write(data.resolve("src/Main.java"), "class Main {}");
    Trees.write(data.resolve("src/debug.log"), "noise");
    Trees.write(data.resolve("src/build/Gen.java"), "class Gen {}");
    Trees.write(data.resolve("node_modules/left-pad/index.js"), "pad");
    Trees.write(data.resolve("web/node_modules/x/y.js"), "y");
    Trees.write(data.resolve("web/page.html"), "<p>");
    Trees.write(data.resolve("build/out.bin"), "bin");
    Trees.write(data.resolve("cache"), "a file called cache: only directories named cache are excluded");
    Trees.write(data.resolve("tmp/cache/blob"), "cached");
    agent.track(W, Map.of("data", data), TRACKED);
  }

  private FsHostAgent open() {
    return FsHostAgent.builder().repository(dir.resolve("repo")).readHook(reads::add)
        .racyCutoff(() -> Long.MAX_VALUE).build();
  }

  @AfterEach
  void close() {
    agent.close();
  }

  private SnapshotId id() {
    ids++;
    return SnapshotId.generate(Instant.parse("2026-01-01T00:00:00Z").plusSeconds(ids), new SplittableRandom(ids));
  }

  private CaptureResult capture(SnapshotId id, Excludes extra) {
    return agent.capture(new CaptureRequest(W, id, Optional.empty(), Optional.empty(), false, extra));
  }

  /** The snapshot's paths, restored into a fresh directory. */
  private TreeSet<String> contents(SnapshotId id, Manifest m) {
    Path target = dir.resolve("out-" + id.value());
    agent.restore(new RestoreRequest(W, id, m, RestoreMode.REPLACE, Optional.of(target.toString()), List.of()));
    return new TreeSet<>(Trees.state(target.resolve("data"), false).keySet());
  }

  private static List<String> recorded(Manifest m) {
    JsonNode doc = m.families().get(FsHostAgent.FAMILY).get(0).document();
    List<String> out = new ArrayList<>();
    doc.path("excludes").forEach(n -> out.add(n.asText()));
    return out;
  }

  @Test
  @DisplayName("a capture leaves out what the tracked patterns exclude, never reads inside an excluded directory, and records the patterns")
  void captureLeavesOutExcludedPaths() {
    SnapshotId id = id();
    CaptureResult r = capture(id, Excludes.none());
    assertEquals(new TreeSet<>(List.of("README", "cache", "keep.log", "src", "src/Main.java", "src/build",
        "src/build/Gen.java", "tmp", "web", "web/page.html")), contents(id, r.manifest()));
    List<String> read = reads.stream().map(p -> data.relativize(p).toString()).collect(Collectors.toList());
    assertTrue(read.stream().noneMatch(p -> p.contains("node_modules") || p.startsWith("build/") || p.endsWith("app.log")),
        read.toString());
    assertEquals(TRACKED.patterns(), recorded(r.manifest()));
    assertEquals(r.manifest().families(), agent.describe(W).families(), "describe applies the same patterns");
  }

  @Test
  @DisplayName("patterns tracked with the volumes survive the agent being reopened")
  void trackedPatternsPersist() {
    agent.close();
    agent = open();
    assertEquals(TRACKED, agent.excludes(W));
    agent.track(W, Map.of("data", data));
    assertTrue(agent.excludes(W).isEmpty(), "tracking again without patterns replaces them");
  }

  @Test
  @DisplayName("a capture's own patterns apply after the workload's, and the snapshot records both")
  void perCapturePatternsAddToTheWorkloads() {
    SnapshotId id = id();
    CaptureResult r = capture(id, Excludes.of(List.of("tmp/", "!app.log")));
    TreeSet<String> got = contents(id, r.manifest());
    assertFalse(got.contains("tmp"), got.toString());
    assertTrue(got.contains("app.log"), "a later !pattern of the capture re-includes: " + got);
    List<String> expected = new ArrayList<>(TRACKED.patterns());
    expected.addAll(List.of("tmp/", "!app.log"));
    assertEquals(expected, recorded(r.manifest()));
  }

  @Test
  @DisplayName("a replace restore leaves every excluded path exactly as it is on disk and makes the rest the snapshot's")
  void replaceRestoreLeavesExcludedPathsAlone() throws IOException {
    SnapshotId id = id();
    CaptureResult r = capture(id, Excludes.none());
    Map<String, String> snapshotState = included(Trees.state(data, false));
    // after the capture: change included and excluded paths alike
    Trees.write(data.resolve("README"), "v2");
    Files.delete(data.resolve("src/Main.java"));
    Trees.write(data.resolve("new.txt"), "not in the snapshot");
    Trees.write(data.resolve("node_modules/left-pad/index.js"), "pad v2");
    Trees.write(data.resolve("node_modules/fresh/a.js"), "fresh");
    Trees.write(data.resolve("extra/other.txt"), "not in the snapshot");
    Trees.write(data.resolve("extra/trace.log"), "excluded, in a directory the snapshot lacks");
    Trees.write(data.resolve("src/later.log"), "excluded");
    Map<String, String> excludedBefore = excluded(Trees.state(data, true));

    RestoreOutcome out = agent.restore(new RestoreRequest(W, id, r.manifest(), RestoreMode.REPLACE, Optional.empty(),
        List.of()));

    Map<String, String> after = Trees.state(data, true);
    assertEquals(excludedBefore, excluded(after), "excluded paths untouched, to their times");
    Map<String, String> expected = new TreeMap<>(snapshotState);
    expected.put("extra", Trees.state(data, false).get("extra")); // kept: it holds an excluded path
    assertEquals(expected, included(Trees.state(data, false)));
    assertTrue(out.warnings().stream().anyMatch(w -> w.contains("excluded path")), out.warnings().toString());
    assertEquals(List.of(), leftovers(), "no work directories left beside the volume");
  }

  @Test
  @DisplayName("an exported snapshot carries its patterns: imported, it records them and its replace restore leaves excluded paths alone")
  void importedSnapshotKeepsItsExcludes() throws IOException {
    SnapshotId id = id();
    capture(id, Excludes.of(List.of("web/")));
    ByteArrayOutputStream archive = new ByteArrayOutputStream();
    agent.exportSnapshot(W, id, archive);
    SnapshotId imported = id();
    Manifest m = agent.importSnapshot(W, imported, new ByteArrayInputStream(archive.toByteArray()),
        SnapshotArchive.Limits.defaults());
    List<String> expected = new ArrayList<>(TRACKED.patterns());
    expected.add("web/");
    assertEquals(expected, recorded(m), "the imported snapshot records the patterns its capture applied");

    Trees.write(data.resolve("node_modules/fresh/a.js"), "fresh");
    Trees.write(data.resolve("web/page.html"), "<p>later");
    Map<String, String> excludedBefore = excluded(Trees.state(data, true));
    agent.restore(new RestoreRequest(W, imported, m, RestoreMode.REPLACE, Optional.empty(), List.of()));
    assertEquals(excludedBefore, excluded(Trees.state(data, true)), "excluded paths untouched by the imported snapshot");
    assertEquals("<p>later", Files.readString(data.resolve("web/page.html")), "the capture's own pattern too");
  }

  @Test
  @DisplayName("a replace restore of a selected path that is excluded leaves it alone and says so")
  void replaceOfAnExcludedSelectionLeavesItAlone() {
    SnapshotId id = id();
    CaptureResult r = capture(id, Excludes.none());
    Map<String, String> before = Trees.state(data, true);
    RestoreOutcome out = agent.restore(new RestoreRequest(W, id, r.manifest(), RestoreMode.REPLACE, Optional.empty(),
        List.of("data:node_modules")));
    assertEquals(before, Trees.state(data, true));
    assertTrue(out.warnings().stream().anyMatch(w -> w.contains("data:node_modules")), out.warnings().toString());
  }

  @Test
  @DisplayName("an additive restore creates what the volume lacks and leaves excluded paths alone")
  void additiveRestoreLeavesExcludedPathsAlone() throws IOException {
    SnapshotId id = id();
    CaptureResult r = capture(id, Excludes.none());
    Files.delete(data.resolve("src/Main.java"));
    Files.delete(data.resolve("node_modules/left-pad/index.js"));
    Trees.write(data.resolve("app.log"), "changed");
    Map<String, String> excludedBefore = excluded(Trees.state(data, true));
    agent.restore(new RestoreRequest(W, id, r.manifest(), RestoreMode.ADDITIVE, Optional.empty(), List.of()));
    assertTrue(Files.exists(data.resolve("src/Main.java")));
    assertEquals(excludedBefore, excluded(Trees.state(data, true)));
  }

  @Test
  @DisplayName("diffs report no change of an excluded path, live or between snapshots captured with different patterns")
  void diffsIgnoreExcludedPaths() {
    SnapshotId first = id();
    capture(first, Excludes.none());
    Trees.write(data.resolve("node_modules/left-pad/index.js"), "pad v2");
    Trees.write(data.resolve("web/node_modules/new.js"), "new");
    Trees.write(data.resolve("app.log"), "more noise");
    Trees.write(data.resolve("README"), "v2");
    List<String> live = new ArrayList<>();
    agent.diff(W, first, Optional.empty(), c -> live.add(c.key()));
    assertEquals(List.of("data:README"), live);

    SnapshotId second = id();
    capture(second, Excludes.of(List.of("tmp/")));
    List<String> between = new ArrayList<>();
    DiffSummary s = agent.diff(W, first, Optional.of(second), c -> between.add(c.key()));
    assertEquals(List.of("data:README"), between, "tmp/ left out of the second capture is not a removal");
    assertEquals(0, s.removed());
  }

  private List<String> leftovers() throws IOException {
    try (var s = Files.list(data.getParent())) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.contains("sk-restore")).toList();
    }
  }

  private static Map<String, String> excluded(Map<String, String> state) {
    Map<String, String> out = new TreeMap<>();
    state.forEach((p, v) -> {
      if (TRACKED.excludes(p, v.startsWith("dir"))) {
        out.put(p, v);
      }
    });
    return out;
  }

  private static Map<String, String> included(Map<String, String> state) {
    Map<String, String> out = new TreeMap<>();
    state.forEach((p, v) -> {
      if (!TRACKED.excludes(p, v.startsWith("dir"))) {
        out.put(p, v);
      }
    });
    return out;
  }
}
