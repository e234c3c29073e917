package io.snapshotkit.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.snapshotkit.Change;
import io.snapshotkit.DiffResult;
import io.snapshotkit.FamilyDiff;
import io.snapshotkit.Resource;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class HostDiffTest {
  private static final WorkloadRef W = WorkloadRef.of("acme", "app");
  private static final SnapshotId A = SnapshotId.generate(Instant.parse("2026-01-01T00:00:00Z"), new SplittableRandom(1));

  private static Resource resource(String key) {
    return new Resource(key, key, JsonNodeFactory.instance.objectNode().put("k", key));
  }

  @Test
  @DisplayName("the default streamDiff hands over every change of diff with its family, and returns the rest of the result without them")
  void defaultStreamDiffHandsOverDiffsChanges() {
    DiffResult full = new DiffResult(A, Optional.empty(), Map.of(
        "files", new FamilyDiff(List.of(new Change.Added(resource("a")), new Change.Removed(resource("b")))),
        "users", new FamilyDiff(List.of(new Change.Changed(resource("u"), new Resource("u", "u",
            JsonNodeFactory.instance.objectNode().put("k", "changed")))))),
        true, List.of("one side was partial"));
    HostDiff agent = (workload, from, to) -> full;
    List<String> seen = new ArrayList<>();
    DiffResult rest = agent.streamDiff(W, A, Optional.empty(), (family, c) -> seen.add(family + "/" + c.key()));
    assertEquals(List.of("files/a", "files/b", "users/u"), seen);
    assertEquals(Map.of(), rest.families());
    assertEquals(true, rest.degraded());
    assertEquals(List.of("one side was partial"), rest.problems());
    assertEquals(A, rest.from());
  }
}
