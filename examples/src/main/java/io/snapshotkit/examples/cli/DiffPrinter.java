package io.snapshotkit.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.snapshotkit.Change;
import io.snapshotkit.DiffResult;
import io.snapshotkit.FamilyDiff;
import java.util.Map;

/**
 * Prints a {@link DiffResult} for people: one line per change, {@code +} added, {@code -}
 * removed, {@code ~} changed, with sizes when the documents carry them, then a count line.
 *
 * <p><b>Thread-safety:</b> stateless.
 */
final class DiffPrinter {
  private DiffPrinter() {}

  static void print(Output out, DiffResult d) {
    long added = 0;
    long removed = 0;
    long changed = 0;
    boolean prefixFamily = d.families().size() > 1;
    for (Map.Entry<String, FamilyDiff> e : d.families().entrySet()) {
      for (Change c : e.getValue().changes()) {
        String key = (prefixFamily ? e.getKey() + " " : "") + c.key();
        if (c instanceof Change.Added a) {
          added++;
          out.line("  + " + key + detail(a.after().document()));
        } else if (c instanceof Change.Removed r) {
          removed++;
          out.line("  - " + key + detail(r.before().document()));
        } else if (c instanceof Change.Changed ch) {
          changed++;
          out.line("  ~ " + key + change(ch.before().document(), ch.after().document()));
        }
      }
    }
    for (String p : d.problems()) {
      out.line("  ! " + p);
    }
    if (d.isEmpty()) {
      out.line("  No differences.");
    } else {
      out.line("  " + (added + removed + changed) + " change" + (added + removed + changed == 1 ? "" : "s")
          + ": " + added + " added, " + removed + " removed, " + changed + " changed"
          + (d.degraded() ? " (degraded: a side could not be read completely)" : ""));
    }
  }

  private static String detail(JsonNode doc) {
    String type = doc.path("type").asText("");
    if (type.equals("directory") || type.equals("dir")) {
      return "/";
    }
    if (doc.has("target")) {
      return " -> " + doc.path("target").asText();
    }
    if (doc.has("size")) {
      return "  (" + Format.bytes(doc.path("size").asLong()) + ")";
    }
    return "";
  }

  private static String change(JsonNode before, JsonNode after) {
    if (!before.path("type").equals(after.path("type"))) {
      return "  (" + before.path("type").asText("?") + " -> " + after.path("type").asText("?") + ")";
    }
    if (before.has("size") && after.has("size") && !before.path("digest").equals(after.path("digest"))) {
      return "  (" + Format.bytes(before.path("size").asLong()) + " -> " + Format.bytes(after.path("size").asLong()) + ")";
    }
    if (!before.path("mode").equals(after.path("mode"))) {
      return "  (mode " + before.path("mode").asText() + " -> " + after.path("mode").asText() + ")";
    }
    if (!before.path("target").equals(after.path("target"))) {
      return "  (-> " + after.path("target").asText() + ")";
    }
    return "";
  }
}
