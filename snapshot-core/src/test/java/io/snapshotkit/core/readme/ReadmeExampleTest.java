package io.snapshotkit.core.readme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.snapshotkit.DiffResult;
import io.snapshotkit.Snapshot;
import io.snapshotkit.TenantId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.SnapshotEngine;
import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.testkit.FakeHostAgent;
import io.snapshotkit.testkit.FakeHostDirectory;
import io.snapshotkit.testkit.InMemoryManifestStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Keeps the root README's embedding example honest: the code between the markers below is run
 * here, and the README must contain exactly that code.
 */
class ReadmeExampleTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  @DisplayName("the README's embedding example runs: capture, change, diff, roll back, delete")
  void embeddingExampleRuns() {
    ExecutorService executor = Executors.newFixedThreadPool(4);
    try {
      // README:begin
      // Adapters: here the testkit's in-memory store and a fake host; in production the
      // JDBC store (snapshot-jdbc) and the directory agent (snapshot-fs), or your own SPIs.
      FakeHostDirectory hosts = FakeHostDirectory.withHosts(1);
      WorkloadRef workspace = WorkloadRef.of(TenantId.of("acme"), "workspace-1");
      hosts.place(workspace, "h1");
      FakeHostAgent host = hosts.agentFor("h1");
      host.put(workspace, "files", "notes.txt", JSON.createObjectNode().put("text", "v1"));

      try (SnapshotEngine engine = SnapshotEngine.builder()
          .manifestStore(new InMemoryManifestStore())
          .hosts(hosts)
          .lifecycle(Lifecycle.none())
          .clock(Clock.systemUTC())
          .executor(executor)
          .build()) {
        Snapshot first = engine.capture(CaptureSpec.of(workspace).name("before-upgrade"));

        host.put(workspace, "files", "notes.txt", JSON.createObjectNode().put("text", "v2"));
        DiffResult changes = engine.diffCurrent(workspace.tenant(), first.id());
        System.out.println(changes.size() + " change(s) since version " + first.version());

        engine.rollback(workspace, first.version());   // REPLACE restore of version 1
        engine.delete(workspace.tenant(), first.id()); // strict: every host must confirm
        // README:end
        assertEquals(1, first.version());
        assertEquals(1, changes.size());
        assertEquals("v1", host.state(workspace).get("files").get("notes.txt").get("text").asText());
        assertTrue(engine.versions(workspace).stream().noneMatch(s -> s.id().equals(first.id())),
            "the deleted snapshot is gone");
      }
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  @DisplayName("the root README.md shows exactly the example this test runs")
  void readmeShowsTheTestedExample() throws IOException {
    Path readme = Path.of("..", "README.md");
    assertTrue(Files.isRegularFile(readme), "expected the project README at " + readme.toAbsolutePath());
    String text = Files.readString(readme, StandardCharsets.UTF_8);
    String source = Files.readString(
        Path.of("src/test/java/io/snapshotkit/core/readme/ReadmeExampleTest.java"), StandardCharsets.UTF_8);
    String example = between(source, "// README:begin", "// README:end");
    assertTrue(normalize(text).contains(normalize(example)),
        "README.md's embedding example differs from the code run by ReadmeExampleTest; copy it from there:\n"
            + example);
  }

  private static String between(String text, String begin, String end) {
    int from = text.indexOf(begin);
    int to = text.indexOf(end);
    assertTrue(from >= 0 && to > from, "markers not found");
    return text.substring(text.indexOf('\n', from) + 1, text.lastIndexOf('\n', to));
  }

  /** Drops each line's leading indentation and blank lines, so the README may indent differently. */
  private static String normalize(String code) {
    List<String> lines = Arrays.stream(code.split("\n")).map(String::strip).filter(l -> !l.isEmpty()).toList();
    return lines.stream().collect(Collectors.joining("\n"));
  }
}
