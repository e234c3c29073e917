package io.snapshotkit.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ProgressEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Human sizes, durations, relative times, tables and progress frames. */
class FormatTest {
  private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");

  @ParameterizedTest(name = "{0} bytes -> {1}")
  @CsvSource({
      "0, 0 B",
      "1, 1 B",
      "1023, 1023 B",
      "1024, 1.0 KiB",
      "1536, 1.5 KiB",
      "1048575, 1.0 MiB",
      "1048576, 1.0 MiB",
      "12897485, 12.3 MiB",
      "1073741824, 1.0 GiB",
      "-2048, -2.0 KiB",
  })
  void sizesUseBinaryUnitsAndNeverShow1024OfAUnit(long bytes, String expected) {
    assertEquals(expected, Format.bytes(bytes));
  }

  @Test
  void theLargestLongStillFormats() {
    assertEquals("8.0 EiB", Format.bytes(Long.MAX_VALUE));
  }

  @ParameterizedTest(name = "{0}s ago -> {1}")
  @CsvSource({
      "0, just now",
      "9, just now",
      "10, 10 seconds ago",
      "60, 1 minute ago",
      "125, 2 minutes ago",
      "3600, 1 hour ago",
      "86399, 23 hours ago",
      "86400, yesterday",
      "172800, 2 days ago",
      "2592000, 1 month ago",
      "31536000, 1 year ago",
      "-7200, in 2 hours",
      "-172800, in 2 days",
  })
  void relativeTimesReadNaturally(long secondsAgo, String expected) {
    assertEquals(expected, Format.relative(NOW.minusSeconds(secondsAgo), NOW));
  }

  @ParameterizedTest(name = "{0}s -> {1}")
  @CsvSource({"0, 0s", "59, 59s", "185, 3m05s", "7620, 2h07m", "273600, 3d04h"})
  void durationsAreShort(long seconds, String expected) {
    assertEquals(expected, Format.duration(Duration.ofSeconds(seconds)));
  }

  @Test
  void rateIsBytesPerSecondAndSurvivesZeroElapsed() {
    assertEquals("2.0 MiB/s", Format.rate(4L << 20, Duration.ofSeconds(2)));
    assertEquals("1000 B/s", Format.rate(1, Duration.ZERO));
  }

  @Test
  void tablesPadColumnsAlignNumbersRightAndLeaveNoTrailingSpace() {
    Table t = Table.of("ID", "SIZE", "NAME").rightAligned(1)
        .row("a", "1 B", "first")
        .row("bbbb", "12.0 KiB", "");
    assertEquals(List.of(
        "ID        SIZE  NAME",
        "a          1 B  first",
        "bbbb  12.0 KiB"), t.lines());
    assertFalse(t.isEmpty());
    assertTrue(Table.of("X").isEmpty());
  }

  private static ProgressEvent event(String phase, long files, long filesTotal, long bytes, long bytesTotal,
      String path, boolean finished) {
    return ProgressEvent.of(ProgressEvent.Operation.CAPTURE, phase, files, filesTotal, bytes, bytesTotal, path, finished);
  }

  @Test
  void aProgressFrameShowsPhasePercentageBytesRateEtaAndPath() {
    String frame = Progress.render("capture", event("scan", 3, 10, 1L << 20, 4L << 20, "data:src/a.c", false),
        Duration.ofSeconds(1), Duration.ofSeconds(3));
    assertEquals("capture  scan  [######------------------]   25%  1.0 MiB / 4.0 MiB  1.0 MiB/s  ETA 3s  data:src/a.c",
        frame);
  }

  @Test
  void aProgressFrameWithoutTotalShowsFilesBytesRateAndElapsedTime() {
    assertEquals("gc  mark  2 files  3.0 KiB  3.0 KiB/s  1s",
        Progress.render("gc", event("mark", 2, -1, 3072, -1, "", false), Duration.ofSeconds(1), null));
  }

  @Test
  void aProgressFrameWithOnlyAFileTotalCountsFiles() {
    assertEquals("gc  mark  [############------------]   50%  1 / 2 files  0 B/s",
        Progress.render("gc", event("mark", 1, 2, 0, -1, "", false), Duration.ofSeconds(1), null));
  }

  @Test
  void aLongPathIsCutFromTheFront() {
    String frame = Progress.render("capture", event("scan", 1, -1, 0, -1, "data:" + "x".repeat(100), false),
        Duration.ofSeconds(1), null);
    assertTrue(frame.endsWith("  ..." + "x".repeat(29)), frame);
  }

  @Test
  void aFinishedFrameHasNoEta() {
    String frame = Progress.render("restore", event("swap", 10, 10, 10, 10, "data:x", true), Duration.ofSeconds(1), null);
    assertTrue(frame.contains("100%"), frame);
    assertFalse(frame.contains("ETA"), frame);
    assertFalse(frame.contains("data:x"), "a finished frame names no file: " + frame);
  }

  @Test
  void shellWordsAreLeftAloneOrSingleQuotedSoTheHintPastesBack() {
    assertEquals("/home/me/.snapshotkit", Format.shellWord("/home/me/.snapshotkit"));
    assertEquals("'/tmp/my home'", Format.shellWord("/tmp/my home"));
    assertEquals("'it'\\''s'", Format.shellWord("it's"));
    assertEquals("''", Format.shellWord(""));
  }
}
