package io.snapshotkit.examples.embed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.DiffResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedding example does what its comments say, on a real directory and real SQLite. */
class EmbeddingExampleTest {
  @Test
  void capturesDiffsAndRollsBack(@TempDir Path scratch) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    DiffResult diff = EmbeddingExample.run(scratch, new PrintStream(out, true, StandardCharsets.UTF_8));
    assertEquals(2, diff.size(), "config changed, notes added");
    String text = out.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("  ~ data:config.yml"), text);
    assertTrue(text.contains("  + data:notes.txt"), text);
    assertTrue(text.contains("versions: 2"), text);
    assertEquals("replicas: 2\n", Files.readString(scratch.resolve("app/config.yml")));
    assertFalse(Files.exists(scratch.resolve("app/notes.txt")));
  }
}
