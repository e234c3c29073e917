package io.snapshotkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdentifiersTest {

  @Property(tries = 200)
  @Label("snapshot ids sort in creation-time order as plain strings")
  void idsSortByTime(
      @ForAll @LongRange(min = 0, max = 1L << 46) long t1,
      @ForAll @LongRange(min = 1, max = 1L << 30) long gap,
      @ForAll long seed) {
    Random random = new Random(seed);
    SnapshotId earlier = SnapshotId.generate(Instant.ofEpochMilli(t1), random);
    SnapshotId later = SnapshotId.generate(Instant.ofEpochMilli(t1 + gap), random);
    assertTrue(earlier.value().compareTo(later.value()) < 0, earlier + " !< " + later);
    assertEquals(Instant.ofEpochMilli(t1), earlier.timestamp());
  }

  @Property(tries = 200)
  @Label("a snapshot id survives a round trip through its text, in any case")
  void idRoundTrip(@ForAll @LongRange(min = 0, max = 1L << 46) long millis, @ForAll long seed) {
    SnapshotId id = SnapshotId.generate(Instant.ofEpochMilli(millis), new Random(seed));
    assertEquals(id, SnapshotId.parse(id.value().toLowerCase(java.util.Locale.ROOT)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "short", "01HZY3J9W8X5V6T7R8Q9P0N1MI", "81HZY3J9W8X5V6T7R8Q9P0N1M2", "01HZY3J9W8X5V6T7R8Q9P0N1M2X"})
  @DisplayName("malformed snapshot ids are INVALID_ARGUMENT")
  void badIdsRejected(String text) {
    SnapshotException e = assertThrows(SnapshotException.class, () -> SnapshotId.parse(text));
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "-lead", ".hidden", "a/b", "a b", "tab\tx", "ü"})
  @DisplayName("workload and tenant ids reject separators, spaces, control and non-ASCII characters")
  void badIdentifiersRejected(String text) {
    assertEquals(ErrorCode.INVALID_ARGUMENT,
        assertThrows(SnapshotException.class, () -> WorkloadRef.of("acme", text)).code());
    assertEquals(ErrorCode.INVALID_ARGUMENT,
        assertThrows(SnapshotException.class, () -> TenantId.of(text)).code());
  }

  @Test
  @DisplayName("a workload key joins tenant and id and orders by tenant first")
  void workloadKeyAndOrder() {
    WorkloadRef a = WorkloadRef.of("acme", "zeta");
    WorkloadRef b = WorkloadRef.of("beta", "alpha");
    assertEquals("acme/zeta", a.key());
    assertTrue(a.compareTo(b) < 0);
  }

  @ParameterizedTest
  @ValueSource(strings = {"Manual", "9lives", "with-dash", "", "a_very_long_trigger_word_over_thirty_two"})
  @DisplayName("triggers are lower-case words")
  void badTriggersRejected(String text) {
    assertThrows(SnapshotException.class, () -> Trigger.of(text));
  }

  @Test
  @DisplayName("an application's own trigger word is accepted beside the well-known ones")
  void customTrigger() {
    assertEquals("nightly_backup", Trigger.of("nightly_backup").value());
    assertEquals(Trigger.MANUAL, Trigger.of("manual"));
  }

  @Property(tries = 200)
  @Label("an id's successor keeps its millisecond and sorts right after it")
  void successorSortsNext(@ForAll @LongRange(min = 0, max = 1L << 46) long millis, @ForAll long seed) {
    SnapshotId id = SnapshotId.generate(Instant.ofEpochMilli(millis), new Random(seed));
    SnapshotId next = id.successor().orElseThrow();
    assertTrue(next.compareTo(id) > 0);
    assertEquals(id.timestamp(), next.timestamp());
  }

  @Test
  @DisplayName("the successor carries across digits and is empty once the millisecond is exhausted")
  void successorCarriesAndEnds() {
    assertEquals(java.util.Optional.of(new SnapshotId("01ARZ3NDEK0000000000000010")),
        new SnapshotId("01ARZ3NDEK000000000000000Z").successor());
    assertEquals(java.util.Optional.empty(), new SnapshotId("01ARZ3NDEKZZZZZZZZZZZZZZZZ").successor());
  }
}
