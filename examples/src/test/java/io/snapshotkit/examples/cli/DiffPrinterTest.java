package io.snapshotkit.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.snapshotkit.Change;
import io.snapshotkit.DiffResult;
import io.snapshotkit.FamilyDiff;
import io.snapshotkit.Resource;
import io.snapshotkit.SnapshotId;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How diffs read for people: one line per change, what changed about it, and a count line. */
class DiffPrinterTest {
  private static final SnapshotId FROM = SnapshotId.parse("01JD3Q8Z6M4R2T9V0W1X2Y3Z4A");

  private static Resource file(String key, long size, String digest, String mode) {
    ObjectNode doc = JsonNodeFactory.instance.objectNode();
    doc.put("type", "file").put("mode", mode).put("size", size).put("digest", digest);
    return new Resource(key, key, doc);
  }

  private static Resource dir(String key) {
    ObjectNode doc = JsonNodeFactory.instance.objectNode();
    doc.put("type", "directory").put("mode", "0755").put("size", 0);
    return new Resource(key, key, doc);
  }

  private static Resource link(String key, String target) {
    ObjectNode doc = JsonNodeFactory.instance.objectNode();
    doc.put("type", "symlink").put("mode", "0777").put("size", 0).put("target", target);
    return new Resource(key, key, doc);
  }

  private static List<String> print(DiffResult d, boolean json) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
    DiffPrinter.print(new Output(ps, ps, json, false, Clock.systemUTC()), d);
    return out.toString(StandardCharsets.UTF_8).lines().toList();
  }

  @Test
  void eachKindOfChangeSaysWhatChanged() {
    DiffResult d = new DiffResult(FROM, Optional.empty(), Map.of("files", new FamilyDiff(List.of(
        new Change.Added(file("v:new.txt", 2048, "aa", "0644")),
        new Change.Removed(dir("v:old")),
        new Change.Changed(file("v:app.cfg", 10, "aa", "0644"), file("v:app.cfg", 12, "bb", "0644")),
        new Change.Changed(file("v:run.sh", 5, "cc", "0644"), file("v:run.sh", 5, "cc", "0755")),
        new Change.Changed(link("v:latest", "a"), link("v:latest", "b")),
        new Change.Changed(file("v:x", 1, "dd", "0644"), dir("v:x")),
        new Change.Added(link("v:cur", "releases/7"))))), false, List.of());
    assertEquals(List.of(
        "  ~ v:app.cfg  (10 B -> 12 B)",
        "  + v:cur -> releases/7",
        "  ~ v:latest  (-> b)",
        "  + v:new.txt  (2.0 KiB)",
        "  - v:old/",
        "  ~ v:run.sh  (mode 0644 -> 0755)",
        "  ~ v:x  (file -> directory)",
        "  7 changes: 2 added, 1 removed, 4 changed"), print(d, false));
  }

  @Test
  void anEmptyDiffSaysSo() {
    assertEquals(List.of("  No differences."),
        print(new DiffResult(FROM, Optional.empty(), Map.of(), false, List.of()), false));
  }

  @Test
  void aDegradedDiffShowsItsProblemsAndIsNeverSilentlyEmpty() {
    DiffResult d = new DiffResult(FROM, Optional.empty(), Map.of(), true, List.of("a side is partial"));
    assertEquals(List.of("  ! a side is partial",
        "  0 changes: 0 added, 0 removed, 0 changed (degraded: a side could not be read completely)"), print(d, false));
  }

  @Test
  void severalFamiliesArePrefixedWithTheirName() {
    DiffResult d = new DiffResult(FROM, Optional.empty(), Map.of(
        "files", new FamilyDiff(List.of(new Change.Added(file("v:a", 1, "aa", "0644")))),
        "services", new FamilyDiff(List.of(new Change.Removed(file("api", 1, "aa", "0644"))))), false, List.of());
    assertEquals(List.of("  + files v:a  (1 B)", "  - services api  (1 B)",
        "  2 changes: 1 added, 1 removed, 0 changed"), print(d, false));
  }

  @Test
  void nothingIsPrintedInJsonMode() {
    assertEquals(List.of(), print(new DiffResult(FROM, Optional.empty(), Map.of(), false, List.of()), true));
  }
}
