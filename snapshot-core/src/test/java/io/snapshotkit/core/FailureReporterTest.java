package io.snapshotkit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.core.DeliveryLog.Level;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class FailureReporterTest {

  @Test
  @DisplayName("first report per hook and kind is WARN, later ones DEBUG; errors are always ERROR")
  void throttlesPerHookAndKind() {
    List<String> seen = new ArrayList<>();
    FailureReporter r = new FailureReporter((level, hook, message, failure) -> seen.add(level + " " + hook));
    r.report("failure", "a", "x", null);
    r.report("failure", "a", "x", null);
    r.report("park", "a", "x", null);
    r.report("failure", "b", "x", null);
    r.error("a", "x", null);
    r.error("a", "x", null);
    assertEquals(List.of("WARN a", "DEBUG a", "WARN a", "WARN b", "ERROR a", "ERROR a"), seen);
    assertEquals(Level.values().length, 3);
  }

  @Test
  @DisplayName("describe gives one bounded line with the class and message")
  void describeIsOneBoundedLine() {
    String d = FailureReporter.describe(new IllegalStateException("line one\nline two\r\n\tend"));
    assertEquals("java.lang.IllegalStateException: line one line two end", d);
    assertEquals("java.lang.RuntimeException", FailureReporter.describe(new RuntimeException()));
    String longOne = FailureReporter.describe(new RuntimeException("x".repeat(2000)));
    assertEquals(500, longOne.length());
    assertTrue(longOne.endsWith("..."));
    assertFalse(longOne.contains("\n"));
  }
}
