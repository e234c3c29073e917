package io.snapshotkit.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** How snapshots are named on the command line: an id, WORKLOAD@VERSION or WORKLOAD@latest. */
class SnapshotRefTest {
  private static final String ID = "01JD3Q8Z6M4R2T9V0W1X2Y3Z4A";

  @Test
  void anIdInAnyCaseIsAnId() {
    SnapshotRef ref = SnapshotRef.parse(ID.toLowerCase());
    assertEquals(new SnapshotRef.ById(SnapshotId.parse(ID)), ref);
    assertEquals(ID, ref.toString());
  }

  @Test
  void workloadAtVersion() {
    assertEquals(new SnapshotRef.ByVersion("app", OptionalInt.of(3)), SnapshotRef.parse("app@3"));
    assertEquals(new SnapshotRef.ByVersion("my.app-2:x", OptionalInt.of(12)), SnapshotRef.parse(" my.app-2:x@12 "));
  }

  @Test
  void workloadAtLatest() {
    SnapshotRef ref = SnapshotRef.parse("app@LATEST");
    assertEquals(new SnapshotRef.ByVersion("app", OptionalInt.empty()), ref);
    assertEquals("app@latest", ref.toString());
  }

  @ParameterizedTest(name = "''{0}'' is refused")
  @ValueSource(strings = {"", "app", "@3", "app@", "app@0", "app@-1", "app@x", "app@1.5", "app@9999999999",
      "bad/name@1", "01JD3Q8Z6M4R2T9V0W1X2Y3Z4I", "81JD3Q8Z6M4R2T9V0W1X2Y3Z4A"})
  void badNamesAreInvalidArgumentsThatSayHowToNameOne(String text) {
    SnapshotException e = assertThrows(SnapshotException.class, () -> SnapshotRef.parse(text));
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    assertTrue(e.getMessage().contains("WORKLOAD@VERSION"), e.getMessage());
    assertTrue(e.getMessage().startsWith("'" + text + "' does not name a snapshot"), e.getMessage());
    assertTrue(!e.getMessage().contains("\n"), "one line");
  }

  @Test
  void theLastAtSeparatesTheVersion() {
    // '@' is not a legal workload character, so "a@b@2" names workload "a@b", which is refused.
    SnapshotException e = assertThrows(SnapshotException.class, () -> SnapshotRef.parse("a@b@2"));
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    assertInstanceOf(SnapshotRef.ByVersion.class, SnapshotRef.parse("a@2"));
  }
}
